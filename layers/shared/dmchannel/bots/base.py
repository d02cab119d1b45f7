"""What every bot implements: a conversation turn in, a list of replies out."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class BotKind(StrEnum):
    """The bot back ends BOT_KIND names, and what the channel keeps for each."""

    FAQ = "faq"  # the built-in FAQ bot from a YAML file
    HTTP = "http"  # any bot speaking the Rasa REST protocol
    LEX = "lex"  # Amazon Lex V2
    BEDROCK = "bedrock"  # the AI assistant on Bedrock's Converse API

    @property
    def keeps_no_state(self) -> bool:
        """Whether the channel remembers the conversation for it (the others keep their own sessions)."""
        return self is BotKind.BEDROCK

    @property
    def bills_tokens(self) -> bool:
        """Whether its answers spend tokens that a daily budget can bound."""
        return self is BotKind.BEDROCK


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
    """What the user sent, as the bot sees it (text HTML-unescaped, t.co links expanded, ids as strings)."""

    sender_id: str
    text: str
    account_id: str = ""  # the bot account the DM was written to: with sender_id, the conversation
    sender_name: str = ""
    sender_screen_name: str = ""
    button_payload: str | None = None
    attachment_type: str | None = None  # photo, animated_gif, video (X's media types) or location
    attachment_url: str | None = None  # a photo's image; a GIF's or a video's MP4
    latitude: float | None = None  # a shared location's (or its place's centre)
    longitude: float | None = None
    place_name: str = ""  # a shared place's name, when X gives one
    # The conversation's earlier turns, (role, text) oldest first, for a bot that keeps no state of its own.
    history: tuple[tuple[str, str], ...] = ()

    @property
    def session_id(self) -> str:
        """The conversation, for a bot that keeps sessions: the account and the user (two accounts, two sessions)."""
        return f"{self.account_id}-{self.sender_id}" if self.account_id else self.sender_id

    @property
    def has_coordinates(self) -> bool:
        """Whether the user shared a location with its coordinates."""
        return self.latitude is not None and self.longitude is not None


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
