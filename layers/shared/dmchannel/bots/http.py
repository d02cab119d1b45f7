"""A bot behind HTTP that speaks the Rasa REST channel protocol (Rasa, Botpress and many others)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from dmchannel.bots.base import BotError, Button, Reply, Turn

CONNECT_TIMEOUT = 3.05
DEFAULT_READ_TIMEOUT = 10.0


def request_body(turn: Turn) -> dict[str, Any]:
    """The JSON sent to the bot: the sender, the text or the tapped button's payload, and metadata."""
    metadata: dict[str, Any] = {"name": turn.sender_name, "screen_name": turn.sender_screen_name, "channel": "x"}
    if turn.attachment_type:
        metadata["attachment"] = {"type": turn.attachment_type, "url": turn.attachment_url}
    message = turn.button_payload if turn.button_payload is not None else turn.text
    return {"sender": turn.sender_id, "message": message, "metadata": metadata}


def _reply(item: Any) -> Reply | None:
    if not isinstance(item, dict):
        raise BotError("an answer item is not an object", retryable=False)
    text = str(item.get("text") or "")
    if item.get("image"):
        text = f"{text}\n{item['image']}".strip()
    buttons = tuple(
        Button(str(b.get("title", "")), str(b.get("payload", b.get("title", ""))))
        for b in item.get("buttons") or []
        if isinstance(b, dict) and b.get("title")
    )
    return Reply(text, buttons) if text or buttons else None


def replies_from_answer(answer: Any) -> list[Reply]:
    """Read the bot's JSON answer: a list of messages with text, buttons and image."""
    if not isinstance(answer, list):
        raise BotError("the answer is not a JSON list", retryable=False)
    return [reply for reply in map(_reply, answer) if reply]


@dataclass
class HttpBot:
    """POSTs each turn to BOT_URL and reads the list of messages it answers."""

    url: str
    token: Callable[[], str | None] = lambda: None
    read_timeout: float = DEFAULT_READ_TIMEOUT
    session: requests.Session = field(default_factory=requests.Session)

    def answer(self, turn: Turn) -> list[Reply]:
        """Ask the bot; raise BotError (retryable for timeouts and 5xx) when it cannot answer."""
        token = self.token()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = self.session.post(
                self.url, json=request_body(turn), headers=headers, timeout=(CONNECT_TIMEOUT, self.read_timeout)
            )
        except requests.RequestException as error:
            raise BotError(f"no answer from the bot: {type(error).__name__}", retryable=True) from error
        if response.status_code >= 400:
            raise BotError(f"the bot answered HTTP {response.status_code}", retryable=response.status_code >= 500)
        try:
            return replies_from_answer(response.json())
        except ValueError as error:
            raise BotError("the answer is not JSON", retryable=False) from error
