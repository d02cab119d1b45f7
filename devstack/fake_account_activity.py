"""The fake X's Account Activity side: webhooks (with a real CRC), subscriptions, replay, credentials.

v1.1 (with environment labels) and v2, answered as X does, error bodies included.
"""

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from devstack.x_answers import Answer, v2_error, x_error
from dmchannel.credentials import XCredentials

BEARER_TOKEN = "fake-app-bearer-token"
DM_ACCESS_LEVEL = "read-write-directmessages"


@dataclass
class AccountActivityFake:
    """Webhooks and subscriptions of one app and one bot account."""

    credentials: XCredentials
    env_labels: tuple[str, ...] = ("dev",)
    access_level: str = DM_ACCESS_LEVEL
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {url, valid, env}
    subscriptions: dict[str, set[str]] = field(default_factory=dict)  # webhook id -> user ids
    replays: list[dict[str, Any]] = field(default_factory=list)
    activity: dict[str, dict[str, Any]] = field(default_factory=dict)  # X Activity API subscriptions by id
    page_size: int = 1_000  # of the X Activity API's subscription list
    screen_names: dict[str, str] = field(default_factory=lambda: {"4337869213": "supportbot"})
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def crc_passes(self, url: str) -> bool:
        """GET the webhook with a crc_token and check its answer, as X does."""
        token = base64.urlsafe_b64encode(secrets.token_bytes(24)).decode().rstrip("=")
        digest = hmac.new(self.credentials.consumer_secret.encode(), token.encode(), hashlib.sha256).digest()
        expected = "sha256=" + base64.b64encode(digest).decode()
        try:
            answer = requests.get(url, params={"crc_token": token, "nonce": str(time.time_ns())}, timeout=3)
            return answer.status_code == 200 and answer.json().get("response_token") == expected
        except (requests.RequestException, ValueError, AttributeError):
            return False

    def route(self, method: str, url: str, headers: Mapping[str, str], signer: str | None, body: Any) -> Answer | None:
        """Answer a webhook or subscription request (signer: the account whose token signed it), or None."""
        user_signed = signer is not None
        path, query = urlsplit(url).path, parse_qs(urlsplit(url).query)
        app_signed = headers.get("Authorization", headers.get("authorization", "")) == f"Bearer {BEARER_TOKEN}"
        for pattern, handler, auth in self._routes():
            match = re.fullmatch(pattern, f"{method} {path}")
            if match:
                if (auth == "user" and not user_signed) or (auth == "app" and not app_signed):
                    return x_error(401, 32, "Could not authenticate you.")
                with self._lock:
                    return handler(*match.groups(), query=query, body=body, signer=signer)
        return None

    def _routes(self) -> list[tuple[str, Callable[..., Answer], str]]:
        v1 = r"/1\.1/account_activity/all/([^/]+)"
        return [
            (r"GET /1\.1/account/verify_credentials\.json", self._verify, "user"),
            (rf"POST {v1}/webhooks\.json", self._v1_register, "user"),
            (rf"GET {v1}/webhooks\.json", self._v1_list, "app"),
            (rf"PUT {v1}/webhooks/([0-9]+)\.json", self._v1_crc, "user"),
            (rf"DELETE {v1}/webhooks/([0-9]+)\.json", self._v1_delete, "user"),
            (rf"POST {v1}/subscriptions\.json", self._v1_subscribe, "user"),
            (rf"GET {v1}/subscriptions\.json", self._v1_subscribed, "user"),
            (rf"DELETE {v1}/subscriptions/([0-9]+)\.json", self._v1_unsubscribe, "app"),
            (r"GET /2/webhooks", self._v2_list, "app"),
            (r"POST /2/webhooks", self._v2_register, "app"),
            (r"POST /2/webhooks/replay", self._v2_replay, "app"),
            (r"PUT /2/webhooks/([0-9]+)", self._v2_crc, "app"),
            (r"DELETE /2/webhooks/([0-9]+)", self._v2_delete, "app"),
            (r"POST /2/account_activity/webhooks/([0-9]+)/subscriptions/all", self._v2_subscribe, "user"),
            (r"GET /2/account_activity/webhooks/([0-9]+)/subscriptions/all/list", self._v2_subscriptions, "app"),
            (r"DELETE /2/account_activity/webhooks/([0-9]+)/subscriptions/([0-9]+)/all", self._v2_unsubscribe, "app"),
            # X Activity API: creating a DM subscription needs the account's own user context; the rest, the app's.
            (r"POST /2/activity/subscriptions", self._xaa_subscribe, "user"),
            (r"GET /2/activity/subscriptions", self._xaa_list, "app"),
            (r"DELETE /2/activity/subscriptions/([0-9]+)", self._xaa_delete, "app"),
        ]

    def _verify(self, signer: str, **_: Any) -> Answer:
        name = self.screen_names.get(signer, f"bot{signer}")
        user = {"id": int(signer), "id_str": signer, "name": name.title(), "screen_name": name}
        return Answer(200, user, {"x-access-level": self.access_level})

    def _xaa_subscribe(self, body: Any, signer: str, **_: Any) -> Answer:
        body = body if isinstance(body, dict) else {}
        user_id = str((body.get("filter") or {}).get("user_id", ""))
        if body.get("event_type", "").startswith(("dm.", "chat.")) and user_id != signer:
            return v2_error(403, "Forbidden", "DM events can only be subscribed to with the account's own user context")
        if body.get("webhook_id") not in self.webhooks:
            return v2_error(400, "Invalid Request", "webhook_id does not exist")
        if not 1 <= len(str(body.get("tag", "x"))) <= 200:
            return v2_error(400, "Invalid Request", "tag must be 1 to 200 characters")
        for existing in self.activity.values():
            if (existing["event_type"], existing["filter"]["user_id"]) == (body.get("event_type"), user_id):
                return v2_error(409, "Conflict", "DuplicateSubscription")
        subscription_id = str(1_950_000_000_000_000_000 + len(self.activity) + 1)
        kept = {key: value for key, value in (body.get("filter") or {}).items() if key in ("direction", "qualifiers")}
        self.activity[subscription_id] = {"id": subscription_id, **body, "filter": {"user_id": user_id, **kept}}
        return Answer(200, {"data": {"subscription": self.activity[subscription_id]}})

    def _xaa_list(self, query: dict[str, list[str]], **_: Any) -> Answer:
        """A page of the subscriptions (of page_size, as X's 1,000), and the next page's token when there are more."""
        items = list(self.activity.values())
        start = int((query.get("pagination_token") or ["0"])[0])
        page = items[start : start + self.page_size]
        more = {"next_token": str(start + self.page_size)} if start + self.page_size < len(items) else {}
        return Answer(200, {"data": page, "meta": {"result_count": len(page)} | more})

    def _xaa_delete(self, subscription_id: str, **_: Any) -> Answer:
        if self.activity.pop(subscription_id, None) is None:
            return v2_error(404, "Not Found Error", "Subscription not found")
        return Answer(200, {"data": {"deleted": True}})

    def _hooks(self, env: str | None) -> list[dict[str, Any]]:
        return [
            {"id": i, **{k: v for k, v in w.items() if k != "env"}} for i, w in self.webhooks.items() if w["env"] == env
        ]

    def _new_hook(self, url: str, env: str | None) -> dict[str, Any]:
        hook_id = str(1_100_000_000_000_000_000 + len(self.webhooks) + 1)
        self.webhooks[hook_id] = {
            "url": url,
            "valid": True,
            "env": env,
            "created_timestamp": "2026-11-24 12:00:00 +0000",
        }
        return {"id": hook_id, **{k: v for k, v in self.webhooks[hook_id].items() if k != "env"}}

    def _env_problem(self, env: str) -> Answer | None:
        if env not in self.env_labels:
            return x_error(403, 200, f"Forbidden: there is no dev environment labelled {env}.")
        return None

    def _v1_register(self, env: str, query: dict[str, list[str]], **_: Any) -> Answer:
        url = query.get("url", [""])[0]
        if problem := self._env_problem(env):
            return problem
        if self._hooks(env):
            return x_error(403, 214, "Too many resources already created.")
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            return x_error(400, 214, "Webhook URL does not meet the requirements. Please use HTTPS.")
        if not self.crc_passes(url):
            return x_error(
                400, 214, "Webhook URL does not meet the requirements. Invalid CRC token or json response format."
            )
        return Answer(200, self._new_hook(url, env))

    def _v1_list(self, env: str, **_: Any) -> Answer:
        return self._env_problem(env) or Answer(200, self._hooks(env))

    def _revalidate(self, hook_id: str) -> bool:
        self.webhooks[hook_id]["valid"] = self.crc_passes(self.webhooks[hook_id]["url"])
        return bool(self.webhooks[hook_id]["valid"])

    def _v1_crc(self, env: str, hook_id: str, **_: Any) -> Answer:
        if hook_id not in self.webhooks:
            return x_error(404, 34, "Sorry, that page does not exist.")
        if not self._revalidate(hook_id):
            return x_error(
                400, 214, "Webhook URL does not meet the requirements. Invalid CRC token or json response format."
            )
        return Answer(204)

    def _v1_delete(self, env: str, hook_id: str, **_: Any) -> Answer:
        if self.webhooks.pop(hook_id, None) is None:
            return x_error(404, 34, "Sorry, that page does not exist.")
        self.subscriptions.pop(hook_id, None)
        return Answer(204)

    def _v1_subscribe(self, env: str, signer: str, **_: Any) -> Answer:
        hooks = self._hooks(env)
        if not hooks:
            return x_error(400, 214, "Webhook not found: register a webhook first.")
        subscribed = self.subscriptions.setdefault(hooks[0]["id"], set())
        if signer in subscribed:
            return x_error(409, 355, "Subscription already exists.")
        subscribed.add(signer)
        return Answer(204)

    def _v1_subscribed(self, env: str, signer: str, **_: Any) -> Answer:
        hooks = self._hooks(env)
        if hooks and signer in self.subscriptions.get(hooks[0]["id"], set()):
            return Answer(204)
        return x_error(404, 34, "Sorry, that page does not exist.")

    def _v1_unsubscribe(self, env: str, user_id: str, **_: Any) -> Answer:
        for hook in self._hooks(env):
            self.subscriptions.get(hook["id"], set()).discard(user_id)
        return Answer(204)

    def _v2_list(self, **_: Any) -> Answer:
        hooks = self._hooks(None)
        return Answer(200, {"data": hooks, "meta": {"result_count": len(hooks)}})

    def _v2_register(self, body: Any, **_: Any) -> Answer:
        url = str((body or {}).get("url", ""))
        if not self.crc_passes(url):
            return v2_error(400, "Invalid Request", f"CRC validation failed for {url}")
        return Answer(200, {"data": self._new_hook(url, None)})

    def _v2_crc(self, hook_id: str, **_: Any) -> Answer:
        if hook_id not in self.webhooks:
            return v2_error(404, "Not Found Error", "Webhook not found")
        return Answer(200, {"data": {"valid": self._revalidate(hook_id)}})

    def _v2_delete(self, hook_id: str, **_: Any) -> Answer:
        if self.webhooks.pop(hook_id, None) is None:
            return v2_error(404, "Not Found Error", "Webhook not found")
        return Answer(200, {"data": {"deleted": True}})

    def _v2_subscribe(self, hook_id: str, signer: str, **_: Any) -> Answer:
        if hook_id not in self.webhooks:
            return v2_error(404, "Not Found Error", "Webhook not found")
        self.subscriptions.setdefault(hook_id, set()).add(signer)
        return Answer(200, {"data": {"subscribed": True}})

    def _v2_subscriptions(self, hook_id: str, **_: Any) -> Answer:
        users = sorted(self.subscriptions.get(hook_id, set()))
        data = {"webhook_id": hook_id, "subscriptions": [{"user_id": user} for user in users]}
        return Answer(200, {"data": data})

    def _v2_unsubscribe(self, hook_id: str, user_id: str, **_: Any) -> Answer:
        self.subscriptions.get(hook_id, set()).discard(user_id)
        return Answer(200, {"data": {"subscribed": False}})

    def _v2_replay(self, body: Any, **_: Any) -> Answer:
        body = body or {}
        if body.get("webhook_id") not in self.webhooks:
            return v2_error(404, "Not Found Error", "Webhook not found")
        if not all(re.fullmatch(r"[0-9]{12}", str(body.get(key, ""))) for key in ("from_date", "to_date")):
            return v2_error(400, "Invalid Request", "from_date and to_date must be yyyymmddhhmm")
        self.replays.append(body)
        return Answer(
            200,
            {"created_at": "2026-11-24T12:00:00.000Z", "job_id": str(1_915_510_368_169_844_736 + len(self.replays))},
        )
