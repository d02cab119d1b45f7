"""X's own XChat test vectors (tests/data/chatxdk-sdk-vectors.json, MIT: see the notice beside it) through the channel.

The account (2222) reads the vectors' events with its own session: X's Chat API answered over
real HTTP (responses) with the sender's registered keys and the conversation's key change.
"""

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from dmchannel.queued_dm import QueuedDM, Surface
from dmchannel.responder.lifecycle import Ended, Outcome, Rule
from dmchannel.x.surface_client import SendFailed
from dmchannel.xchat.api import ChatApi
from dmchannel.xchat.envelope import signed_ids
from dmchannel.xchat.keyring import Keyring, signing_key
from dmchannel.xchat.sdk import Identity
from dmchannel.xchat.session import XChatSession
from tests.conftest import ROOT

VECTORS: dict[str, str] = json.loads((ROOT / "tests" / "data" / "chatxdk-sdk-vectors.json").read_text())
ACCOUNT, SENDER = "2222", VECTORS["event_sender_id"]
X = "https://api.x.test"


def registered_key() -> dict[str, Any]:
    return {
        "public_key_version": VECTORS["event_signing_key_version"],
        "signing_public_key": VECTORS["signing_public_b64"],
        "public_key": VECTORS["identity_public_b64"],
        "identity_public_key_signature": VECTORS["identity_public_key_signature_b64"],
    }


@pytest.fixture
def x() -> Iterator[responses.RequestsMock]:
    """X's Chat API: the sender's keys, and the conversation's key change among its events."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{X}/2/users/{SENDER}/public_keys", json={"data": [registered_key()]})
        mock.get(
            f"{X}/2/chat/conversations/{SENDER}/events",
            json={"data": [], "meta": {"conversation_key_events": [VECTORS["event_key_change_b64"]]}},
        )
        yield mock


def session() -> XChatSession:
    version = VECTORS["event_recipient_key_version"]
    identity = Identity.of_account(ACCOUNT, base64.b64decode(VECTORS["private_keys_concat_b64"]), version)
    own = signing_key(ACCOUNT, registered_key(), version)
    return XChatSession(ChatApi(X, requests.Session(), lambda _fresh: "token"), Keyring(ACCOUNT, identity, own))


def delivered(name: str, *, with_key_change: bool) -> QueuedDM:
    """The vector's event as the webhook queues it (its id the signed one, as the webhook reads it)."""
    ids = signed_ids(VECTORS[name])
    return QueuedDM(
        Surface.XCHAT,
        ACCOUNT,
        ids.message_id if ids else "garbage",
        SENDER,
        "",
        encoded_event=VECTORS[name],
        key_change_event=VECTORS["event_key_change_b64"] if with_key_change else "",
        key_version=VECTORS["event_conversation_key_version"],
    )


@pytest.mark.usefixtures("x")
@pytest.mark.parametrize("with_key_change", [True, False], ids=["key change delivered", "key change fetched"])
def test_the_message_event_decrypts_to_its_text(with_key_change: bool, x: responses.RequestsMock) -> None:
    opened = session().open(delivered("event_message_b64", with_key_change=with_key_change))
    assert opened.text == VECTORS["event_message_text"]
    fetched = [call.request.url for call in x.calls if call.request.url and "/events" in call.request.url]
    assert bool(fetched) is not with_key_change  # fetched from the conversation's events only when not delivered


@pytest.mark.usefixtures("x")
def test_a_forged_reply_preview_never_reaches_the_bot() -> None:
    for name in ("event_reply_valid_b64", "event_reply_forged_b64"):
        opened = session().open(delivered(name, with_key_change=True))
        assert opened.text == VECTORS["event_reply_text"]  # what the bot is given: the reply, never its preview
        assert VECTORS["event_reply_forged_preview_text"] not in opened.to_body()


@pytest.mark.usefixtures("x")
def test_the_failure_event_is_read_as_xs_report_on_a_send_and_counted_by_kind(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SendFailed) as failed:
        session().open(delivered("event_failure_b64", with_key_change=True))
    assert (failed.value.kind, failed.value.hold_seconds, failed.value.resendable) == ("RateLimitUpsell", 900, True)
    metric = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (metric["kind"], metric["XChatFailures"]) == ("RateLimitUpsell", [1.0])


@pytest.mark.usefixtures("x")
def test_the_garbage_event_is_refused_without_a_crash() -> None:
    with pytest.raises(Ended) as ended:
        session().open(delivered("event_garbage_b64", with_key_change=True))
    assert (ended.value.fate.outcome, ended.value.fate.rule) == (Outcome.UNANSWERED, Rule.UNREADABLE)
