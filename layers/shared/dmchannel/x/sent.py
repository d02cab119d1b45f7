"""What X says when it takes a DM."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Sent:
    """X took the DM: the event id it made (empty if unreadable), and what its rate-limit window has left."""

    event_id: str
    remaining: int | None = None  # x-rate-limit-remaining
    reset: float | None = None  # x-rate-limit-reset (epoch seconds)
