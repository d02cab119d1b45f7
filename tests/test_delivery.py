"""Which events of a delivery are queued, and what a queued message holds."""

import json
from typing import Any

import pytest

from devstack.deliveries import BOT_USER, USER, dm_delivery, dm_event
from dmchannel.delivery import dms_to_answer

BOT_ID, USER_ID = BOT_USER["id"], USER["id"]


def test_a_users_dm_is_kept_with_its_sender() -> None:
    delivery = dm_delivery([dm_event("10", USER_ID, BOT_ID, "hello")], [USER, BOT_USER])
    (dm,) = dms_to_answer(delivery)
    assert dm.event_id == "10"
    assert dm.sender_id == USER_ID
    assert dm.conversation_id == f"{BOT_ID}-{USER_ID}"
    message = json.loads(dm.to_message())
    assert message == {"for_user_id": BOT_ID, "event": delivery["direct_message_events"][0], "user": USER}


def test_echoes_of_the_bot_are_skipped_and_order_is_kept() -> None:
    events = [
        dm_event("1", USER_ID, BOT_ID, "first"),
        dm_event("2", BOT_ID, USER_ID, "bot answer"),
        dm_event("3", USER_ID, BOT_ID, "second"),
    ]
    dms = dms_to_answer(dm_delivery(events, [USER, BOT_USER]))
    assert [dm.event_id for dm in dms] == ["1", "3"]


def test_sender_without_user_entry_still_answered() -> None:
    (dm,) = dms_to_answer(dm_delivery([dm_event("1", "42", BOT_ID, "hi")], []))
    assert dm.user is None
    assert json.loads(dm.to_message())["user"] is None


def test_ids_stay_strings_and_text_stays_unicode() -> None:
    big_id = "1795521600000000001"
    delivery = dm_delivery([dm_event(big_id, USER_ID, BOT_ID, "héllo 👋")], [USER])
    (dm,) = dms_to_answer(delivery)
    message = json.loads(dm.to_message())
    assert message["event"]["id"] == big_id
    assert "héllo 👋" in dm.to_message()


@pytest.mark.parametrize(
    "delivery",
    [
        {},
        {"for_user_id": BOT_ID},
        {"for_user_id": BOT_ID, "direct_message_indicate_typing_events": [{"sender_id": USER_ID}]},
        {"for_user_id": BOT_ID, "direct_message_mark_read_events": [{"sender_id": USER_ID}]},
        {"for_user_id": BOT_ID, "tweet_create_events": [{"id_str": "1", "text": "hi"}]},
        {"for_user_id": BOT_ID, "follow_events": [{"type": "follow"}]},
        {"for_user_id": BOT_ID, "something_new": {"a": 1}},
        {"for_user_id": 4337869213, "direct_message_events": [dm_event("1", USER_ID, BOT_ID, "x")]},
        {"for_user_id": BOT_ID, "direct_message_events": "not a list"},
    ],
)
def test_deliveries_without_a_dm_to_answer(delivery: dict[str, Any]) -> None:
    assert dms_to_answer(delivery) == []


@pytest.mark.parametrize(
    "event",
    [
        "not an object",
        {"type": "message_delete", "id": "1"},
        {"type": "message_create", "id": 1, "message_create": {"sender_id": USER_ID}},
        {"type": "message_create", "id": "1"},
        {"type": "message_create", "id": "1", "message_create": {"sender_id": 3001969357}},
    ],
)
def test_malformed_events_are_skipped(event: Any) -> None:
    assert dms_to_answer({"for_user_id": BOT_ID, "direct_message_events": [event]}) == []
