"""events/ holds exactly what devstack.sample_events generates."""

from devstack.sample_events import EVENTS_DIR, render, sample_events


def test_event_files_match_the_generator() -> None:
    for name, event in sample_events().items():
        assert (EVENTS_DIR / name).read_text(encoding="utf-8") == render(event), (
            f"run python -m devstack.sample_events ({name})"
        )
