"""What every bot implements: a conversation turn in, a list of replies out."""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Button:
    """A choice offered to the user: the title shown and the payload the bot gets back when tapped."""

    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """One message from the bot: a text and optional buttons."""

    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Turn:
    """What the user sent, as the bot sees it (text HTML-unescaped, ids as strings)."""

    sender_id: str
    text: str
    sender_name: str = ""
    sender_screen_name: str = ""
    button_payload: str | None = None
    attachment_type: str | None = None
    attachment_url: str | None = None
    # The conversation's earlier turns, (role, text) oldest first, for a bot that keeps no state of its own.
    history: tuple[tuple[str, str], ...] = ()


class BotError(Exception):
    """The bot could not answer; retryable when trying again later may work (timeouts, 5xx, throttling)."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.retryable = retryable


class Bot(Protocol):
    """A chatbot back end."""

    def answer(self, turn: Turn) -> list[Reply]:
        """Return the replies to one turn (possibly none); raise BotError when it cannot answer."""
        ...
