"""Which events of an Account Activity delivery are queued, and what each queued DM holds."""

from typing import Any

import pytest

from devstack.deliveries import BOT_USER, USER, dm_delivery, dm_event
from dmchannel.queued_dm import QueuedDM, Surface
from dmchannel.webhook.account_activity import dms_to_answer

BOT_ID, USER_ID = BOT_USER["id"], USER["id"]


def test_a_users_dm_is_kept_with_its_sender() -> None:
    delivery = dm_delivery([dm_event("10", USER_ID, BOT_ID, "hello")], [USER, BOT_USER])
    (dm,) = dms_to_answer(delivery)
    assert dm == QueuedDM(
        surface=Surface.ACCOUNT_ACTIVITY,
        account_id=BOT_ID,
        dm_id="10",
        sender_id=USER_ID,
        text="hello",
        sender_name=USER["name"],
        sender_screen_name=USER["screen_name"],
        created_at_ms=1795521600000,
    )
    assert dm.conversation_id == f"{BOT_ID}-{USER_ID}"


def test_text_is_unescaped_and_a_tapped_option_kept() -> None:
    event = dm_event("11", USER_ID, BOT_ID, "Q&A <now>", quick_reply_metadata="intent:limits")
    (dm,) = dms_to_answer(dm_delivery([event], [USER]))
    assert (dm.text, dm.button_payload) == ("Q&A <now>", "intent:limits")


def test_an_attachment_is_kept() -> None:
    event = dm_event("12", USER_ID, BOT_ID, "look")
    event["message_create"]["message_data"]["attachment"] = {
        "type": "media",
        "media": {"type": "photo", "media_url_https": "https://pbs.twimg.com/media/x.jpg"},
    }
    (dm,) = dms_to_answer(dm_delivery([event], [USER]))
    assert (dm.attachment_type, dm.attachment_url) == ("photo", "https://pbs.twimg.com/media/x.jpg")


@pytest.mark.parametrize("created", ["²", "1" * 30, "", "1516403560557.5", None])
def test_a_time_that_is_not_xs_epoch_milliseconds_is_left_out(created: Any) -> None:
    event = dm_event("13", USER_ID, BOT_ID, "hi")
    event["created_timestamp"] = created
    (dm,) = dms_to_answer(dm_delivery([event], [USER]))
    assert (dm.dm_id, dm.created_at_ms) == ("13", None)


def test_echoes_of_the_account_are_marked_and_order_is_kept() -> None:
    events = [
        dm_event("1", USER_ID, BOT_ID, "first"),
        dm_event("2", BOT_ID, USER_ID, "bot answer"),
        dm_event("3", USER_ID, BOT_ID, "second"),
    ]
    dms = dms_to_answer(dm_delivery(events, [USER, BOT_USER]))
    assert [(dm.dm_id, dm.from_account) for dm in dms] == [("1", False), ("2", True), ("3", False)]
    assert dms[1].recipient_id == USER_ID and dms[1].conversation_id == dms[0].conversation_id


def test_sender_without_user_entry_still_answered() -> None:
    (dm,) = dms_to_answer(dm_delivery([dm_event("1", "42", BOT_ID, "hi")], []))
    assert (dm.sender_id, dm.sender_name, dm.sender_screen_name) == ("42", "", "")


def test_ids_stay_strings_and_text_stays_unicode() -> None:
    big_id = "1795521600000000001"
    delivery = dm_delivery([dm_event(big_id, USER_ID, BOT_ID, "héllo 👋")], [USER])
    (dm,) = dms_to_answer(delivery)
    assert (dm.dm_id, dm.text) == (big_id, "héllo 👋")


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
