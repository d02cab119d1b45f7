"""The HTTP bot against a real local server speaking the Rasa REST protocol: good, slow, failing, malformed."""

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

from devstack.deliveries import BOT_USER, USER
from devstack.dev_credentials import SECOND_ACCOUNT, account_secret
from devstack.local_http import serve_in_background, write_answer
from dmchannel import credentials
from dmchannel.bots.base import BotError, Button, Reply, Turn
from dmchannel.bots.http import HttpBot
from tests.integration.conftest import Pipeline

TURN = Turn(
    sender_id="3001969357",
    text="Q&A please",
    account_id="4337869213",
    sender_name="Jordan",
    sender_screen_name="jordan",
)


@dataclass
class RasaServer:
    """A bot server whose next answer the test chooses; it records the requests."""

    status: int = 200
    body: bytes = b"[]"
    delay: float = 0
    trickle: float = 0  # seconds between the body's bytes
    hold_body: threading.Event | None = None  # the body waits, after the headers, until this is set
    keep_alive: bool = False  # HTTP/1.1, its connection kept open (a Rasa server's); else HTTP/1.0, closed
    finished: bool = False  # the whole answer was written
    requests: list[tuple[dict[str, str], Any]] = field(default_factory=list)
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # sent with every answer


@pytest.fixture
def rasa() -> Iterator[RasaServer]:
    state = RasaServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.requests.append((dict(self.headers.items()), json.loads(body)))
            time.sleep(state.delay)
            if state.hold_body:
                self.protocol_version = "HTTP/1.1" if state.keep_alive else "HTTP/1.0"
                self.send_response(state.status)
                self.send_header("Content-Length", str(len(state.body)))
                self.end_headers()
                self.wfile.flush()
                state.hold_body.wait(10)
                self.wfile.write(state.body)
                return
            if not state.trickle:
                write_answer(self, state.status, {"Content-Type": "application/json", **state.headers}, state.body)
                return
            self.send_response(state.status)
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            for byte in state.body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(state.trickle)
            state.finished = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    serve_in_background(server)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/rest/webhook"
    yield state
    server.shutdown()


def test_rasa_request_and_answer(rasa: RasaServer) -> None:
    rasa.body = json.dumps(
        [
            {"recipient_id": "3001969357", "text": "Hello!", "buttons": [{"title": "Menu", "payload": "/menu"}]},
            {"recipient_id": "3001969357", "image": "https://example.com/cat.png"},
            {"recipient_id": "3001969357", "custom": {"ignored": True}},
        ]
    ).encode()
    replies = HttpBot(rasa.url, lambda: "s3cret").answer(TURN)
    assert replies == [Reply("Hello!", (Button("Menu", "/menu"),)), Reply("https://example.com/cat.png")]
    headers, body = rasa.requests[0]
    assert headers["Authorization"] == "Bearer s3cret"
    assert body == {
        "sender": "4337869213-3001969357",  # the conversation: each account its own session with the bot
        "message": "Q&A please",
        "metadata": {
            "name": "Jordan",
            "screen_name": "jordan",
            "channel": "x",
            "user_id": "3001969357",
            "account_id": "4337869213",
        },
    }


def test_a_tap_sends_the_payload_and_attachments_are_described(rasa: RasaServer) -> None:
    turn = Turn(
        sender_id="1", text="Menu", button_payload="/menu", attachment_type="photo", attachment_url="https://x/p.jpg"
    )
    HttpBot(rasa.url).answer(turn)
    headers, body = rasa.requests[0]
    assert "Authorization" not in headers
    assert body["message"] == "/menu"
    assert body["metadata"]["attachment"] == {"type": "photo", "url": "https://x/p.jpg"}


def test_a_shared_location_and_a_videos_mp4_are_in_the_metadata(rasa: RasaServer) -> None:
    located = Turn(
        sender_id="1", text="", attachment_type="location", latitude=37.75, longitude=-122.4, place_name="SF"
    )
    watched = Turn(sender_id="1", text="watch", attachment_type="video", attachment_url="https://v/640.mp4")
    HttpBot(rasa.url).answer(located)
    HttpBot(rasa.url).answer(watched)
    (_, located_body), (_, watched_body) = rasa.requests
    assert located_body["metadata"]["location"] == {"latitude": 37.75, "longitude": -122.4, "place_name": "SF"}
    assert located_body["metadata"]["attachment"] == {"type": "location", "url": None}
    assert watched_body["metadata"]["attachment"] == {"type": "video", "url": "https://v/640.mp4"}
    assert "location" not in watched_body["metadata"]


@pytest.mark.parametrize(
    ("status", "body", "retryable"),
    [
        (500, b"oops", True),
        (503, b"[]", True),
        (429, b"[]", True),
        (404, b"[]", False),
        (400, b"{}", False),
        (200, b"not json", False),
        (200, b'{"text": "not a list"}', False),
        (200, b'["not an object"]', False),
    ],
)
def test_failures_are_sorted(rasa: RasaServer, status: int, body: bytes, retryable: bool) -> None:
    rasa.status, rasa.body = status, body
    with pytest.raises(BotError) as raised:
        HttpBot(rasa.url).answer(TURN)
    assert raised.value.retryable is retryable


def test_a_slow_bot_times_out_and_is_retryable(rasa: RasaServer) -> None:
    rasa.delay = 0.5
    with pytest.raises(BotError) as raised:
        HttpBot(rasa.url, timeout=0.1).answer(TURN)
    assert raised.value.retryable


def test_an_unreachable_bot_is_retryable() -> None:
    from devstack.stack_process import free_port  # noqa: PLC0415

    with pytest.raises(BotError) as raised:
        HttpBot(f"http://127.0.0.1:{free_port()}/").answer(TURN)
    assert raised.value.retryable


def test_the_timeout_is_for_the_whole_answer_not_each_read(rasa: RasaServer) -> None:
    rasa.body, rasa.trickle = b'[{"text": "' + b"x" * 100 + b'"}]', 0.05  # each read is quick; the whole, 5 s
    with pytest.raises(BotError) as raised:
        HttpBot(rasa.url, timeout=0.5).answer(TURN)
    assert raised.value.retryable
    assert not rasa.finished  # given up while the answer was still arriving


@pytest.mark.parametrize("keep_alive", [True, False], ids=["HTTP/1.1", "HTTP/1.0"])
def test_a_body_slower_than_what_is_left_of_the_timeout_ends_in_a_retryable_bot_error(
    rasa: RasaServer, keep_alive: bool
) -> None:
    rasa.delay, rasa.hold_body, rasa.keep_alive = (
        0.3,
        threading.Event(),
        keep_alive,
    )  # the headers take most of the time; the body never comes
    started = time.monotonic()
    with pytest.raises(BotError) as raised:
        HttpBot(rasa.url, timeout=0.5).answer(TURN)
    elapsed = time.monotonic() - started
    rasa.hold_body.set()
    assert raised.value.retryable and "timeout" in str(raised.value)
    print(f"gave up after {elapsed:.2f} s")  # about the timeout, not the headers' wait plus a whole timeout


def test_a_chunked_answer_whose_end_never_comes_in_time_is_a_retryable_bot_error() -> None:
    listener = socket.create_server(("127.0.0.1", 0))

    def answer_without_end() -> None:
        """The answer's one chunk at once, then a trailer line every 0.2 s, each well within the timeout."""
        with listener, listener.accept()[0] as connection:
            request = b""
            while b"\r\n\r\n" not in request:
                request += connection.recv(65_536)
            body = json.dumps([{"text": "hi"}]).encode()
            connection.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            connection.sendall(b"%x\r\n%s\r\n0\r\n" % (len(body), body))
            with suppress(OSError):
                for _ in range(20):
                    time.sleep(0.2)
                    connection.sendall(b"X-Later: 1\r\n")

    threading.Thread(target=answer_without_end, daemon=True).start()
    with pytest.raises(BotError) as raised:
        HttpBot(f"http://127.0.0.1:{listener.getsockname()[1]}/", timeout=0.5).answer(TURN)
    assert raised.value.retryable and "timeout" in str(raised.value)


def test_an_answer_too_large_is_refused(rasa: RasaServer) -> None:
    rasa.body = json.dumps([{"text": "x" * 1_100_000}]).encode()
    with pytest.raises(BotError) as raised:
        HttpBot(rasa.url).answer(TURN)
    assert not raised.value.retryable
    assert "bytes" in str(raised.value)


def test_a_null_payload_sends_the_title(rasa: RasaServer) -> None:
    rasa.body = json.dumps(
        [{"text": "Pick", "buttons": [{"title": "Menu", "payload": None}, {"title": "Help"}]}]
    ).encode()
    assert HttpBot(rasa.url).answer(TURN) == [Reply("Pick", (Button("Menu", "Menu"), Button("Help", "Help")))]


def test_each_account_has_its_own_bot_session_and_its_own_bot_token(
    rasa: RasaServer, pipeline: Callable[..., Pipeline]
) -> None:
    rasa.body = json.dumps([{"text": "Hi"}]).encode()
    flow = pipeline(BOT_KIND="http", BOT_URL=rasa.url)
    secrets = boto3.client("secretsmanager")
    stack_secret = flow.stack.refs["XCredentialsSecret"]
    value = json.loads(secrets.get_secret_value(SecretId=stack_secret)["SecretString"])
    secrets.put_secret_value(SecretId=stack_secret, SecretString=json.dumps(value | {"bot_token": "support-token"}))
    second = SECOND_ACCOUNT.bot_user_id
    secrets.create_secret(Name=f"x-dm-channel/accounts/{second}", SecretString=account_secret(SECOND_ACCOUNT, "sales"))
    flow.fake.tokens[SECOND_ACCOUNT.access_token] = SECOND_ACCOUNT.access_token_secret
    credentials.SECRETS.forget()
    flow.user_says("hello")
    flow.user_says("hello", account=second)
    while flow.poll().delivered:
        pass
    seen = {
        body["metadata"]["account_id"]: (body["sender"], headers.get("Authorization"))
        for headers, body in rasa.requests
    }
    assert seen == {
        BOT_USER["id"]: (f"{BOT_USER['id']}-{USER['id']}", "Bearer support-token"),
        second: (f"{second}-{USER['id']}", None),  # its own secret holds no bot token: none, never the stack's
    }


def test_a_cookie_the_bot_sets_never_goes_with_another_users_dm(rasa: RasaServer) -> None:
    rasa.body = b"[]"
    rasa.headers = {"Set-Cookie": "session=first-user; Path=/"}
    bot = HttpBot(rasa.url)
    bot.answer(TURN)
    bot.answer(replace(TURN, sender_id="222"))
    assert [headers.get("Cookie") for headers, _ in rasa.requests] == [None, None]
