"""X's Chat API on loopback: OAuth 2.0 user tokens, public keys, and conversations of framed, encrypted events.

It does what X does and no more: it never holds a private key and never decrypts. A
message the SDK encrypted and signed comes in as a ``MessageCreateEvent`` and its signature;
the fake frames it as X does, in a Thrift ``MessageEvent`` with the sequence id, message id,
sender, conversation and time (thrift/event.thrift, xdevplatform/chat-xdk), and keeps it in
the conversation. Refreshing a token rotates both tokens and invalidates the old ones.
"""

import base64
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import count
from typing import Any
from urllib.parse import parse_qs, urlsplit

from devstack.local_http import json_or_none
from devstack.x_answers import Answer, v2_error
from dmchannel.xchat.envelope import I32, STRING, STRUCT, Struct, ThriftError, decode_struct, encode_struct

TOKEN_SECONDS = 7_200  # X's access tokens live about 2 hours
REGISTRATIONS_PER_DAY = 3  # X allows only a few key registrations a day
MESSAGE_CREATE, KEY_CHANGE, FAILURE = 1, 3, 5  # MessageEventDetail's union fields
# FailureTypes and a RateLimitTier (thrift/event.thrift)
RECIPIENT_NOT_TRUSTED, RECIPIENT_KEY_HAS_CHANGED, RATE_LIMIT_UPSELL, PREMIUM = 7, 8, 12, 3
CHAT_ROUTE = "/2/chat/conversations/"
SETTINGS_ROUTE = "/2/chat/settings"
REQUESTS_ROUTE = "/2/chat/message_requests"
DEFAULT_SETTINGS = {"allow_dms_from": "everyone", "dm_receipt_settings": "all_enabled", "dm_quality_filter": "enabled"}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def conversation_of(one: str, other: str) -> str:
    """The one-to-one conversation id, as the SDK derives it (the lower user id first)."""
    return ":".join(sorted((one, other), key=int))


@dataclass
class ChatEvent:
    """One event X keeps in a conversation."""

    sequence_id: str
    message_id: str
    sender_id: str
    encoded_event: str  # base64 Thrift MessageEvent
    key_change: bool
    key_version: str = ""


@dataclass
class XChatFake:
    """The Chat API's state: tokens, registered keys, conversations, and the calls made."""

    clock: Callable[[], float] = time.time
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # access token -> (user id, expires at)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh token -> user id (single use)
    codes: dict[str, str] = field(default_factory=dict)  # authorization code -> user id
    public_keys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    registrations: dict[str, list[float]] = field(default_factory=dict)
    chat_settings: dict[str, dict[str, Any]] = field(default_factory=dict)  # user -> their chat settings
    conversations: dict[str, list[ChatEvent]] = field(default_factory=dict)
    calls: list[tuple[str, str, int]] = field(default_factory=list)  # (method, path, status)
    include_key_change: bool = True  # put the key-change event in the first delivery of each key version
    token_seconds: int = TOKEN_SECONDS
    on_message: Callable[[str, str, ChatEvent, str], None] | None = None  # (sender, recipient, event, key change)
    bot_of: Callable[[str], str | None] | None = None  # the Bots API bot whose live token it is, if any
    _sequence: "count[int]" = field(default_factory=lambda: count(1_000))
    _delivered_versions: set[tuple[str, str, str]] = field(default_factory=set)  # (recipient, conversation, key)
    _failures: dict[str, list[int | None]] = field(default_factory=dict)
    _late: list[float] = field(default_factory=list)
    groups: dict[str, set[str]] = field(default_factory=dict)  # group conversation id (g...) -> its members
    strangers: set[str] = field(default_factory=set)  # users whose first messages to an account wait as requests
    message_requests: dict[str, dict[str, str]] = field(default_factory=dict)  # account -> request id -> user
    _accepted: set[tuple[str, str]] = field(default_factory=set)  # (account, user) whose requests were accepted
    _undelivered: dict[str, list[int]] = field(default_factory=dict)  # sender -> FailureTypes of their next messages
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # Tokens ---------------------------------------------------------------------------------------
    def issue_tokens(self, user_id: str) -> dict[str, Any]:
        """A fresh token pair for the user (what the authorization code grant gives)."""
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[access] = (user_id, self.clock() + self.token_seconds)
            self.refresh_tokens[refresh] = user_id
        return {
            "token_type": "bearer",
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": self.token_seconds,
        }

    def issue_code(self, user_id: str) -> str:
        """An authorization code for the user, as X's consent screen would give one."""
        code = secrets.token_urlsafe(16)
        with self._lock:
            self.codes[code] = user_id
        return code

    def user_of(self, headers: Mapping[str, str]) -> str | None:
        """The user whose live OAuth 2.0 token (or Bots API bot token) authorizes the request."""
        authorization = headers.get("Authorization", headers.get("authorization", ""))
        token = authorization.removeprefix("Bearer ")
        with self._lock:
            user_id, expires = self.tokens.get(token, ("", 0.0))
        if user_id and expires > self.clock():
            return user_id
        return self.bot_of(token) if self.bot_of else None

    def fail_next(self, route: str, status: int, times: int = 1, *, after: int = 0) -> None:
        """Answer the next calls to a route ("messages", "events", "public_keys", "token") with an error.

        after: let that many calls through first.
        """
        with self._lock:
            self._failures.setdefault(route, []).extend([None] * after + [status] * times)

    def answer_late(self, seconds: float, *, times: int = 1, after: int = 0) -> None:
        """Take the next messages as usual but answer only after that long (a read timeout for the sender)."""
        with self._lock:
            self._late.extend([0.0] * after + [seconds] * times)

    def fail_delivery(self, sender_id: str, failure_type: int = RATE_LIMIT_UPSELL, *, times: int = 1) -> None:
        """Take the sender's next messages (201), then fail them: the recipient never sees them, the sender gets a Failure."""
        with self._lock:
            self._undelivered.setdefault(sender_id, []).extend([failure_type] * times)

    def _failure(self, route: str) -> Answer | None:
        with self._lock:
            pending = self._failures.get(route)
            status = pending.pop(0) if pending else None
        return v2_error(status, "Failure", f"told to fail ({route})") if status else None

    def _token(self, body: bytes) -> Answer:
        form = {name: values[0] for name, values in parse_qs(body.decode()).items()}
        failure = self._failure("token")
        if failure:
            return failure
        with self._lock:
            if form.get("grant_type") == "refresh_token":
                user_id = self.refresh_tokens.pop(form.get("refresh_token", ""), "")
                if user_id:  # the old pair dies with the refresh: a second use of it fails
                    self.tokens = {token: owner for token, owner in self.tokens.items() if owner[0] != user_id}
            elif form.get("grant_type") == "authorization_code" and form.get("code_verifier"):
                user_id = self.codes.pop(form.get("code", ""), "")
            else:
                user_id = ""
        if not user_id:
            return Answer(
                400, {"error": "invalid_request", "error_description": "Value passed for the token was invalid."}
            )
        return Answer(
            200, self.issue_tokens(user_id) | {"scope": "dm.read dm.write tweet.read users.read offline.access"}
        )

    # Routes ---------------------------------------------------------------------------------------
    def route(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> Answer | None:
        """Answer a Chat API or OAuth 2.0 token request, or None when the path is not one."""
        path = urlsplit(url).path
        if method == "POST" and path == "/2/oauth2/token":
            answer = self._token(body)
        elif method == "GET" and path == "/2/users/me":
            answer = self._authorized(
                headers, lambda user: Answer(200, {"data": {"id": user, "username": f"user{user}"}})
            )
        elif path.endswith("/public_keys") and path.startswith("/2/users/"):
            answer = self._authorized(headers, lambda user: self._keys(method, path.split("/")[3], user, body))
        elif path == SETTINGS_ROUTE:
            answer = self._authorized(headers, lambda user: self._settings(method, user, body))
        elif path.startswith(REQUESTS_ROUTE):
            query = parse_qs(urlsplit(url).query)
            answer = self._authorized(headers, lambda user: self._requests(method, path, user, query))
        elif path.startswith(CHAT_ROUTE):
            answer = self._authorized(headers, lambda user: self._chat(method, path[len(CHAT_ROUTE) :], user, body))
        else:
            return None
        with self._lock:
            self.calls.append((method, path, answer.status))
        return answer

    def _settings(self, method: str, user_id: str, body: bytes) -> Answer:
        """A user's chat settings; a PUT must send every field again (X answers 400 otherwise)."""
        current = self.chat_settings.setdefault(user_id, dict(DEFAULT_SETTINGS))
        if method == "GET":
            return Answer(200, {"data": current})
        wanted = json_or_none(body)
        if method != "PUT" or not isinstance(wanted, dict) or set(wanted) != set(current):
            return v2_error(400, "Invalid Request", "send every chat setting")
        current.update(wanted)
        return Answer(200, {"data": current})

    def _requests(self, method: str, path: str, account_id: str, query: Mapping[str, list[str]]) -> Answer:
        """Pending message requests: listed with an empty first page (X says one may come), accepted by id."""
        with self._lock:
            pending = dict(self.message_requests.get(account_id, {}))
            if method == "GET" and path == REQUESTS_ROUTE:
                if pending and not query.get("pagination_token"):
                    return Answer(200, {"data": [], "meta": {"result_count": 0, "next_token": "rest"}})
                data = [
                    {"id": request_id, "sender_id": user, "conversation_id": conversation_of(account_id, user)}
                    for request_id, user in pending.items()
                ]
                return Answer(200, {"data": data, "meta": {"result_count": len(data)}})
            request_id = path.removeprefix(REQUESTS_ROUTE + "/").removesuffix("/accept")
            if method != "POST" or not path.endswith("/accept") or request_id not in pending:
                return v2_error(404, "Not Found", "no pending message request")
            self._accepted.add((account_id, self.message_requests[account_id].pop(request_id)))
        return Answer(200, {"data": {"accepted": True}})

    def _authorized(self, headers: Mapping[str, str], handle: Callable[[str], Answer]) -> Answer:
        user_id = self.user_of(headers)
        if user_id is None:
            return v2_error(401, "Unauthorized", "Unauthorized")
        return handle(user_id)

    def _keys(self, method: str, owner: str, user_id: str, body: bytes) -> Answer:
        if method == "GET":
            failure = self._failure("public_keys")
            keys = self.public_keys.get(owner)
            return failure or (Answer(200, {"data": keys}) if keys else v2_error(404, "Not Found", "no public key"))
        if method != "POST" or owner != user_id:
            return v2_error(403, "Forbidden", "a user registers only their own keys")
        now = self.clock()
        with self._lock:
            recent = [at for at in self.registrations.get(owner, []) if at > now - 86_400]
            if len(recent) >= REGISTRATIONS_PER_DAY:
                return v2_error(429, "Too Many Requests", "public key registrations exhausted")
            self.registrations[owner] = [*recent, now]
        request = json_or_none(body)
        key = request.get("public_key") if isinstance(request, dict) else None
        if not isinstance(key, dict) or not key.get("signing_public_key") or not key.get("public_key"):
            return v2_error(400, "Invalid Request", "public_key is required")
        version = self.register(owner, key, str(request.get("version") or int(now * 1000)))
        return Answer(201, {"data": {"public_key_version": version}})

    def register(self, user_id: str, public_key: Mapping[str, Any], version: str) -> str:
        """Register a key for a user (through the API, or directly: a simulated user's, or a bot's in the local stack)."""
        names = ("public_key", "signing_public_key", "identity_public_key_signature")
        entry = {name: public_key[name] for name in names}
        with self._lock:
            self.public_keys[user_id] = [{**entry, "public_key_version": version}]
        return version

    def _members(self, conversation: str, user_id: str, action: str, request: Any) -> list[str]:
        """A conversation's participants: the two of a one-to-one, or those a group's key changes gave its key to."""
        if not conversation.startswith("g"):
            return conversation.split(":")
        with self._lock:
            members = self.groups.setdefault(conversation, {user_id})
            if action == "keys" and isinstance(request, dict):
                members.update(str(k.get("user_id")) for k in request.get("conversation_participant_keys") or [])
            return sorted(members)

    def _chat(self, method: str, rest: str, user_id: str, body: bytes) -> Answer:
        other, _, action = rest.partition("/")
        other = other.replace("-", ":")
        conversation = other if ":" in other or other.startswith("g") else conversation_of(user_id, other)
        request = json_or_none(body)
        members = self._members(conversation, user_id, action, request)
        if user_id not in members:
            return v2_error(403, "Forbidden", "not a participant of the conversation")
        recipients = [member for member in members if member != user_id] or [user_id]
        if method == "GET" and action == "events":
            return self._failure("events") or self._events(conversation)
        if method == "POST" and action in ("read", "typing"):
            return Answer(200, {"data": {"success": True}})
        if method == "POST" and action == "keys":
            return self._key_change(user_id, conversation, request)
        if method == "POST" and action == "messages":
            return self._failure("messages") or self._message(user_id, recipients, conversation, request)
        return v2_error(404, "Not Found", "no such route")

    def _events(self, conversation: str) -> Answer:
        with self._lock:
            events = list(self.conversations.get(conversation, []))
        data = [{"encoded_event": e.encoded_event, "sequence_id": e.sequence_id} for e in events if not e.key_change]
        key_events = [e.encoded_event for e in events if e.key_change]
        return Answer(200, {"data": data, "meta": {"conversation_key_events": key_events, "result_count": len(data)}})

    def _frame(
        self, message_id: str, sender_id: str, conversation: str, detail: Struct, signature: Struct
    ) -> tuple[str, str]:
        sequence_id = str(next(self._sequence))
        event = {
            1: (STRING, sequence_id),
            2: (STRING, message_id),
            3: (STRING, sender_id),
            4: (STRING, conversation),
            6: (STRING, str(int(self.clock() * 1000))),
            7: (STRUCT, detail),
            9: (STRUCT, signature),
        }
        return sequence_id, _b64(encode_struct(event))

    def _key_change(self, user_id: str, conversation: str, request: Any) -> Answer:
        try:
            signed = request["action_signatures"][0]
            signature = signed["message_event_signature"]
            detail = decode_struct(base64.b64decode(signed["encoded_message_event_detail"]))
        except (KeyError, IndexError, TypeError, ValueError, ThriftError):
            return v2_error(400, "Invalid Request", "a signed conversation key change is required")
        fields = ("signature", "public_key_version", "signature_version", "signing_public_key")
        signature_struct = {number: (STRING, str(signature.get(name, ""))) for number, name in enumerate(fields, 1)}
        with self._lock:
            sequence_id, encoded = self._frame(
                str(signed["message_id"]), user_id, conversation, detail, signature_struct
            )
            event = ChatEvent(
                sequence_id,
                str(signed["message_id"]),
                user_id,
                encoded,
                True,
                str(request.get("conversation_key_version", "")),
            )
            self.conversations.setdefault(conversation, []).append(event)
        return Answer(201, {"data": {"conversation_id": conversation, "sequence_id": sequence_id}})

    def _message(self, sender_id: str, recipients: list[str], conversation: str, request: Any) -> Answer:
        try:
            message_id = str(request["message_id"])
            create = decode_struct(base64.b64decode(request["encoded_message_create_event"]))
            signature = decode_struct(base64.b64decode(request["encoded_message_event_signature"]))
        except (KeyError, TypeError, ValueError, ThriftError):
            return v2_error(400, "Invalid Request", "message_id and the encoded event and signature are required")
        version = create.get(101, (STRING, b""))[1]
        key_version = version.decode() if isinstance(version, bytes) else ""
        with self._lock:
            events = self.conversations.setdefault(conversation, [])
            if any(event.message_id == message_id for event in events):
                return v2_error(409, "Conflict", "a message with this id was already sent")  # never shown twice
            if self._undelivered.get(sender_id):
                return self._fail_after_taking(sender_id, recipients[0], conversation, message_id)
            sequence_id, encoded = self._frame(
                message_id, sender_id, conversation, {MESSAGE_CREATE: (STRUCT, create)}, signature
            )
            event = ChatEvent(sequence_id, message_id, sender_id, encoded, False, key_version)
            events.append(event)
            key_changes = [e for e in events if e.key_change and e.key_version == key_version]
        for recipient in recipients:
            with self._lock:
                first = (recipient, conversation, key_version) not in self._delivered_versions
                self._delivered_versions.add((recipient, conversation, key_version))
            key_change = key_changes[-1].encoded_event if key_changes and first and self.include_key_change else ""
            if not self._held_as_request(sender_id, recipient) and self.on_message:
                self.on_message(sender_id, recipient, event, key_change)
        with self._lock:
            late = self._late.pop(0) if self._late else 0.0
        time.sleep(late)
        return Answer(201, {"data": {"message_id": message_id, "sequence_id": sequence_id}})

    def _held_as_request(self, sender_id: str, recipient: str) -> bool:
        """A stranger's message waits in the recipient's requests until accepted, never delivered to its webhook."""
        with self._lock:
            if sender_id not in self.strangers or (recipient, sender_id) in self._accepted:
                return False
            requests = self.message_requests.setdefault(recipient, {})
            if sender_id not in requests.values():
                requests[f"mr{next(self._sequence)}"] = sender_id
            return True

    def _fail_after_taking(self, sender_id: str, recipient: str, conversation: str, message_id: str) -> Answer:
        """A 201, then a Failure event to the sender (unsigned, with an id of its own, as in X's test vectors)."""
        failure_type = self._undelivered[sender_id].pop(0)
        detail: Struct = {1: (I32, failure_type)} | ({2: (I32, PREMIUM)} if failure_type == RATE_LIMIT_UPSELL else {})
        failure_id = f"failure-{secrets.token_hex(6)}"
        sequence_id, encoded = self._frame(failure_id, recipient, conversation, {FAILURE: (STRUCT, detail)}, {})
        if self.on_message:
            self.on_message(recipient, sender_id, ChatEvent(sequence_id, failure_id, recipient, encoded, False), "")
        return Answer(201, {"data": {"message_id": message_id, "sequence_id": sequence_id}})

    def messages(self, conversation: str) -> list[ChatEvent]:
        """The conversation's messages (not its key changes), oldest first."""
        with self._lock:
            return [event for event in self.conversations.get(conversation, []) if not event.key_change]


def chat_delivery(
    account_id: str, sender_id: str, event: ChatEvent, key_change: str, created_ms: int
) -> dict[str, Any]:
    """The X Activity API's ``chat.received`` delivery of one message to account_id."""
    payload = {
        "id": event.message_id,
        "sender_id": sender_id,
        "created_at_msec": str(created_ms),
        "conversation_id": conversation_of(account_id, sender_id).replace(":", "-"),
        "conversation_key_version": event.key_version,
        "encoded_event": event.encoded_event,
        "conversation_token": "",
        "message_event_signature": "",
    } | ({"conversation_key_change_event": key_change} if key_change else {})
    return {
        "data": {
            "event_uuid": f"-{event.sequence_id}",
            "filter": {"user_id": account_id},
            "event_type": "chat.received",
            "tag": "x-dm-channel",
            "payload": payload,
        }
    }
