"""Buttons for the X API v2, which has no quick replies: a numbered list, answered by number or title."""

from collections.abc import Sequence
from dataclasses import replace

from dmchannel.bots.base import Button, Reply


def render_choices(replies: Sequence[Reply]) -> tuple[list[Reply], tuple[Button, ...]]:
    """Move every button into a numbered list at the end of the last text; return the buttons offered."""
    offered = tuple(button for reply in replies for button in reply.buttons)
    texts = [replace(reply, buttons=()) for reply in replies]
    if not offered:
        return texts, ()
    listing = "\n".join(f"{number}. {button.title}" for number, button in enumerate(offered, 1))
    if texts and texts[-1].text.strip():
        texts[-1] = Reply(f"{texts[-1].text}\n\n{listing}")
    else:
        texts[-1:] = [Reply(listing)]
    return texts, offered


def chosen_payload(text: str, offered: Sequence[Button]) -> str | None:
    """The payload of the offered button that a reply names, by its number ("2", "2.") or its exact title."""
    answer = text.strip()
    number = answer.rstrip(".)")
    # Decimal digits of any script (Arabic-Indic, fullwidth...) name a button; "²" or "①" are no number: ignored.
    if number.isdecimal() and 1 <= int(number) <= len(offered):
        return offered[int(number) - 1].payload
    by_title = {button.title.strip().casefold(): button.payload for button in offered}
    return by_title.get(answer.casefold())
