"""Splits a long text into pieces X accepts, on the most natural boundary that fits."""

import re
import unicodedata

# Characters that belong to the character before them: a cut must not fall just before one.
_JOINERS_AFTER = {"\u200d"}  # zero-width joiner: glues both sides
_EXTENDERS = {"\u200d", "\ufe0e", "\ufe0f", "\u20e3"}
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)
_TAGS = range(0xE0020, 0xE0080)

_PARAGRAPH = re.compile(r"\n\s*\n")
# A sentence ends with . ! ? … or their CJK forms, maybe a closing quote or bracket, then space.
_SENTENCE = re.compile("(?<=[.!?\u2026\u3002\uff01\uff1f])[\"'\u201d\u2019)\\]]*\\s+")
_SPACE = re.compile(r"\s+")


def _is_extender(char: str) -> bool:
    code = ord(char)
    return (
        char in _EXTENDERS
        or unicodedata.combining(char) != 0
        or unicodedata.category(char) in ("Mn", "Me", "Mc")
        or code in _SKIN_TONES
        or code in _TAGS
        or 0xDC00 <= code <= 0xDFFF  # a lone low surrogate
    )


def _regional_run_before(text: str, index: int) -> int:
    run = 0
    while index - run - 1 >= 0 and ord(text[index - run - 1]) in _REGIONAL_INDICATORS:
        run += 1
    return run


def is_safe_cut(text: str, index: int) -> bool:
    """Whether text can be cut before text[index] without breaking a user-perceived character."""
    if index <= 0 or index >= len(text):
        return True
    before, after = text[index - 1], text[index]
    if _is_extender(after) or before in _JOINERS_AFTER or 0xD800 <= ord(before) <= 0xDBFF:
        return False
    # A flag is a pair of regional indicators: cut only between pairs.
    return not (ord(after) in _REGIONAL_INDICATORS and _regional_run_before(text, index) % 2 == 1)


def _last_boundary(pattern: re.Pattern[str], text: str, limit: int, earliest: int) -> tuple[int, int] | None:
    """The last separator (start, end) that starts between earliest and limit."""
    best = None
    for match in pattern.finditer(text, 0, limit + 1):
        if match.start() >= max(earliest, 1):
            best = (match.start(), match.end())
    return best


def _hard_cut(text: str, limit: int) -> int:
    index = limit
    while index > 0 and not is_safe_cut(text, index):
        index -= 1
    # A single cluster longer than the limit (pathological): cut it anyway.
    return index or limit


def split_text(text: str, limit: int) -> list[str]:
    """Split text into pieces of at most limit characters.

    Paragraph breaks are preferred, then sentence ends, then spaces; a word is cut
    only when it alone is longer than the limit, and never inside a surrogate
    pair, a combining sequence, an emoji sequence or a flag.
    """
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        # A paragraph or sentence break is taken only if it fills at least half a message.
        for pattern, earliest in ((_PARAGRAPH, limit // 2), (_SENTENCE, limit // 2), (_SPACE, 1)):
            boundary = _last_boundary(pattern, rest, limit, earliest)
            if boundary:
                head, tail = rest[: boundary[0]], rest[boundary[1] :]
                break
        else:
            cut = _hard_cut(rest, limit)
            head, tail = rest[:cut], rest[cut:]
        pieces.append(head.rstrip())
        rest = tail.lstrip()
    if rest:
        pieces.append(rest)
    return pieces
