"""A DM's t.co links, replaced by the URLs they stand for (X's ``entities.urls``), for the bot to read."""

from collections.abc import Iterator, Mapping
from typing import Any

from dmchannel.webhook.json_values import as_list, as_mapping, as_text
from dmchannel.x.limits import MAX_TEXT

# How far links may lengthen a text (of at most MAX_TEXT characters): links past it stay t.co, so
# that no delivery can make a queued DM of megabytes (SQS takes at most 1 MiB).
MAX_TEXT_WITH_LINKS = 2 * MAX_TEXT
Span = tuple[int, int, str]  # where a t.co link is in the text, and what replaces it


def _indices(value: Any, text: str, url: str) -> tuple[int, int] | None:
    """X's [start, end) of the link, when they point at it in this text (X may count otherwise: UTF-16, escapes)."""
    position = as_list(value)
    if len(position) != 2 or not all(isinstance(n, int) and not isinstance(n, bool) for n in position):
        return None
    start, end = position
    return (start, end) if start >= 0 and text[start:end] == url else None


def _spans(text: str, urls: list[Any]) -> Iterator[Span]:
    """Where each listed link is: at its indices where they are valid, else wherever its t.co URL is found."""
    unplaced: dict[str, str] = {}
    for entity in map(as_mapping, urls):
        url, expanded = as_text(entity.get("url")), as_text(entity.get("expanded_url"))
        if url and expanded:
            if indices := _indices(entity.get("indices"), text, url):
                yield (*indices, expanded)
            else:
                unplaced.setdefault(url, expanded)
    for url, expanded in unplaced.items():
        start = text.find(url)
        while start >= 0:
            yield start, start + len(url), expanded
            start = text.find(url, start + len(url))


def text_with_links(text: str, entities: Mapping[str, Any]) -> str:
    """The text with each t.co link of ``entities.urls`` replaced by its ``expanded_url`` ("" when none is)."""
    pieces: list[str] = []
    end_of_last, room = 0, MAX_TEXT_WITH_LINKS - len(text)
    for start, end, expanded in sorted(_spans(text, as_list(entities.get("urls")))):
        growth = len(expanded) - (end - start)
        if start < end_of_last or growth > room:  # overlaps the link before, or past the bound: stays t.co
            continue
        pieces += [text[end_of_last:start], expanded]
        end_of_last, room = end, room - growth
    linked = "".join(pieces) + text[end_of_last:]
    return linked if linked != text else ""
