"""What the fake X answers: a status, a JSON body (or none) and headers, and X's two error body shapes."""

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Answer:
    """One HTTP answer of the fake X."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def x_error(status: int, code: int, message: str) -> Answer:
    """A v1.1 error body: ``{"errors": [{"code": ..., "message": ...}]}``."""
    return Answer(status, {"errors": [{"code": code, "message": message}]})


def v2_error(status: int, title: str, detail: str) -> Answer:
    """A v2 error body (problem details)."""
    return Answer(status, {"title": title, "detail": detail, "type": "about:blank", "status": status})
