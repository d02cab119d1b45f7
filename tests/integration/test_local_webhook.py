"""`make run`'s /webhook: a body too large, malformed or never finished gets its 4xx, never a traceback or a hang."""

import socket
from collections.abc import Callable, Iterator
from types import ModuleType

import pytest
import requests

from devstack.conversations import Conversations
from devstack.deliveries import BOT_USER, USER, dm_delivery, dm_event, encode
from devstack.dev_credentials import DEV_CREDENTIALS
from devstack.lambda_runtime import LocalFunction
from devstack.local_api import make_server
from devstack.local_http import LocalRequestHandler, serve_in_background
from dmchannel.webhook.signature import SIGNATURE_HEADER, sign

Address = tuple[str, int]


@pytest.fixture
def conversations() -> Conversations:
    return Conversations()


@pytest.fixture
def local_api(
    load_function: Callable[..., ModuleType], conversations: Conversations, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Address]:
    """The local endpoint as `make run` serves it (the simulator's conversations included)."""
    monkeypatch.setattr(LocalRequestHandler, "body_seconds", 0.5)
    webhook = LocalFunction("webhook", load_function("webhook", "WebhookFunction"))
    server = make_server("127.0.0.1", 0, webhook, lambda _: {}, {}, conversations=conversations)
    serve_in_background(server)
    yield "127.0.0.1", server.server_address[1]
    server.shutdown()


def post(address: Address, body: bytes) -> requests.Response:
    headers = {SIGNATURE_HEADER: sign(DEV_CREDENTIALS.consumer_secret, body), "content-type": "application/json"}
    return requests.post(f"http://{address[0]}:{address[1]}/webhook", data=body, headers=headers, timeout=10)


def exchange(address: Address, request: bytes) -> bytes:
    """Send raw bytes (a request as no HTTP client would write it) and read the answer until the server closes."""
    with socket.create_connection(address, timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65_536):
            answer += chunk
        return answer


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"[" * 100_000, 400),
        (b'{"a": "\\ud800"}', 400),
        (b"\xff\xfe", 400),
        (b'"' + b"a" * 6_000_000 + b'"', 413),
        (b"a" * 12_000_000, 413),
    ],
    ids=["deep", "surrogate", "not utf-8", "6 MB", "12 MB, over API Gateway's limit"],
)
def test_bad_bodies_get_their_4xx_and_no_traceback(
    body: bytes,
    status: int,
    local_api: Address,
    conversations: Conversations,
    capsys: pytest.CaptureFixture[str],
) -> None:
    answer = post(local_api, body)
    assert answer.status_code == status
    assert "Traceback" not in capsys.readouterr().err
    assert conversations.thread(BOT_USER["id"], USER["id"]) == []


def test_a_good_delivery_is_still_kept_for_the_simulator(local_api: Address, conversations: Conversations) -> None:
    body = encode(dm_delivery([dm_event("50", USER["id"], BOT_USER["id"], "hello")], [USER]))
    assert post(local_api, body).json() == {"queued": 1}
    assert [m["text"] for m in conversations.thread(BOT_USER["id"], USER["id"])] == ["hello"]


@pytest.mark.parametrize(
    ("length", "status"),
    [("abc", 400), ("-1", 400), ("10485761", 413)],
    ids=["not a number", "negative", "over API Gateway's 10 MB"],
)
def test_a_content_length_that_cannot_be_read_is_answered_at_once(
    length: str, status: int, local_api: Address, capsys: pytest.CaptureFixture[str]
) -> None:
    request = f"POST /webhook HTTP/1.1\r\nHost: local\r\nContent-Length: {length}\r\n\r\n{{}}".encode()
    assert exchange(local_api, request).startswith(f"HTTP/1.1 {status} ".encode())
    assert "Traceback" not in capsys.readouterr().err


def test_a_body_shorter_than_its_content_length_is_not_waited_for_forever(
    local_api: Address, capsys: pytest.CaptureFixture[str]
) -> None:
    request = b"POST /webhook HTTP/1.1\r\nHost: local\r\nContent-Length: 100\r\n\r\n{}"
    with socket.create_connection(local_api, timeout=10) as connection:
        connection.sendall(request)  # and keeps the connection open, sending no more
        answer = connection.recv(65_536)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert "Traceback" not in capsys.readouterr().err
