"""Buttons as a numbered list, answered by number or title.

For the X API v2, which has no quick replies, and for XChat, whose apps may not show them
(there the buttons are sent too).
"""

from collections.abc import Sequence
from dataclasses import replace

from dmchannel.bots.base import Button, Reply


def render_choices(replies: Sequence[Reply], *, keep_buttons: bool = False) -> tuple[list[Reply], tuple[Button, ...]]:
    """Write every button into a numbered list at the end of the last text; return the buttons offered.

    keep_buttons: the last reply also carries them all as buttons (else none is left).
    """
    offered = tuple(button for reply in replies for button in reply.buttons)
    texts = [replace(reply, buttons=()) for reply in replies]
    if not offered:
        return texts, ()
    listing = "\n".join(f"{number}. {button.title}" for number, button in enumerate(offered, 1))
    buttons = offered if keep_buttons else ()
    if texts and texts[-1].text.strip():
        texts[-1] = Reply(f"{texts[-1].text}\n\n{listing}", buttons)
    else:
        texts[-1:] = [Reply(listing, buttons)]
    return texts, offered


def chosen_payload(text: str, offered: Sequence[Button]) -> str | None:
    """The payload of the offered button that a reply names, by its number ("2", "2.") or its exact title."""
    answer = text.strip()
    number = answer.rstrip(".)")
    # Decimal digits of any script (Arabic-Indic, fullwidth...) name a button; "²" or "①" are no number: ignored.
    # No wider than the menu's numbers: int() of a long one is slow, or refused (over 4,300 digits).
    if number.isdecimal() and len(number) <= len(str(len(offered))) and 1 <= int(number) <= len(offered):
        return offered[int(number) - 1].payload
    by_title = {button.title.strip().casefold(): button.payload for button in offered}
    return by_title.get(answer.casefold())
