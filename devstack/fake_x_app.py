"""The fake X's app-level endpoints: the Bots API (``/2/bots``) and the credit balance (``/2/usage/credits``).

As X documents them: bots of the app's project, at most ``max_bots`` (1 by default), handles of 5 to
15 letters, digits or underscores, a token (``xcbot_``, shown once) per bot, rotated or revoked, and
who may DM it. The credit balance may answer 404 with no body, as it does for some apps.
"""

import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import count
from typing import Any
from urllib.parse import urlsplit

from devstack.x_answers import Answer, v2_error

HANDLE = re.compile(r"[A-Za-z0-9_]{5,15}")
TOKEN_MS = 30 * 86_400_000  # how long the fake's bot tokens live (X's lifetime is unconfirmed)


@dataclass
class AppFake:
    """One app's project: its bots and its balance."""

    bearer: str
    max_bots: int = 1
    credits: dict[str, Any] | None = field(
        default_factory=lambda: {"total_balance": 41.5, "prepaid_balance": 40.0, "free_balance": 1.5}
    )  # None: X answers 404
    bots: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {id, username, name, dm_permission}
    tokens: dict[str, str] = field(default_factory=dict)  # bot id -> its live token
    clock: Callable[[], float] = time.time
    _ids: "count[int]" = field(default_factory=lambda: count(1_960_000_000_000_000_001))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def bot_of(self, token: str) -> str | None:
        """The bot whose live token it is (the Chat API takes it as the bot's user context)."""
        with self._lock:
            return next((bot_id for bot_id, live in self.tokens.items() if live == token), None)

    def route(self, method: str, url: str, headers: Mapping[str, str], body: Any) -> Answer | None:
        """Answer a Bots API or credits request made with the app's bearer token, or None for another path."""
        path = urlsplit(url).path
        if not (path.startswith("/2/bots") or path == "/2/usage/credits"):
            return None
        if headers.get("Authorization", headers.get("authorization", "")) != f"Bearer {self.bearer}":
            return v2_error(401, "Unauthorized", "the app's bearer token is required")
        with self._lock:
            if path == "/2/usage/credits":
                return Answer(200, {"data": self.credits}) if self.credits is not None else Answer(404)
            return self._bots(method, path.removeprefix("/2/bots").strip("/").split("/"), body)

    def _issued(self, bot_id: str) -> dict[str, Any]:
        """The bot with a new token (the old one stops working)."""
        self.tokens[bot_id] = "xcbot_" + secrets.token_urlsafe(24)
        expires = int(self.clock() * 1000) + TOKEN_MS
        return self.bots[bot_id] | {"token": self.tokens[bot_id], "expires_at": expires, "token_expires_at_ms": expires}

    def _bots(self, method: str, parts: list[str], body: Any) -> Answer:
        body = body if isinstance(body, dict) else {}
        bot_id, action = [*parts, "", ""][:2]
        if method == "GET" and not bot_id:
            listed = list(self.bots.values())
            return Answer(200, {"data": listed, "meta": {"result_count": len(listed), "max_bots": self.max_bots}})
        if method == "POST" and not bot_id:
            return self._create(str(body.get("handle", "")), str(body.get("display_name", "")))
        if bot_id not in self.bots:
            return v2_error(404, "Not Found Error", "no such bot")
        if method == "POST" and action == "token":
            return Answer(200, {"data": self._issued(bot_id)})
        if method == "DELETE" and action == "token":
            self.tokens.pop(bot_id, None)
            return Answer(200, {"data": {"revoked": True}})
        if method == "PUT" and not action:
            permission = body.get("dm_permission")
            if permission not in (None, "everyone", "premium", "no_one"):
                return v2_error(400, "Invalid Request", "dm_permission must be everyone, premium or no_one")
            self.bots[bot_id] |= {"dm_permission": permission} if permission else {}
            return Answer(200, {"data": self.bots[bot_id]})
        return v2_error(404, "Not Found", "no such route")

    def _create(self, handle: str, name: str) -> Answer:
        if not HANDLE.fullmatch(handle):
            return v2_error(400, "Invalid Request", "handle must be 5 to 15 letters, digits or underscores")
        known = next((bot for bot in self.bots.values() if bot["username"].lower() == handle.lower()), None)
        if known:
            return Answer(201, {"data": self._issued(known["id"])})
        if len(self.bots) >= self.max_bots:
            return v2_error(403, "Forbidden", f"The project has reached its max_bots ({self.max_bots})")
        bot_id = str(next(self._ids))
        self.bots[bot_id] = {"id": bot_id, "username": handle, "name": name or handle, "dm_permission": "everyone"}
        return Answer(201, {"data": self._issued(bot_id)})
