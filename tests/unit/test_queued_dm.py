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
LINKED_VIDEO = FULL._replace(
    text="see https://t.co/abc",
    text_with_links="see https://example.com/a?b=1&c=2",
    attachment_type="video",
    attachment_url="https://video.twimg.com/dm_video/1/vid/1280x720/x.mp4",
)
LOCATION = MINIMAL._replace(attachment_type="location", latitude=0.0, longitude=-122.443893, place_name="Null Island")
# What the first version's to_body() wrote: a body queued before a deploy must still read after it.
FIRST_VERSION_BODY = (
    '{"v":1,"surface":"activity_api","account_id":"4337869213","dm_id":"1795521600000000004",'
    '"sender_id":"3001969357","text":"see https://t.co/abc","sender_name":"Jordan","sender_screen_name":"jordan",'
    '"button_payload":null,"attachment_type":"video","attachment_url":"https://pbs.twimg.com/p.jpg",'
    '"created_at_ms":1795521600000,"recipient_id":""}'
)


@pytest.mark.parametrize("dm", [FULL, MINIMAL, LINKED_VIDEO, LOCATION], ids=["full", "minimal", "video", "location"])
def test_round_trip(dm: QueuedDM) -> None:
    assert QueuedDM.from_body(dm.to_body()) == dm


def test_a_body_of_the_first_version_still_reads() -> None:
    dm = QueuedDM.from_body(FIRST_VERSION_BODY)
    assert (dm.dm_id, dm.text, dm.attachment_type, dm.attachment_url) == (
        "1795521600000000004",
        "see https://t.co/abc",
        "video",
        "https://pbs.twimg.com/p.jpg",
    )
    assert (dm.text_with_links, dm.latitude, dm.longitude, dm.place_name) == ("", None, None, "")


def test_fields_added_since_the_first_version_are_written_only_when_set() -> None:
    body = json.loads(FULL.to_body())
    assert not {"text_with_links", "latitude", "longitude", "place_name"} & set(body)  # an earlier reader reads it
    assert json.loads(LOCATION.to_body())["latitude"] == 0.0  # the equator is a place


def test_body_is_compact_unicode_json_with_its_version() -> None:
    body = FULL.to_body()
    assert "👋" in body and ", " not in body
    assert json.loads(body)["v"] == 1
    assert json.loads(body)["surface"] == "account_activity"


def test_the_body_holds_only_characters_sqs_accepts() -> None:
    # SQS takes #x9, #xA, #xD, #x20 to #xD7FF, #xE000 to #xFFFD and #x10000 to #x10FFFF; JSON escapes the rest.
    dm = FULL._replace(text="\x00\x1f\x7f \ufffe\uffff \U0001f44b", sender_name="\uffff")
    body = dm.to_body()
    refused = [
        c for c in body if not (c in "\t\n\r" or " " <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd" or c >= "\U00010000")
    ]
    assert refused == []
    assert QueuedDM.from_body(body) == dm


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
