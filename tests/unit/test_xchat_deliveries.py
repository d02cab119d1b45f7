"""XChat's chat.received deliveries on the webhook side: queued as delivered, the rest left out."""

from typing import Any

from dmchannel.queued_dm import QueuedDM, Surface
from dmchannel.webhook.surfaces import dms_in

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
    assert dm.conversation_id == f"{ACCOUNT}-{USER}" and dm.deduplication_id == f"{ACCOUNT}-m-1"
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
