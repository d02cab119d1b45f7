"""The X client over real HTTP against the fake X, which checks each OAuth 1.0a signature."""

import time
from dataclasses import replace

import pytest
import requests

from devstack.dev_credentials import DEV_CREDENTIALS
from devstack.fake_x import SEND_PATH, FakeX
from devstack.stack_process import free_port
from dmchannel.x.direct_messages import XClient, message_body
from dmchannel.x.errors import ErrorKind, XApiError
from dmchannel.x.message import Option, OutboundMessage

CREDENTIALS = DEV_CREDENTIALS


def test_body_matches_xs_message_create() -> None:
    message = OutboundMessage("Pick one", (Option("Hours", "intent:hours"), Option("Long…", "p", "Long title")))
    assert message_body("42", message) == {
        "event": {
            "type": "message_create",
            "message_create": {
                "target": {"recipient_id": "42"},
                "message_data": {
                    "text": "Pick one",
                    "quick_reply": {
                        "type": "options",
                        "options": [
                            {"label": "Hours", "metadata": "intent:hours"},
                            {"label": "Long…", "metadata": "p", "description": "Long title"},
                        ],
                    },
                },
            },
        }
    }


def test_send_is_signed_and_recorded(fake_x: tuple[FakeX, str]) -> None:
    fake, url = fake_x
    client = XClient(CREDENTIALS, url)
    sent = client.send_dm("3001969357", OutboundMessage("héllo & 👋", (Option("A", "a"),)))
    assert fake.sent[0].event_id == sent.event_id
    assert (sent.remaining, sent.reset) == (None, None)  # no window announced
    assert (fake.sent[0].recipient_id, fake.sent[0].text) == ("3001969357", "héllo & 👋")
    client.indicate_typing("3001969357")
    client.mark_read("3001969357", "123")
    assert fake.calls == [
        (SEND_PATH, 200),
        ("/1.1/direct_messages/indicate_typing.json", 204),
        ("/1.1/direct_messages/mark_read.json", 204),
    ]


def test_wrong_secret_is_refused_by_the_signature_check(fake_x: tuple[FakeX, str]) -> None:
    fake, url = fake_x
    forged = replace(DEV_CREDENTIALS, access_token_secret="guess")
    with pytest.raises(XApiError) as raised:
        XClient(forged, url).send_dm("1", OutboundMessage("hi"))
    assert (raised.value.kind, raised.value.status, raised.value.codes) == (ErrorKind.PERMANENT, 401, (32,))
    assert fake.sent == []


@pytest.mark.parametrize(
    ("status", "codes", "kind"),
    [
        (429, (88,), ErrorKind.RATE_LIMITED),
        (420, (88,), ErrorKind.RATE_LIMITED),
        (500, (131,), ErrorKind.TRANSIENT),
        (503, (130,), ErrorKind.TRANSIENT),
        (403, (150,), ErrorKind.PERMANENT),
        (403, (349,), ErrorKind.PERMANENT),
        (401, (89,), ErrorKind.PERMANENT),
        (400, (215,), ErrorKind.PERMANENT),
        (403, (226,), ErrorKind.PERMANENT),
        (403, (326,), ErrorKind.PERMANENT),
    ],
)
def test_errors_are_sorted_by_code(
    fake_x: tuple[FakeX, str], status: int, codes: tuple[int, ...], kind: ErrorKind
) -> None:
    fake, url = fake_x
    fake.fail_next(status, codes, headers={"x-rate-limit-reset": "1795525200"})
    with pytest.raises(XApiError) as raised:
        XClient(CREDENTIALS, url).send_dm("1", OutboundMessage("hi"))
    assert (raised.value.kind, raised.value.codes) == (kind, codes)
    if kind is ErrorKind.RATE_LIMITED:
        assert raised.value.retry_at == 1795525200


def test_over_limit_message_is_refused_by_the_fake(fake_x: tuple[FakeX, str]) -> None:
    _, url = fake_x
    with pytest.raises(XApiError) as raised:
        XClient(CREDENTIALS, url).send_dm("1", OutboundMessage("x" * 10_001))
    assert (raised.value.kind, raised.value.codes) == (ErrorKind.PERMANENT, (214,))


def test_no_listener_is_transient_and_a_read_timeout_is_ambiguous(fake_x: tuple[FakeX, str]) -> None:
    with pytest.raises(XApiError) as raised:
        XClient(CREDENTIALS, f"http://127.0.0.1:{free_port()}").send_dm("1", OutboundMessage("hi"))
    assert raised.value.kind is ErrorKind.TRANSIENT
    fake, url = fake_x
    fake.fail_next(200, delay=0.6)
    with pytest.raises(XApiError) as raised:
        XClient(CREDENTIALS, url, read_timeout=0.2).send_dm("1", OutboundMessage("hi"))
    assert raised.value.kind is ErrorKind.AMBIGUOUS


def test_the_send_window_is_read_from_xs_headers(fake_x: tuple[FakeX, str]) -> None:
    fake, url = fake_x
    fake.send_window = (2, 900)
    client = XClient(CREDENTIALS, url)
    first = client.send_dm("1", OutboundMessage("a"))
    second = client.send_dm("1", OutboundMessage("b"))
    assert (first.remaining, second.remaining) == (1, 0)
    assert second.reset is not None and second.reset > time.time() + 800
    with pytest.raises(XApiError) as raised:
        client.send_dm("1", OutboundMessage("c"))
    assert (raised.value.kind, raised.value.retry_at) == (ErrorKind.RATE_LIMITED, second.reset)


def test_session_is_reused(fake_x: tuple[FakeX, str]) -> None:
    fake, url = fake_x
    session = requests.Session()
    client = XClient(CREDENTIALS, url, session)
    client.send_dm("1", OutboundMessage("a"))
    client.send_dm("1", OutboundMessage("b"))
    assert [dm.text for dm in fake.sent] == ["a", "b"]
