"""XChat's chat.received deliveries on the webhook side: queued as delivered, the rest left out."""

import base64
import io
import json
from typing import Any

import pytest

from dmchannel.observability import logger
from dmchannel.queued_dm import QueuedDM, Surface
from dmchannel.webhook.surfaces import dms_in
from dmchannel.xchat.envelope import STRING, encode_struct

ACCOUNT, USER = "4337869213", "3001969357"


def chat(event_type: str = "chat.received", sender: str = USER, **payload: Any) -> dict[str, Any]:
    body = {"id": "m-1", "sender_id": sender, "created_at_msec": "1795521600000", "encoded_event": "CwAB", **payload}
    return {"filter": {"user_id": ACCOUNT}, "event_type": event_type, "payload": body}


def test_a_received_message_is_queued_encrypted_with_its_key_change() -> None:
    (dm,) = dms_in({"data": chat(conversation_key_change_event="DAAD", conversation_key_version="17")})
    assert (dm.surface, dm.account_id, dm.dm_id, dm.sender_id, dm.text) == (Surface.XCHAT, ACCOUNT, "m-1", USER, "")
    assert (dm.encoded_event, dm.key_change_event, dm.key_version, dm.created_at_ms) == (
        "CwAB",
        "DAAD",
        "17",
        1795521600000,
    )
    assert dm.conversation_id == f"{ACCOUNT}-{USER}" and dm.deduplication_id == f"{ACCOUNT}-m-1-xchat"
    assert QueuedDM.from_body(dm.to_body()) == dm


def test_sent_own_and_malformed_chat_events_queue_nothing() -> None:
    for item in (
        chat("chat.sent"),
        chat(sender=ACCOUNT),
        chat("chat.typing"),
        {**chat(), "payload": {"id": "m-2", "sender_id": USER}},  # no encoded event
        {**chat(), "filter": {}},
        "chat.received",
    ):
        assert dms_in({"data": item}) == [], item
    assert len(dms_in({"data": [chat(), chat(id="m-3"), chat("chat.sent")]})) == 2


def test_a_time_that_is_not_xs_epoch_milliseconds_is_left_out() -> None:
    for created in ("²", "1" * 30, "-5", "1.5e12", 17.5):
        (dm,) = dms_in({"data": chat(created_at_msec=created)})
        assert dm.created_at_ms is None, created


def test_a_legacy_dm_body_carries_no_xchat_fields() -> None:
    dm = QueuedDM(Surface.ACTIVITY_API, ACCOUNT, "1", USER, "hi")
    assert "encoded_event" not in dm.to_body()


def envelope(message_id: str, sender: str = USER, created: str = "1795521600123") -> str:
    """A message's envelope as X frames it (the ids signed; the detail and signature left out here)."""
    fields = {2: (STRING, message_id), 3: (STRING, sender), 4: (STRING, f"{sender}:{ACCOUNT}"), 6: (STRING, created)}
    return base64.b64encode(encode_struct(fields)).decode()


def live(**payload: Any) -> dict[str, Any]:
    """The "live" shape of xchat/real-time-events: no filter, no payload.id, the conversation as a-b."""
    body = {"sender_id": USER, "conversation_id": f"{USER}-{ACCOUNT}", "encoded_event": envelope("signed-1"), **payload}
    return {"event_uuid": "u-1", "event_type": "chat.received", "payload": body}


def test_the_live_shape_is_placed_by_its_conversation_and_its_signed_id() -> None:
    (dm,) = dms_in({"data": live()})
    assert (dm.account_id, dm.dm_id, dm.sender_id, dm.created_at_ms) == (ACCOUNT, "signed-1", USER, 1795521600123)
    (reversed_pair,) = dms_in({"data": live(conversation_id=f"{ACCOUNT}:{USER}")})
    assert reversed_pair.account_id == ACCOUNT


def test_the_signed_id_wins_over_the_payloads() -> None:
    (dm,) = dms_in({"data": chat(id="payload-id", encoded_event=envelope("signed-2"))})
    assert dm.dm_id == "signed-2" and dm.deduplication_id == f"{ACCOUNT}-signed-2-xchat"


@pytest.mark.parametrize(
    "item",
    [
        live(conversation_id="g1234567890"),  # a group's: names no account
        live(conversation_id=f"{USER}-{USER}"),
        live(conversation_id=""),
        live(encoded_event="not base64 thrift"),  # no signed id, and no payload.id
    ],
)
def test_a_delivery_that_cannot_be_placed_is_said_and_counted(
    item: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = io.StringIO()
    for handler in logger.handlers:
        monkeypatch.setattr(handler, "stream", logs)
    assert dms_in({"data": item}) == []
    said = json.loads(logs.getvalue().splitlines()[-1])
    assert (said["message"], said["event_uuid"]) == ("XChat delivery not queued", "u-1") and said["reason"]
    assert "XChatDeliveriesNotPlaced" in capsys.readouterr().out


def test_a_chat_sent_is_queued_as_the_accounts_own_message_by_its_signed_id() -> None:
    body = {"sender_id": ACCOUNT, "conversation_id": f"{ACCOUNT}:{USER}", "encoded_event": envelope("sent-1", ACCOUNT)}
    (dm,) = dms_in({"data": {"event_type": "chat.sent", "filter": {"user_id": ACCOUNT}, "payload": body}})
    assert (dm.from_account, dm.account_id, dm.recipient_id, dm.dm_id, dm.text) == (True, ACCOUNT, USER, "sent-1", "")
