"""The composer: X's limits on text, options, labels, and the replies left."""

import pytest

from dmchannel.bots.base import Button, Reply
from dmchannel.responder.composer import (
    MORE_OPTIONS_LABEL,
    MORE_OPTIONS_PREFIX,
    compose,
    to_options,
)
from dmchannel.x.message import Option, OutboundMessage


def buttons(count: int) -> list[Button]:
    return [Button(f"Choice {i}", f"p{i}") for i in range(count)]


def test_20_buttons_are_all_shown() -> None:
    options, rest = to_options(buttons(20), "k")
    assert [o.metadata for o in options] == [f"p{i}" for i in range(20)]
    assert rest == ()


def test_21_buttons_show_19_and_more_options() -> None:
    options, rest = to_options(buttons(21), "key1")
    assert len(options) == 20
    assert options[-1] == Option(label=MORE_OPTIONS_LABEL, metadata=MORE_OPTIONS_PREFIX + "key1")
    assert [b.payload for b in rest] == ["p19", "p20"]


def test_36_character_title_is_kept_and_37_is_shortened() -> None:
    title36, title37 = "t" * 36, "u" * 37
    options, _ = to_options([Button(title36, "a"), Button(title37, "b")], "k")
    assert options[0] == Option(label=title36, metadata="a")
    assert options[1].label == "u" * 35 + "…"
    assert len(options[1].label) == 36
    assert options[1].description == title37


def test_description_is_at_most_72() -> None:
    (option,), _ = to_options([Button("v" * 100, "a")], "k")
    assert len(option.description or "") == 72
    assert (option.description or "").endswith("…")


def test_shortened_labels_stay_unique() -> None:
    title = "The same very long beginning of a title, "
    options, _ = to_options([Button(title + "one", "1"), Button(title + "two", "2"), Button(title + "3", "3")], "k")
    labels = [o.label for o in options]
    assert len(set(labels)) == 3
    assert all(len(label) <= 36 for label in labels)
    assert labels[1].endswith("(2)") and labels[2].endswith("(3)")


def test_label_more_options_is_not_reused_by_a_bot_button() -> None:
    options, _ = to_options([Button(MORE_OPTIONS_LABEL, "x"), *buttons(20)], "k")
    assert [o.label for o in options].count(MORE_OPTIONS_LABEL) == 1


def test_replies_within_budget_are_kept_and_buttons_go_last() -> None:
    composition = compose([Reply("one", (Button("A", "a"),)), Reply("two")], replies_left=5, more_key="k")
    assert composition.messages == [OutboundMessage("one"), OutboundMessage("two", (Option("A", "a"),))]
    assert composition.dropped_messages == 0


def test_over_budget_texts_are_joined() -> None:
    replies = [Reply(f"part {i}") for i in range(7)]
    composition = compose(replies, replies_left=5, more_key="k")
    assert composition.messages == [OutboundMessage("\n\n".join(f"part {i}" for i in range(7)))]
    assert composition.dropped_messages == 0


def test_what_cannot_fit_is_dropped_and_counted() -> None:
    replies = [Reply("x" * 9_000), Reply("y" * 9_000), Reply("z" * 9_000, (Button("B", "b"),))]
    composition = compose(replies, replies_left=2, more_key="k")
    assert [m.text[0] for m in composition.messages] == ["x", "y"]
    assert composition.messages[-1].options == (Option("B", "b"),)
    assert composition.dropped_messages == 1


def test_long_text_fills_the_replies_left() -> None:
    composition = compose([Reply("w " * 30_000)], replies_left=5, more_key="k")
    assert len(composition.messages) == 5
    assert all(len(m.text) <= 10_000 for m in composition.messages)
    assert composition.dropped_messages == 1


def test_no_replies_left_sends_nothing() -> None:
    composition = compose([Reply("hi", (Button("A", "a"),))], replies_left=0, more_key="k")
    assert composition.messages == []
    assert composition.dropped_messages == 1
    assert composition.dropped_buttons == 1


def test_buttons_without_text_get_a_prompt_and_bad_payloads_are_dropped() -> None:
    composition = compose([Reply("", (Button("A", "a"), Button("B", "b" * 1_001), Button("C", "")))], 5, "k")
    assert composition.messages == [OutboundMessage("Please choose:", (Option("A", "a"),))]
    assert composition.dropped_buttons == 2


def test_more_buttons_are_returned_for_storage() -> None:
    composition = compose([Reply("pick", tuple(buttons(45)))], 5, "k")
    assert len(composition.messages[0].options) == 20
    assert len(composition.more_buttons) == 26


def label_of(title: str) -> str:
    options, _ = to_options([Button(title, "p")], "k")
    return options[0].label


@pytest.mark.parametrize(
    ("title", "label"),
    [
        ("See https://x.com/help now", "See now"),
        ("Visit www.example.com", "Visit"),
        ("Go to example.com/shop today", "Go to today"),
        ("https://example.com", "Option 1"),
        ("   ", "Option 1"),
        ("", "Option 1"),
        ("Version 1.1 of e.g. this", "Version 1.1 of e.g. this"),
    ],
)
def test_labels_carry_no_link_and_are_never_blank(title: str, label: str) -> None:
    assert label_of(title) == label


@pytest.mark.parametrize("unit", ["\U0001f469\u200d\U0001f469\u200d\U0001f467", "\U0001f1eb\U0001f1f7", "e\u0301"])
def test_a_long_label_is_never_cut_inside_a_character(unit: str) -> None:
    label = label_of(unit * 30)
    assert len(label) <= 36 and label.endswith("…")
    assert label.removesuffix("…") == unit * (len(label.removesuffix("…")) // len(unit))
