"""X Activity API deliveries: dm.received in each of X's documented shapes, and nothing from other events."""

import json
from typing import Any

import pytest

from devstack.deliveries import BOT_USER, USER, activity_delivery, dm_event
from dmchannel.queued_dm import QueuedDM, Surface
from dmchannel.webhook.activity_api import dms_to_answer

BOT_ID, USER_ID = BOT_USER["id"], USER["id"]

# X's documented example (reference section 9), verbatim in shape.
DOCUMENTED = json.loads("""
{"data": {
  "event_uuid": "-6850000000000000001",
  "filter": {"user_id": "1000000000000000001"},
  "event_type": "dm.received",
  "tag": "dm-in",
  "payload": {
    "direct_message_events": [{
      "type": "message_create", "id": "2080000000000000123",
      "created_timestamp": "1784928224372",
      "message_create": {
        "target": {"recipient_id": "1000000000000000001"},
        "sender_id": "2000000000000000002",
        "message_data": {"text": "hello!", "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []}}}}],
    "users": {
      "2000000000000000002": {"data": {"id": "2000000000000000002", "username": "someone", "name": "Someone"}},
      "1000000000000000001": {"data": {"id": "1000000000000000001", "username": "ourbot", "name": "Our Bot"}}}}}}
""")


def test_xs_documented_delivery() -> None:
    assert dms_to_answer(DOCUMENTED) == [
        QueuedDM(
            surface=Surface.ACTIVITY_API,
            account_id="1000000000000000001",
            dm_id="2080000000000000123",
            sender_id="2000000000000000002",
            text="hello!",
            sender_name="Someone",
            sender_screen_name="someone",
            created_at_ms=1784928224372,
        )
    ]


def test_data_as_a_list_of_events_for_several_accounts() -> None:
    first = activity_delivery([dm_event("1", USER_ID, BOT_ID, "a")], [USER])["data"]
    second = activity_delivery([dm_event("2", USER_ID, "555", "b")], [USER], "555")["data"]
    dms = dms_to_answer({"data": [first, second]})
    assert [(dm.account_id, dm.dm_id, dm.text) for dm in dms] == [(BOT_ID, "1", "a"), ("555", "2", "b")]


def test_a_tap_an_attachment_and_escaped_text_are_read() -> None:
    event = dm_event("3", USER_ID, BOT_ID, "Q&A <now>", quick_reply_metadata="intent:limits")
    event["message_create"]["message_data"]["attachment"] = {
        "type": "media",
        "media": {"type": "photo", "media_url_https": "https://pbs.twimg.com/media/x.jpg"},
    }
    (dm,) = dms_to_answer(activity_delivery([event], [USER]))
    assert (dm.text, dm.button_payload, dm.attachment_type) == ("Q&A <now>", "intent:limits", "photo")


def test_missing_optional_fields_are_empty_not_errors() -> None:
    event = dm_event("4", USER_ID, BOT_ID, "hi")
    del event["created_timestamp"]
    delivery = activity_delivery([event], [])
    del delivery["data"]["tag"], delivery["data"]["event_uuid"], delivery["data"]["payload"]["users"]
    (dm,) = dms_to_answer(delivery)
    assert (dm.sender_name, dm.sender_screen_name, dm.created_at_ms) == ("", "", None)


@pytest.mark.parametrize("event_type", ["dm.received", "dm.sent"])
def test_the_accounts_own_messages_are_marked_as_its_own(event_type: str) -> None:
    delivery = activity_delivery([dm_event("5", BOT_ID, USER_ID, "by hand")], [USER, BOT_USER], event_type=event_type)
    (dm,) = dms_to_answer(delivery)
    assert (dm.from_account, dm.recipient_id, dm.conversation_id) == (True, USER_ID, f"{BOT_ID}-{USER_ID}")


@pytest.mark.parametrize("event_type", ["dm.read", "dm.indicate_typing", "chat.received", "follow.follow"])
def test_other_event_types_need_no_answer(event_type: str) -> None:
    delivery = activity_delivery([dm_event("6", USER_ID, BOT_ID, "x")], [USER], event_type=event_type)
    assert dms_to_answer(delivery) == []


@pytest.mark.parametrize(
    "delivery",
    [
        {},
        {"data": None},
        {"data": "text"},
        {"data": [None, 3]},
        {"data": {"event_type": "dm.received"}},
        {"data": {"event_type": "dm.received", "filter": {"user_id": 1}, "payload": {"direct_message_events": []}}},
        {
            "data": {
                "event_type": "dm.received",
                "filter": {"user_id": BOT_ID},
                "payload": {"direct_message_events": {}},
            }
        },
        {"for_user_id": BOT_ID, "direct_message_events": [dm_event("7", USER_ID, BOT_ID, "x")]},
    ],
)
def test_malformed_or_other_deliveries_yield_nothing(delivery: dict[str, Any]) -> None:
    assert dms_to_answer(delivery) == []
