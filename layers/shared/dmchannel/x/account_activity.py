"""X's webhook and subscription calls: Account Activity API (v1.1 with an environment label, and v2), X Activity API.

Used by the `x-dm-channel` command and by the scheduled webhook check.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests
from requests_oauthlib import OAuth1

from dmchannel.credentials import XCredentials
from dmchannel.x.endpoints import DEFAULT_BASE_URL
from dmchannel.x.errors import ErrorKind, XApiError
from dmchannel.x.transport import CONNECT_TIMEOUT, call_x

TIMEOUT = (CONNECT_TIMEOUT, 30.0)  # registration waits for X's CRC of the webhook
NOT_FOUND_CODE = 34
MAX_PAGES = 100  # of subscriptions listed (X's pages hold up to 1,000)


@dataclass(frozen=True)
class Webhook:
    """A webhook as X holds it."""

    id: str
    url: str
    valid: bool


@dataclass(frozen=True)
class ActivitySubscription:
    """An X Activity API subscription: one event type of one account, delivered to a webhook."""

    id: str
    event_type: str
    user_id: str
    webhook_id: str
    tag: str
    qualifiers: str = ""  # the filter's predicates, as X holds them


def subscriptions_in(answer: Any) -> list[ActivitySubscription]:
    """The subscriptions in an answer: X's pages show them under data, data.subscription, or data as a list."""
    data = answer.get("data") if isinstance(answer, Mapping) else None
    if isinstance(data, Mapping) and isinstance(data.get("subscription"), Mapping):
        data = data["subscription"]
    items = data if isinstance(data, list) else [data] if isinstance(data, Mapping) else []
    return [
        ActivitySubscription(
            id=str(item.get("id") or item.get("subscription_id") or ""),
            event_type=str(item.get("event_type", "")),
            user_id=str((item.get("filter") or {}).get("user_id", "")),
            webhook_id=str(item.get("webhook_id", "")),
            tag=str(item.get("tag", "")),
            qualifiers=str((item.get("filter") or {}).get("qualifiers", "")),
        )
        for item in items
        if isinstance(item, Mapping)
    ]


@dataclass
class AccountActivity:
    """The webhook and the bot account's subscription, through v1.1 (with env_label) or v2."""

    credentials: XCredentials
    api: str = "v1.1"
    env_label: str = ""
    base_url: str = DEFAULT_BASE_URL
    session: requests.Session = field(default_factory=requests.Session)
    user_token: str = field(default="", repr=False)  # the account's OAuth 2.0 token, which XChat's events need
    _bearer: str | None = None

    def __post_init__(self) -> None:
        if self.api == "v1.1" and not self.env_label:
            raise ValueError("the v1.1 Account Activity API needs the environment label (--env)")
        c = self.credentials
        self._user = OAuth1(c.consumer_key, c.consumer_secret, c.access_token, c.access_token_secret)

    def _call(self, action: str, method: str, path: str, *, app: bool = False, **options: Any) -> Any:
        """Make one call (as the bot account, or as the app with app=True); return its JSON, if any."""
        response = self._request(action, method, path, app=app, **options)
        return response.json() if response.content else None

    def _request(self, action: str, method: str, path: str, *, app: bool, **options: Any) -> requests.Response:
        auth: Any = self._user
        bearer = self.bearer_token() if app else self.user_token
        if bearer:
            options["headers"] = {**options.get("headers", {}), "Authorization": f"Bearer {bearer}"}
            auth = None
        return call_x(
            self.session, action, method, self.base_url.rstrip("/") + path, auth=auth, timeout=TIMEOUT, **options
        )

    def bearer_token(self) -> str:
        """The app-only bearer token (OAuth 2.0 client credentials), fetched once."""
        if self._bearer is None:
            answer = call_x(
                self.session,
                "get the app's bearer token",
                "POST",
                self.base_url.rstrip("/") + "/oauth2/token",
                data={"grant_type": "client_credentials"},
                auth=(self.credentials.consumer_key, self.credentials.consumer_secret),
                timeout=TIMEOUT,
            )
            self._bearer = str(answer.json()["access_token"])
        return self._bearer

    def _v1(self, path: str = "") -> str:
        return f"/1.1/account_activity/all/{self.env_label}{path}"

    def verify_credentials(self) -> tuple[Mapping[str, Any], str]:
        """The bot account, and the app's access level (X's x-access-level header)."""
        response = self._request("check the credentials", "GET", "/1.1/account/verify_credentials.json", app=False)
        return response.json(), response.headers.get("x-access-level", "")

    def webhooks(self) -> list[Webhook]:
        """The app's webhooks (for v1.1, in the environment)."""
        if self.api == "v2":
            answer = self._call("list the webhooks", "GET", "/2/webhooks", app=True) or {}
            items = answer.get("data", [])
        else:
            items = self._call("list the webhooks", "GET", self._v1("/webhooks.json"), app=True) or []
        return [Webhook(str(w["id"]), str(w["url"]), bool(w.get("valid", False))) for w in items]

    def register(self, url: str) -> Webhook:
        """Register the URL (X runs a CRC against it first)."""
        if self.api == "v2":
            item = self._call("register the webhook", "POST", "/2/webhooks", json={"url": url}, app=True)["data"]
        else:
            item = self._call("register the webhook", "POST", self._v1("/webhooks.json"), params={"url": url})
        return Webhook(str(item["id"]), str(item["url"]), bool(item.get("valid", True)))

    def trigger_crc(self, webhook_id: str) -> None:
        """Ask X to validate the webhook again now (a CRC)."""
        if self.api == "v2":
            self._call("re-validate the webhook", "PUT", f"/2/webhooks/{webhook_id}", app=True)
        else:
            self._call("re-validate the webhook", "PUT", self._v1(f"/webhooks/{webhook_id}.json"))

    def delete(self, webhook_id: str) -> None:
        """Delete a webhook."""
        if self.api == "v2":
            self._call("delete the webhook", "DELETE", f"/2/webhooks/{webhook_id}", app=True)
        else:
            self._call("delete the webhook", "DELETE", self._v1(f"/webhooks/{webhook_id}.json"))

    def subscribe(self, webhook_id: str = "") -> None:
        """Subscribe the bot account (the one whose tokens sign) to its events."""
        if self.api == "v2":
            self._call("subscribe the account", "POST", f"/2/account_activity/webhooks/{webhook_id}/subscriptions/all")
        else:
            self._call("subscribe the account", "POST", self._v1("/subscriptions.json"))

    def subscriptions(self, webhook_id: str = "") -> list[str]:
        """The user ids subscribed (v1.1 can only tell whether the bot account is)."""
        if self.api == "v2":
            path = f"/2/account_activity/webhooks/{webhook_id}/subscriptions/all/list"
            data = (self._call("list the subscriptions", "GET", path, app=True) or {}).get("data", {})
            return [str(s["user_id"]) for s in data.get("subscriptions", [])]
        try:
            self._call("check the subscription", "GET", self._v1("/subscriptions.json"))
        except XApiError as error:
            if NOT_FOUND_CODE in error.codes:  # X's "not subscribed"
                return []
            raise
        return [self.credentials.bot_user_id]

    def unsubscribe(self, webhook_id: str = "") -> None:
        """Remove the bot account's subscription."""
        user_id = self.credentials.bot_user_id
        if self.api == "v2":
            path = f"/2/account_activity/webhooks/{webhook_id}/subscriptions/{user_id}/all"
            self._call("unsubscribe the account", "DELETE", path, app=True)
        else:
            self._call("unsubscribe the account", "DELETE", self._v1(f"/subscriptions/{user_id}.json"), app=True)

    def replay(self, webhook_id: str, since: datetime, until: datetime) -> str:
        """Ask X (v2) to deliver the events between two UTC times again; return the replay job id."""
        body = {
            "webhook_id": webhook_id,
            "from_date": since.strftime("%Y%m%d%H%M"),
            "to_date": until.strftime("%Y%m%d%H%M"),
        }
        answer = self._call("start the replay", "POST", "/2/webhooks/replay", json=body, app=True) or {}
        return str(answer.get("job_id") or answer.get("data", {}).get("job_id", ""))

    def subscribe_activity(
        self, webhook_id: str, tag: str, event_type: str = "dm.received", qualifiers: str = "", user_id: str = ""
    ) -> ActivitySubscription:
        """Subscribe the account (whose token signs: DM events are private) to an X Activity API event type.

        qualifiers: X's filter predicates (``conversation_type:one_to_one``; which X takes is unconfirmed);
        user_id: the account, when the token that signs is not the credentials' (a Bots API bot's).
        """
        account = user_id or self.credentials.bot_user_id
        body = {
            "event_type": event_type,
            "filter": {"user_id": account} | ({"qualifiers": qualifiers} if qualifiers else {}),
            "webhook_id": webhook_id,
            "tag": tag,
        }
        answer = self._call("create the X Activity API subscription", "POST", "/2/activity/subscriptions", json=body)
        created = subscriptions_in(answer)
        if not created:
            raise XApiError(
                ErrorKind.PERMANENT, "create the X Activity API subscription", f"unreadable answer: {answer}"
            )
        return created[0]

    def activity_subscriptions(self) -> list[ActivitySubscription]:
        """The app's X Activity API subscriptions, every page of them."""
        found: list[ActivitySubscription] = []
        token = ""
        for _ in range(MAX_PAGES):
            params = {"pagination_token": token} if token else {}
            answer = self._call(
                "list the X Activity API subscriptions", "GET", "/2/activity/subscriptions", app=True, params=params
            )
            found += subscriptions_in(answer)
            token = str(((answer or {}).get("meta") or {}).get("next_token") or "")
            if not token:
                break
        return found

    def unsubscribe_activity(self, subscription_id: str) -> None:
        """Delete one X Activity API subscription."""
        path = f"/2/activity/subscriptions/{subscription_id}"
        self._call("delete the X Activity API subscription", "DELETE", path, app=True)
