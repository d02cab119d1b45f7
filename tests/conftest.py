"""Every tier: the environment a Lambda function has (set before the shared package is imported), and paths."""

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from devstack.sample_events import sample_events
from devstack.template import load_template

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    # As in Lambda, set before the shared package is first imported (its logger takes the service's name).
    **{
        name: str(value)
        for name, value in load_template()["Globals"]["Function"]["Environment"]["Variables"].items()
        if name.startswith("POWERTOOLS_")
    },
)
os.environ.pop("AWS_PROFILE", None)


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--clock-ahead-days N`: run on a clock N days ahead, so that no test leans on today's date."""
    parser.addoption("--clock-ahead-days", type=int, default=0, help="move the clock this many days ahead")


def pytest_configure(config: pytest.Config) -> None:
    """Start the moved clock for the whole session (servers run in this process, so they share it)."""
    days = int(config.getoption("--clock-ahead-days"))
    if days:
        import time_machine  # noqa: PLC0415 - only the moved-clock run needs it

        traveller = time_machine.travel(time.time() + days * 86_400, tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


def load_event(name: str) -> dict[str, object]:
    """One of the files in events/."""
    event: dict[str, object] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return event


def event_written_now(name: str) -> dict[str, Any]:
    """One of the events in events/, its DMs written now: the responder answers a DM only within 24 hours."""
    return sample_events(written_at_ms=int(time.time() * 1000))[name]
