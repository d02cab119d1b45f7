"""A stand-in for X's DM API on loopback: checks OAuth 1.0a signatures and X's limits, records DMs.

It answers like X, error bodies included, and can be told to fail the next calls.
"""

import base64
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from itertools import count
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from oauthlib.oauth1 import RequestValidator, ResourceEndpoint

from devstack.fake_account_activity import BEARER_TOKEN, DM_ACCESS_LEVEL, AccountActivityFake
from devstack.fake_x_app import AppFake
from devstack.fake_xchat import XChatFake
from devstack.local_http import LocalHTTPServer, LocalRequestHandler, json_or_none, serve_in_background, write_answer
from devstack.x_answers import Answer, v2_error, x_error
from dmchannel.credentials import XCredentials

SEND_PATH = "/1.1/direct_messages/events/new.json"
AUTHORIZE_PATH = "/i/oauth2/authorize"  # X's consent screen (on x.com; the fake serves it beside the API)
TYPING_PATH = "/1.1/direct_messages/indicate_typing.json"
MARK_READ_PATH = "/1.1/direct_messages/mark_read.json"
SEND_V2_ROUTE = "/2/dm_conversations/with/:participant_id/messages"
V2_SEND = re.compile(r"/2/dm_conversations/with/[0-9]+/messages")
MAX_TEXT, MAX_OPTIONS, MAX_LABEL, MAX_DESCRIPTION, MAX_METADATA = 10_000, 20, 36, 72, 1_000


class _Validator(RequestValidator):  # type: ignore[misc]
    """Accepts one app, and the access tokens of its accounts (token -> token secret)."""

    def __init__(self, credentials: XCredentials, tokens: Mapping[str, str]) -> None:
        super().__init__()
        self.credentials = credentials
        self.tokens = tokens
        self._nonces: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    enforce_ssl = False
    dummy_client = "dummy-client"
    dummy_access_token = "dummy-token"

    def check_client_key(self, client_key: str) -> bool:
        return bool(client_key)

    def check_access_token(self, request_token: str) -> bool:
        return bool(request_token)

    def check_nonce(self, nonce: str) -> bool:
        return bool(nonce)

    def validate_client_key(self, client_key: str, request: Any) -> bool:
        return client_key == self.credentials.consumer_key

    def validate_access_token(self, client_key: str, token: str, request: Any) -> bool:
        return token in self.tokens

    def validate_timestamp_and_nonce(self, client_key: str, timestamp: str, nonce: str, request: Any, **_: Any) -> bool:
        with self._lock:
            if (timestamp, nonce) in self._nonces:
                return False  # a replayed request
            self._nonces.add((timestamp, nonce))
        return True

    def validate_realms(self, *_: Any, **__: Any) -> bool:
        return True

    def get_client_secret(self, client_key: str, request: Any) -> str:
        return self.credentials.consumer_secret if client_key == self.credentials.consumer_key else "x"

    def get_access_token_secret(self, client_key: str, token: str, request: Any) -> str:
        return self.tokens.get(token, "x")


@dataclass
class SentDM:
    """A DM the fake accepted."""

    event_id: str
    recipient_id: str
    text: str
    options: list[dict[str, str]]
    created_ms: int
    sender_id: str = ""  # the account whose token signed the send


@dataclass
class _Failure:
    answer: Answer
    delay: float
    to: str = ""  # only a send to this user fails so (empty: any call)


def _recipient_of(body: bytes) -> str:
    """Whom a v1.1 DM send is to ("" when the body does not say)."""
    try:
        return str(json.loads(body)["event"]["message_create"]["target"]["recipient_id"])
    except (ValueError, KeyError, TypeError):
        return ""


@dataclass
class FakeX:
    """The fake's state: accepted DMs, calls, and failures to play next."""

    credentials: XCredentials
    # The app's other accounts: access token -> access token secret (the primary's comes with credentials).
    other_accounts: dict[str, str] = field(default_factory=dict)
    sent: list[SentDM] = field(default_factory=list)
    calls: list[tuple[str, int]] = field(default_factory=list)
    # (path, status) of the app's calls to every API, in order (not the simulated people's own, on XChat)
    every_call: list[tuple[str, int]] = field(default_factory=list)
    # X's send window, as v2 has (15 DMs per 15 minutes): (DMs, seconds); None is no window.
    send_window: tuple[int, float] | None = None
    answer_headers: dict[str, str] = field(default_factory=dict)  # added to every DM send X takes
    down_until: float = 0.0  # until then (by the fake's clock), every DM send is answered 503
    limited_until: float = 0.0  # until then, every DM send is answered 429 (X's window spent), its reset then
    credits_until: float = 0.0  # until then, every send (legacy or XChat) is refused for want of credits
    usage_capped: bool = False  # refused as X's monthly usage cap does (429 usage-capped), not 402
    clock: Callable[[], float] = time.time
    _window_start: float = 0.0
    _window_used: int = 0
    _window_headers: dict[str, str] = field(default_factory=dict)
    _late: list[float] = field(default_factory=list)
    _failures: dict[str, list[_Failure | None]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: "count[int]" = field(default_factory=lambda: count(1_900_000_000_000_000_001))

    def __post_init__(self) -> None:
        self.tokens = {self.credentials.access_token: self.credentials.access_token_secret, **self.other_accounts}
        self.endpoint = ResourceEndpoint(_Validator(self.credentials, self.tokens))
        self.account_activity = AccountActivityFake(self.credentials)
        self.app = AppFake(BEARER_TOKEN, clock=self.clock)
        self.xchat = XChatFake(self.clock)
        self.xchat.bot_of = self.app.bot_of  # a bot's token is its user context at the Chat API

    def fail_next(
        self,
        status: int,
        codes: tuple[int, ...] = (),
        *,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
        delay: float = 0,
        path: str = SEND_PATH,
        after: int = 0,
        to: str = "",
    ) -> None:
        """Answer the next calls to path (DM sends by default) with an error, or after a delay.

        after: let that many calls through first (they are answered as usual); to: fail only sends to that user
        (a batch's conversations are answered side by side: which one calls X first is not known).
        """
        body = {"errors": [{"code": code, "message": f"error {code}"} for code in codes]}
        failure = _Failure(Answer(status, body, dict(headers or {})), delay, to)
        with self._lock:
            self._failures.setdefault(path, []).extend([None] * after + [failure] * times)

    def answer_late(self, seconds: float, *, times: int = 1, after: int = 0) -> None:
        """Take the next DM sends as usual but answer them only after that long (a read timeout for the client)."""
        with self._lock:
            self._late.extend([0.0] * after + [seconds] * times)

    def _take_from_window(self) -> Answer | None:
        """Count one send in X's window; a 429 with X's headers when it is spent."""
        if self.send_window is None:
            return None
        limit, seconds = self.send_window
        now = self.clock()
        with self._lock:
            if now >= self._window_start + seconds:
                self._window_start, self._window_used = now, 0
            reset = str(int(self._window_start + seconds))
            if self._window_used >= limit:
                answer = x_error(429, 88, "Rate limit exceeded")
                answer.headers = {
                    "x-rate-limit-limit": str(limit),
                    "x-rate-limit-remaining": "0",
                    "x-rate-limit-reset": reset,
                }
                return answer
            self._window_used += 1
            self._window_headers = {
                "x-rate-limit-limit": str(limit),
                "x-rate-limit-remaining": str(limit - self._window_used),
                "x-rate-limit-reset": reset,
            }
        return None

    def _sent(self, answer: Answer) -> Answer:
        """A send X took, with its window's headers (late, when told to be)."""
        with self._lock:
            late = self._late.pop(0) if self._late else 0.0
        time.sleep(late)
        window = self._window_headers if self.send_window is not None else {}
        answer.headers = {**answer.headers, **window, **self.answer_headers}
        return answer

    @staticmethod
    def _is_send(path: str) -> bool:
        """Whether the path sends a DM: v1.1's, v2's, or an XChat message."""
        return (
            path == SEND_PATH
            or bool(V2_SEND.fullmatch(path))
            or (path.startswith("/2/chat/conversations/") and path.endswith("/messages"))
        )

    def _credits_refusal(self) -> Answer:
        """X's answer once the app's credits are spent (402), or its monthly usage cap (a 429 that is no rate limit)."""
        if self.usage_capped:
            problem = {"title": "UsageCapExceeded", "type": "https://api.x.com/2/problems/usage-capped"}
            body = problem | {"detail": "Monthly usage cap exceeded", "period": "Monthly"}
            return Answer(429, body, {"x-rate-limit-remaining": "100"})
        return Answer(402, {"title": "Payment Required", "detail": "Your credits are depleted", "status": 402})

    def _next_failure(self, path: str, recipient: str = "") -> Answer | None:
        if path in (SEND_PATH, SEND_V2_ROUTE) and self.clock() < self.down_until:
            return x_error(503, 131, "Internal error")
        if path in (SEND_PATH, SEND_V2_ROUTE) and self.clock() < self.limited_until:
            limited = x_error(429, 88, "Rate limit exceeded")
            limited.headers = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(self.limited_until))}
            return limited
        with self._lock:
            failures = self._failures.get(path) or []
            due = (n for n, failure in enumerate(failures) if failure is None or failure.to in ("", recipient))
            failure = failures.pop(index) if (index := next(due, None)) is not None else None
        if failure:
            time.sleep(failure.delay)
        return failure.answer if failure else None

    def handle(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> Answer:
        """Answer one request as X would, and note it among the app's calls (XChat's too) unless a person made it."""
        answer = self._answer(method, url, headers, body)
        person = self.xchat.user_of(headers)
        if person is None or person in {token.split("-", 1)[0] for token in self.tokens}:
            with self._lock:
                self.every_call.append((urlsplit(url).path, answer.status))
        return answer

    def _answer(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> Answer:
        path = urlsplit(url).path
        if method == "POST" and self.clock() < self.credits_until and self._is_send(path):
            refused = self._credits_refusal()
            with self._lock:
                self.calls.append((path, refused.status))
            return refused
        if method == "GET" and path == AUTHORIZE_PATH:
            return self._consent(url)
        chat = self.xchat.route(method, url, headers, body) or self.app.route(method, url, headers, json_or_none(body))
        if chat is not None:
            return chat
        # OAuth 1.0a, or an account's OAuth 2.0 user token (XChat's subscriptions are made with it)
        signer = self._signer(method, url, headers, body) or self.xchat.user_of(headers)
        valid = signer is not None
        activity = self.account_activity.route(method, url, headers, signer, json_or_none(body))
        if method == "POST" and path == "/oauth2/token":
            answer = self._bearer_token(headers)
        elif activity is not None:
            answer = activity
        elif not valid:
            answer = x_error(401, 32, "Could not authenticate you.")
        elif method == "POST" and V2_SEND.fullmatch(path):
            answer = (
                self._next_failure(SEND_V2_ROUTE, path.split("/")[4])
                or self._take_from_window()
                or self._send_v2(str(signer), path.split("/")[4], body)
            )
        elif method != "POST" or path not in (SEND_PATH, TYPING_PATH, MARK_READ_PATH):
            answer = x_error(404, 34, "Sorry, that page does not exist.")
        else:
            send = path == SEND_PATH
            answer = (
                self._next_failure(path, _recipient_of(body) if send else "")
                or (self._take_from_window() if send else None)
                or (self._send(str(signer), body) if send else self._courtesy(path, url))
            )
        with self._lock:
            self.calls.append((path, answer.status))
        return answer

    def _consent(self, url: str) -> Answer:
        """X's OAuth 2.0 consent screen, answered at once: the account named by user_id (the primary's by default)."""
        query = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
        if not (query.get("redirect_uri") and query.get("state")):
            return v2_error(400, "Invalid Request", "redirect_uri and state are required")
        code = self.xchat.issue_code(query.get("user_id", self.credentials.bot_user_id))
        return Answer(
            302, None, {"Location": f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"}
        )

    def _signer(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> str | None:
        """The account whose token signs the request (OAuth 1.0a), or None when no account's does."""
        authorization = headers.get("Authorization", headers.get("authorization", ""))
        if not authorization.startswith("OAuth "):
            return None
        valid, request = self.endpoint.validate_protected_resource_request(url, method, body or None, dict(headers))
        return str(request.resource_owner_key).split("-", 1)[0] if valid else None

    def _bearer_token(self, headers: Mapping[str, str]) -> Answer:
        """OAuth 2.0 client credentials: the app's key and secret in Basic auth."""
        pair = f"{self.credentials.consumer_key}:{self.credentials.consumer_secret}"
        if (
            headers.get("Authorization", headers.get("authorization"))
            != "Basic " + base64.b64encode(pair.encode()).decode()
        ):
            return x_error(403, 99, "Unable to verify your credentials")
        return Answer(200, {"token_type": "bearer", "access_token": BEARER_TOKEN})

    def _courtesy(self, path: str, url: str) -> Answer:
        query = parse_qs(urlsplit(url).query)
        needed = ["recipient_id"] + (["last_read_event_id"] if path == MARK_READ_PATH else [])
        if any(name not in query for name in needed):
            return x_error(400, 214, f"{', '.join(needed)} required")
        return Answer(204, None)

    def _send(self, sender_id: str, body: bytes) -> Answer:
        if self.account_activity.access_level != DM_ACCESS_LEVEL:
            return x_error(403, 93, "This application is not allowed to access or delete your direct messages.")
        try:
            create = json.loads(body)["event"]["message_create"]
            recipient_id = create["target"]["recipient_id"]
            data = create["message_data"]
        except (ValueError, KeyError, TypeError):
            return x_error(400, 214, "event parameter is missing or invalid.")
        problem = limit_problem(data)
        if problem:
            return x_error(400, 214, problem)
        options = data.get("quick_reply", {}).get("options", [])
        created = int(self.clock() * 1000)
        with self._lock:
            event_id = str(next(self._ids))
            self.sent.append(SentDM(event_id, recipient_id, data["text"], options, created, sender_id))
        event = {
            "type": "message_create",
            "id": event_id,
            "created_timestamp": str(created),
            "message_create": create,
        }
        return self._sent(Answer(200, {"event": event}))

    def _send_v2(self, sender_id: str, participant_id: str, body: bytes) -> Answer:
        """X API v2: text only (no quick replies), answered 201."""
        try:
            text = json.loads(body)["text"]
        except (ValueError, KeyError, TypeError):
            text = None
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT:
            return v2_error(400, "Invalid Request", f"text must be 1 to {MAX_TEXT} characters")
        created = int(self.clock() * 1000)
        with self._lock:
            event_id = str(next(self._ids))
            self.sent.append(SentDM(event_id, participant_id, text, [], created, sender_id))
        conversation = "-".join(sorted((sender_id, participant_id)))
        return self._sent(Answer(201, {"data": {"dm_conversation_id": conversation, "dm_event_id": event_id}}))


def limit_problem(data: Mapping[str, Any]) -> str | None:
    """What breaks X's limits in message_data, if anything."""
    text = data.get("text")
    if not isinstance(text, str) or not text or len(text) > MAX_TEXT:
        return f"text must be 1 to {MAX_TEXT} characters"
    quick_reply = data.get("quick_reply")
    if quick_reply is None:
        return None
    options = quick_reply.get("options", [])
    if quick_reply.get("type") != "options" or not 1 <= len(options) <= MAX_OPTIONS:
        return f"quick_reply must be of type options with 1 to {MAX_OPTIONS} options"
    for option in options:
        if not 1 <= len(option.get("label", "")) <= MAX_LABEL:
            return f"option label must be 1 to {MAX_LABEL} characters"
        if len(option.get("description", "")) > MAX_DESCRIPTION:
            return f"option description must be at most {MAX_DESCRIPTION} characters"
        if len(option.get("metadata", "")) > MAX_METADATA:
            return f"option metadata must be at most {MAX_METADATA} characters"
    return None


def _handler_class(fake: FakeX) -> type[BaseHTTPRequestHandler]:
    class Handler(LocalRequestHandler):
        def answer(self, method: str, body: bytes) -> None:
            url = f"http://{self.headers['Host']}{self.path}"
            answer = fake.handle(method, url, dict(self.headers.items()), body)
            payload = b"" if answer.body is None else json.dumps(answer.body).encode()
            json_type = {} if answer.body is None else {"Content-Type": "application/json; charset=utf-8"}
            write_answer(self, answer.status, {**answer.headers, **json_type}, payload)

    return Handler


def serve(fake: FakeX, host: str = "127.0.0.1", port: int = 0) -> LocalHTTPServer:
    """Start the fake in a background thread; the caller stops it with shutdown()."""
    server = LocalHTTPServer((host, port), _handler_class(fake))
    return serve_in_background(server)
