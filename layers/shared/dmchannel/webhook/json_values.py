"""X's JSON read defensively: a value is taken only in the shape expected, else as empty (never a crash)."""

import math
from collections.abc import Mapping
from typing import Any

MAX_EPOCH_MS_DIGITS = 15  # milliseconds until the year 33658


def as_mapping(value: Any) -> Mapping[str, Any]:
    """The value when it is a JSON object, else an empty one (X's optional or malformed parts)."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    """The value when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def as_text(value: Any) -> str:
    """The value when it is a JSON string, else ""."""
    return value if isinstance(value, str) else ""


def as_number(value: Any) -> float | None:
    """The value when it is a finite JSON number (a bool is not one), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def epoch_ms(value: str) -> int | None:
    """X's epoch milliseconds, written as ASCII digits, else None (str.isdigit() also takes "²", which int() refuses)."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= MAX_EPOCH_MS_DIGITS else None
