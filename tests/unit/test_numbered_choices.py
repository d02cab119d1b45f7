"""Buttons as a numbered list for the X API v2, and the user's number or title back to the payload."""

import pytest

from dmchannel.bots.base import Button, Reply
from dmchannel.responder.numbered_choices import chosen_payload, render_choices

OFFERED = (Button("Opening hours", "intent:hours"), Button("Prices", "intent:prices"))


def test_buttons_become_a_numbered_list_after_the_last_text() -> None:
    replies, offered = render_choices([Reply("Hello", (OFFERED[0],)), Reply("Pick one", (OFFERED[1],))])
    assert replies == [Reply("Hello"), Reply("Pick one\n\n1. Opening hours\n2. Prices")]
    assert offered == OFFERED


def test_buttons_without_text_are_the_list_itself() -> None:
    replies, _ = render_choices([Reply("", OFFERED)])
    assert replies == [Reply("1. Opening hours\n2. Prices")]


def test_replies_without_buttons_are_unchanged() -> None:
    assert render_choices([Reply("a")]) == ([Reply("a")], ())


@pytest.mark.parametrize(
    ("text", "payload"),
    [
        ("1", "intent:hours"),
        (" 2. ", "intent:prices"),
        ("2)", "intent:prices"),
        ("prices", "intent:prices"),
        ("OPENING HOURS", "intent:hours"),
        ("3", None),
        ("0", None),
        ("\u0662", "intent:prices"),  # Arabic-Indic two
        ("\uff11", "intent:hours"),  # fullwidth one
        ("\u00b2", None),  # superscript two: a digit, but no number
        ("\u2460", None),  # circled one
        ("\u00bd", None),  # one half
        ("hours", None),
        ("", None),
    ],
)
def test_a_number_or_exact_title_picks_a_button(text: str, payload: str | None) -> None:
    assert chosen_payload(text, OFFERED) == payload


def test_a_number_of_any_length_is_no_error() -> None:
    offered = [Button("One", "p1"), Button("Two", "p2")]
    assert chosen_payload("9" * 5_000, offered) is None  # int() refuses over 4,300 digits: never reached
    assert chosen_payload("02", offered) is None  # wider than the menu's numbers
