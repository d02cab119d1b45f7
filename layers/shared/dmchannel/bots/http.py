"""A bot behind HTTP that speaks the Rasa REST channel protocol (Rasa, Botpress and many others)."""

import json
import socket
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import requests
import urllib3

from dmchannel.bots.base import BotError, Button, Reply, Turn

CONNECT_TIMEOUT = 3.05
DEFAULT_TIMEOUT = 10.0
MAX_ANSWER_BYTES = 1_000_000  # far above 5 DMs of 10,000 characters with 20 buttons
CHUNK_BYTES = 16_384
TOO_SLOW = "the bot took longer than its timeout to answer"


def request_body(turn: Turn) -> dict[str, Any]:
    """The JSON sent to the bot: the sender, the text or the tapped button's payload, and metadata.

    The sender is the conversation (the account and the user: each account its own session). The
    metadata names the user and the account, and what the DM carries: an attachment (its type and URL: a
    GIF's or a video's MP4) and a shared location (its coordinates and place name).
    """
    metadata: dict[str, Any] = {
        "name": turn.sender_name,
        "screen_name": turn.sender_screen_name,
        "channel": "x",
        "user_id": turn.sender_id,
        "account_id": turn.account_id,
    }
    if turn.attachment_type:
        metadata["attachment"] = {"type": turn.attachment_type, "url": turn.attachment_url}
    if turn.has_coordinates or turn.place_name:
        metadata["location"] = {"latitude": turn.latitude, "longitude": turn.longitude, "place_name": turn.place_name}
    message = turn.button_payload if turn.button_payload is not None else turn.text
    return {"sender": turn.session_id, "message": message, "metadata": metadata}


def _reply(item: Any) -> Reply | None:
    if not isinstance(item, dict):
        raise BotError("an answer item is not an object", retryable=False)
    text = str(item.get("text") or "")
    if item.get("image"):
        text = f"{text}\n{item['image']}".strip()
    buttons = tuple(
        # A button without a payload (missing or null) sends its title, as Rasa's channels do.
        Button(str(b["title"]), str(b["title"] if b.get("payload") is None else b["payload"]))
        for b in item.get("buttons") or []
        if isinstance(b, dict) and b.get("title")
    )
    return Reply(text, buttons) if text or buttons else None


def replies_from_answer(answer: Any) -> list[Reply]:
    """Read the bot's JSON answer: a list of messages with text, buttons and image."""
    if not isinstance(answer, list):
        raise BotError("the answer is not a JSON list", retryable=False)
    return [reply for reply in map(_reply, answer) if reply]


def cookieless(session: requests.Session) -> requests.Session:
    """A session that keeps no cookies: one user's bot session (a cookie) must never go with another's DM."""
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return session


@dataclass
class HttpBot:
    """POSTs each turn to BOT_URL and reads the list of messages it answers, within a total deadline."""

    url: str
    token: Callable[[], str | None] = lambda: None
    timeout: float = DEFAULT_TIMEOUT  # for the whole answer: connecting, waiting and reading
    session: requests.Session = field(default_factory=lambda: cookieless(requests.Session()))

    def answer(self, turn: Turn) -> list[Reply]:
        """Ask the bot; raise BotError (retryable for timeouts, 429 and 5xx) when it cannot answer."""
        deadline = time.monotonic() + self.timeout
        token = self.token()
        # identity: a compressed body can keep one read busy while its decoder yields nothing
        headers = {"Accept-Encoding": "identity"} | ({"Authorization": f"Bearer {token}"} if token else {})
        try:
            with self.session.post(
                self.url,
                json=request_body(turn),
                headers=headers,
                timeout=(min(CONNECT_TIMEOUT, self.timeout), self.timeout),
                stream=True,
            ) as response:
                if response.status_code >= 400:
                    retryable = response.status_code == 429 or response.status_code >= 500
                    raise BotError(f"the bot answered HTTP {response.status_code}", retryable=retryable)
                body = _read_within(response, deadline)
        except (requests.RequestException, urllib3.exceptions.HTTPError) as error:  # urllib3's: reading the body
            if time.monotonic() >= deadline:
                raise BotError(TOO_SLOW, retryable=True) from error
            raise BotError(f"no answer from the bot: {type(error).__name__}", retryable=True) from error
        try:
            return replies_from_answer(json.loads(body))
        except ValueError as error:
            raise BotError("the answer is not JSON", retryable=False) from error


def _socket_of(response: requests.Response) -> socket.socket | None:
    """The socket the body comes by: the connection's, or (a response that closes it: HTTP/1.0) the body reader's."""
    sock = getattr(response.raw.connection, "sock", None)
    if sock is None:  # http.client let go of it for the response to close; its reader holds it
        sock = getattr(getattr(getattr(getattr(response.raw, "_fp", None), "fp", None), "raw", None), "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


def _cut(sock: socket.socket) -> None:
    """End every read of the socket now (the deadline): a read waiting in it returns at once."""
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _read_within(response: requests.Response, deadline: float) -> bytes:
    """The body, read until the deadline and up to MAX_ANSWER_BYTES (a trickle, a silence or a flood ends).

    At the deadline the socket is shut, however the reads are going (a slow chunked body makes many).
    """
    body = bytearray()
    sock = _socket_of(response)
    cut = threading.Timer(max(0.0, deadline - time.monotonic()), _cut, (sock,)) if sock is not None else None
    if cut is not None:
        cut.daemon = True
        cut.start()
    try:
        while chunk := response.raw.read1(CHUNK_BYTES, decode_content=True):  # what has arrived, at once
            body.extend(chunk)
            if len(body) > MAX_ANSWER_BYTES:
                raise BotError(f"the answer is over {MAX_ANSWER_BYTES} bytes", retryable=False)
            if time.monotonic() > deadline:
                break
    finally:
        if cut is not None:
            cut.cancel()
    if time.monotonic() > deadline:  # cut short, or whole too late
        raise BotError(TOO_SLOW, retryable=True)
    return bytes(body)
