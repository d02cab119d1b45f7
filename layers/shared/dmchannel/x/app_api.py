"""X's calls as the app (its bearer token): the Bots API (``/2/bots``) and the credit balance (``/2/usage/credits``).

Used by the ``x-dm-channel`` command only. X's fields are read as both its guide and its OpenAPI
name them where they differ (a token's expiry: ``expires_at`` or ``token_expires_at_ms``).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from dmchannel.x.errors import XApiError
from dmchannel.x.transport import CONNECT_TIMEOUT, call_x

TIMEOUT = (CONNECT_TIMEOUT, 30.0)
NOT_FOUND = 404
DM_PERMISSIONS = ("everyone", "premium", "no_one")  # who may DM a bot (PUT /2/bots/{id} dm_permission)


@dataclass(frozen=True)
class Bot:
    """A bot account of the app's project, as X lists it (its token only when X has just made one)."""

    id: str
    username: str
    name: str
    token: str = ""
    expires_at_ms: int = 0


@dataclass(frozen=True)
class Credits:
    """The app's balance, USD."""

    total: float
    prepaid: float
    free: float


def bot_of(item: Mapping[str, Any]) -> Bot:
    """A bot from X's fields."""
    expiry = item.get("expires_at") or item.get("token_expires_at_ms") or item.get("expiry") or 0
    return Bot(
        str(item.get("id", "")),
        str(item.get("username") or item.get("handle") or ""),
        str(item.get("name") or item.get("display_name") or ""),
        str(item.get("token") or ""),
        int(expiry) if str(expiry).isdigit() else 0,
    )


@dataclass
class AppApi:
    """Calls made with the app's bearer token."""

    base_url: str
    bearer: str
    session: requests.Session

    def _call(self, action: str, method: str, path: str, body: Any = None) -> Any:
        response = call_x(
            self.session,
            action,
            method,
            self.base_url.rstrip("/") + path,
            json=body,
            headers={"Authorization": f"Bearer {self.bearer}"},
            timeout=TIMEOUT,
        )
        return response.json() if response.content else {}

    def bots(self) -> tuple[list[Bot], int]:
        """The project's bots, and how many it may have (max_bots; 1 by default)."""
        answer = self._call("list the bots", "GET", "/2/bots")
        items = answer.get("data") or []
        return [bot_of(item) for item in items if isinstance(item, Mapping)], int(
            (answer.get("meta") or {}).get("max_bots") or 1
        )

    def create_bot(self, handle: str, name: str = "") -> Bot:
        """Create a bot (a known handle gives that bot a new token)."""
        body = {"handle": handle} | ({"display_name": name} if name else {})
        return bot_of(self._call("create the bot", "POST", "/2/bots", body).get("data") or {})

    def rotate_token(self, bot_id: str) -> Bot:
        """A new token for the bot (the old one stops working)."""
        return bot_of(self._call("rotate the bot's token", "POST", f"/2/bots/{bot_id}/token", {}).get("data") or {})

    def revoke_token(self, bot_id: str) -> None:
        """Revoke the bot's token (the bot stays)."""
        self._call("revoke the bot's token", "DELETE", f"/2/bots/{bot_id}/token")

    def set_dm_permission(self, bot_id: str, permission: str) -> Bot:
        """Who may DM the bot."""
        body = {"dm_permission": permission}
        return bot_of(self._call("set who may DM the bot", "PUT", f"/2/bots/{bot_id}", body).get("data") or {})

    def credits(self) -> Credits | str:
        """The app's credit balance, or why X did not tell it (it answers some apps 404; it allows 30 calls in 15 minutes)."""
        try:
            data = self._call("read the credit balance", "GET", "/2/usage/credits").get("data") or {}
        except XApiError as error:
            return "X answered 404" if error.status == NOT_FOUND else f"X answered {error.status or error.kind.value}"

        def usd(name: str) -> float:
            return float(data.get(name) or 0)

        return Credits(usd("total_balance"), usd("prepaid_balance"), usd("free_balance"))
