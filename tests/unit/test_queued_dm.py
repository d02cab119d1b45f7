"""The queued DM's JSON: the one place that writes and reads it, in a round trip."""

import json

import pytest

from dmchannel.queued_dm import MalformedQueuedDMError, QueuedDM, Surface

FULL = QueuedDM(
    surface=Surface.ACCOUNT_ACTIVITY,
    account_id="4337869213",
    dm_id="1795521600000000001",
    sender_id="3001969357",
    text="Q&A <ça va ?> 👋",
    sender_name="Jordan",
    sender_screen_name="jordan",
    button_payload="intent:limits",
    attachment_type="photo",
    attachment_url="https://pbs.twimg.com/media/x.jpg",
    created_at_ms=1795521600000,
)
MINIMAL = QueuedDM(Surface.ACCOUNT_ACTIVITY, "4337869213", "7", "3001969357", "")


@pytest.mark.parametrize("dm", [FULL, MINIMAL])
def test_round_trip(dm: QueuedDM) -> None:
    assert QueuedDM.from_body(dm.to_body()) == dm


def test_body_is_compact_unicode_json_with_its_version() -> None:
    body = FULL.to_body()
    assert "👋" in body and ", " not in body
    assert json.loads(body)["v"] == 1
    assert json.loads(body)["surface"] == "account_activity"


def test_one_message_group_per_account_and_user() -> None:
    assert FULL.conversation_id == "4337869213-3001969357"


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        '{"v": 2, "surface": "account_activity"}',
        '{"for_user_id": "1", "event": {}, "user": null}',
        '{"v": 1, "surface": "carrier pigeon", "account_id": "1", "dm_id": "2", "sender_id": "3", "text": ""}',
        '{"v": 1, "surface": "account_activity", "account_id": "1"}',
    ],
)
def test_anything_else_is_refused_with_one_error(body: str) -> None:
    with pytest.raises(MalformedQueuedDMError):
        QueuedDM.from_body(body)
