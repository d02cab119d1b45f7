"""Turns a bot's replies into the DMs X accepts, within the replies left for the inbound message."""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dmchannel.bots.base import Button, Reply
from dmchannel.responder.text_split import is_safe_cut, split_text
from dmchannel.x.limits import MAX_DESCRIPTION, MAX_LABEL, MAX_METADATA, MAX_OPTIONS, MAX_TEXT
from dmchannel.x.message import Option, OutboundMessage

ELLIPSIS = "…"
MORE_OPTIONS_LABEL = "More options"
# Metadata of the "More options" button: the prefix, then the key of the stored buttons and the offset.
MORE_OPTIONS_PREFIX = "xdm:more:"
MESSAGE_SEPARATOR = "\n\n"
BUTTONS_ONLY_TEXT = "Please choose:"
FALLBACK_LABEL = "Option"
# What X's link detection takes for a link: a scheme or www., or a dotted name ending in a top-level domain.
_LINK = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)\S*|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,24}\b(?:/\S*)?", re.IGNORECASE)


@dataclass(frozen=True)
class Composition:
    """The DMs to send, the buttons left for "More options", and what did not fit."""

    messages: list[OutboundMessage]
    more_buttons: tuple[Button, ...] = ()
    dropped_messages: int = 0
    dropped_buttons: int = 0


def _shorten(text: str, limit: int) -> str:
    """The text in at most limit characters, cut with an ellipsis between two user-perceived characters."""
    if len(text) <= limit:
        return text
    cut = limit - len(ELLIPSIS)
    while cut > 0 and not is_safe_cut(text, cut):
        cut -= 1
    return text[:cut].rstrip() + ELLIPSIS


def _label_text(title: str, position: int) -> str:
    """What a label may show of a title: X refuses labels with links, and blank ones."""
    text = " ".join(_LINK.sub(" ", title).split())
    return text or f"{FALLBACK_LABEL} {position}"


def _unique_label(title: str, position: int, taken: set[str]) -> str:
    text = _label_text(title, position)
    label = _shorten(text, MAX_LABEL)
    number = 2
    while label in taken:
        suffix = f" ({number})"
        label = _shorten(text, MAX_LABEL - len(suffix)) + suffix
        number += 1
    taken.add(label)
    return label


def to_options(buttons: Sequence[Button], more_key: str) -> tuple[tuple[Option, ...], tuple[Button, ...]]:
    """Quick-reply options for buttons; past 20, 19 and a "More options" button that shows the rest.

    Returns the options and the buttons kept back for "More options".
    """
    shown_count = len(buttons) if len(buttons) <= MAX_OPTIONS else MAX_OPTIONS - 1
    shown, rest = buttons[:shown_count], buttons[shown_count:]
    taken = {MORE_OPTIONS_LABEL} if rest else set()
    options = []
    for position, button in enumerate(shown, 1):
        label = _unique_label(button.title, position, taken)
        description = _shorten(button.title, MAX_DESCRIPTION) if label != button.title else None
        options.append(Option(label=label, metadata=button.payload, description=description))
    if rest:
        options.append(Option(label=MORE_OPTIONS_LABEL, metadata=f"{MORE_OPTIONS_PREFIX}{more_key}"))
    return tuple(options), tuple(rest)


def _pack(texts: list[str]) -> list[str]:
    """Join consecutive texts (blank line between) while they fit in one message."""
    packed: list[str] = []
    for text in texts:
        if packed and len(packed[-1]) + len(MESSAGE_SEPARATOR) + len(text) <= MAX_TEXT:
            packed[-1] += MESSAGE_SEPARATOR + text
        else:
            packed.append(text)
    return packed


def compose(replies: Sequence[Reply], replies_left: int, more_key: str) -> Composition:
    """Plan the DMs for a bot's replies.

    Each reply's text is split to fit X's 10,000 characters. If that makes more
    messages than replies_left, consecutive texts are joined while they fit;
    the buttons of all replies go on the last message sent. What still does not
    fit is dropped and counted. more_key names the stored buttons of "More options".
    """
    valid = [b for reply in replies for b in reply.buttons if len(b.payload) <= MAX_METADATA and b.payload]
    dropped_buttons = sum(len(reply.buttons) for reply in replies) - len(valid)
    texts = [piece for reply in replies for piece in split_text(reply.text, MAX_TEXT)]
    if not texts and valid:
        texts = [BUTTONS_ONLY_TEXT]
    if len(texts) > replies_left:
        texts = _pack(texts)
    dropped_messages = max(0, len(texts) - max(replies_left, 0))
    texts = texts[: max(replies_left, 0)]
    if not texts:
        return Composition(messages=[], dropped_messages=dropped_messages, dropped_buttons=dropped_buttons + len(valid))
    options, more = to_options(valid, more_key)
    messages = [OutboundMessage(text) for text in texts[:-1]]
    messages.append(OutboundMessage(texts[-1], options))
    return Composition(messages, more, dropped_messages, dropped_buttons)
