"""What a DM carries besides its text reaches the queue whole: a GIF's or video's MP4, a location, expanded links.

The payloads are X's documented shapes (the message create object, the media object's
``video_info``, "Attaching location", URL entities), delivered by both surfaces.
"""

from collections.abc import Callable
from typing import Any

import pytest

from devstack.deliveries import BOT_USER, USER, activity_delivery, dm_delivery, dm_event
from dmchannel.queued_dm import QueuedDM
from dmchannel.webhook.links import MAX_TEXT_WITH_LINKS
from dmchannel.webhook.surfaces import dms_in

BOT_ID, USER_ID = BOT_USER["id"], USER["id"]
Delivery = Callable[[list[dict[str, Any]], list[dict[str, str]]], dict[str, Any]]
SURFACES = pytest.mark.parametrize("delivery", [dm_delivery, activity_delivery], ids=["account_activity", "xaa"])

# X's media object for a DM's animated GIF: a still preview, and one MP4 (bitrate 0) that plays.
GIF: dict[str, Any] = {
    "type": "media",
    "media": {
        "id_str": "1795521600000000100",
        "indices": [5, 28],
        "media_url_https": "https://pbs.twimg.com/dm_gif_preview/1795521600000000100/kx9.jpg",
        "url": "https://t.co/gif4Ab9",
        "display_url": "pic.x.com/gif4Ab9",
        "expanded_url": "https://x.com/messages/media/1795521600000000100",
        "type": "animated_gif",
        "video_info": {
            "aspect_ratio": [1, 1],
            "variants": [
                {"bitrate": 0, "content_type": "video/mp4", "url": "https://video.twimg.com/dm_gif/100/x.mp4"}
            ],
        },
    },
}
# A video: MP4s at three bitrates, listed in no order, and an HLS playlist (no bitrate).
VIDEO: dict[str, Any] = {
    "type": "media",
    "media": {
        "media_url_https": "https://pbs.twimg.com/dm_video_preview/101/img/a.jpg",
        "url": "https://t.co/vid4Ab9",
        "type": "video",
        "video_info": {
            "aspect_ratio": [16, 9],
            "duration_millis": 10704,
            "variants": [
                {"bitrate": 832000, "content_type": "video/mp4", "url": "https://video.twimg.com/dm_video/101/640.mp4"},
                {"content_type": "application/x-mpegURL", "url": "https://video.twimg.com/dm_video/101/pl.m3u8"},
                {
                    "bitrate": 2176000,
                    "content_type": "video/mp4",
                    "url": "https://video.twimg.com/dm_video/101/1280.mp4",
                },
                {"bitrate": 256000, "content_type": "video/mp4", "url": "https://video.twimg.com/dm_video/101/320.mp4"},
            ],
        },
    },
}
PHOTO: dict[str, Any] = {
    "type": "media",
    "media": {"type": "photo", "media_url_https": "https://pbs.twimg.com/dm/102/p.jpg"},
}
# "Attaching location": a shared coordinate is a GeoJSON Point, [longitude, latitude].
COORDINATE: dict[str, Any] = {
    "type": "location",
    "location": {
        "type": "shared_coordinate",
        "shared_coordinate": {"coordinates": {"type": "Point", "coordinates": [-122.443893, 37.771718]}},
    },
}
PLACE_BY_ID: dict[str, Any] = {
    "type": "location",
    "location": {"type": "shared_place", "shared_place": {"place": {"id": "123456"}}},
}
# A place as X's place objects give it: names and a bounding box (GeoJSON Polygon of [longitude, latitude]).
PLACE: dict[str, Any] = {
    "type": "location",
    "location": {
        "type": "shared_place",
        "shared_place": {
            "place": {
                "id": "5a110d312052166f",
                "name": "San Francisco",
                "full_name": "San Francisco, CA",
                "place_type": "city",
                "bounding_box": {
                    "type": "Polygon",
                    "coordinates": [[[-122.5, 37.7], [-122.3, 37.7], [-122.3, 37.8], [-122.5, 37.8]]],
                },
            }
        },
    },
}


def one_dm(delivery: Delivery, text: str = "look", **event: Any) -> QueuedDM:
    (dm,) = dms_in(delivery([dm_event("60", USER_ID, BOT_ID, text, **event)], [USER]))
    assert QueuedDM.from_body(dm.to_body()) == dm  # all of it survives the queue
    return dm


@SURFACES
@pytest.mark.parametrize(
    ("attachment", "kind", "url"),
    [
        (GIF, "animated_gif", "https://video.twimg.com/dm_gif/100/x.mp4"),
        (VIDEO, "video", "https://video.twimg.com/dm_video/101/1280.mp4"),
        (PHOTO, "photo", "https://pbs.twimg.com/dm/102/p.jpg"),
    ],
    ids=["gif", "video", "photo"],
)
def test_a_gif_or_video_is_queued_as_its_best_mp4_and_a_photo_as_its_image(
    delivery: Delivery, attachment: dict[str, Any], kind: str, url: str
) -> None:
    dm = one_dm(delivery, attachment=attachment)
    assert (dm.attachment_type, dm.attachment_url) == (kind, url)


def test_a_video_without_an_mp4_keeps_its_preview() -> None:
    hls_only = {"type": "media", "media": {**VIDEO["media"], "video_info": {"variants": [{"url": "x.m3u8"}]}}}
    dm = one_dm(dm_delivery, attachment=hls_only)
    assert (dm.attachment_type, dm.attachment_url) == ("video", "https://pbs.twimg.com/dm_video_preview/101/img/a.jpg")


@SURFACES
@pytest.mark.parametrize(
    ("attachment", "where"),
    [
        (COORDINATE, (37.771718, -122.443893, "")),
        (PLACE, (37.75, -122.4, "San Francisco, CA")),
        (PLACE_BY_ID, (None, None, "")),
    ],
    ids=["coordinate", "place", "place by id"],
)
def test_a_location_is_queued_with_its_coordinates_and_place_name(
    delivery: Delivery, attachment: dict[str, Any], where: tuple[float | None, float | None, str]
) -> None:
    dm = one_dm(delivery, attachment=attachment)
    assert dm.attachment_type == "location" and dm.attachment_url is None
    assert (dm.latitude, dm.longitude, dm.place_name) == pytest.approx(where)


def test_a_place_centroid_and_name_are_read_and_bad_coordinates_are_not() -> None:
    place = {"name": "Paris", "centroid": [2.3522, 48.8566]}
    dm = one_dm(dm_delivery, attachment={"type": "location", "location": {"shared_place": {"place": place}}})
    assert (dm.latitude, dm.longitude, dm.place_name) == (48.8566, 2.3522, "Paris")
    for bad in ([200, 10], [10, 95], [True, 1], ["1", "2"], [1], [1, 2, 3], "1,2", None):
        attachment = {"type": "location", "location": {"shared_coordinate": {"coordinates": {"coordinates": bad}}}}
        dm = one_dm(dm_delivery, attachment=attachment)
        assert (dm.attachment_type, dm.latitude, dm.longitude) == ("location", None, None), bad


def link(url: str, expanded: str, start: int | None) -> dict[str, Any]:
    """One of X's URL entities (display_url as X shortens it)."""
    entity: dict[str, Any] = {"url": url, "expanded_url": expanded, "display_url": expanded[8:30] + "…"}
    if start is not None:
        entity["indices"] = [start, start + len(url)]
    return entity


@SURFACES
def test_t_co_links_are_expanded_for_the_bot_and_the_text_is_kept(delivery: Delivery) -> None:
    text = "Q&A: https://t.co/AbC123 and https://t.co/XyZ789 ok"
    urls = [
        link("https://t.co/AbC123", "https://example.com/faq?a=1&b=2", 5),
        link("https://t.co/XyZ789", "https://example.org/", 29),
    ]
    dm = one_dm(delivery, text, urls=urls)
    assert dm.text == text
    assert dm.text_with_links == "Q&A: https://example.com/faq?a=1&b=2 and https://example.org/ ok"


@pytest.mark.parametrize(
    "indices",
    [[7, 30], None, [-23, 0], [30, 7], ["5", "28"], [0, 999]],
    ids=["utf-16", "missing", "negative", "reversed", "strings", "past the end"],
)
def test_indices_that_do_not_point_at_the_link_fall_back_to_its_url(indices: Any) -> None:
    text = "👋👋 https://t.co/AbC123, again https://t.co/AbC123"  # X may count the emoji as two each
    entity = {**link("https://t.co/AbC123", "https://example.com/", None), "indices": indices}
    dm = one_dm(dm_delivery, text, urls=[entity])
    assert dm.text_with_links == "👋👋 https://example.com/, again https://example.com/"


def test_a_dm_without_links_has_no_second_text_and_malformed_entities_are_ignored() -> None:
    assert one_dm(dm_delivery, "hello").text_with_links == ""
    event = dm_event("61", USER_ID, BOT_ID, "see https://t.co/AbC123")
    event["message_create"]["message_data"]["entities"]["urls"] = [
        "https://t.co/AbC123",
        {"url": "https://t.co/AbC123"},
        {"url": 5, "expanded_url": "https://example.com/"},
        {"url": "https://t.co/AbC123", "expanded_url": "https://t.co/AbC123"},
    ]
    (dm,) = dms_in(dm_delivery([event], [USER]))
    assert dm.text_with_links == ""


def test_links_stop_expanding_at_the_bound() -> None:
    text = " ".join(["https://t.co/AbC123"] * 100)
    dm = one_dm(dm_delivery, text, urls=[link("https://t.co/AbC123", "https://example.com/" + "a" * 1_000, None)])
    assert len(text) < len(dm.text_with_links) <= MAX_TEXT_WITH_LINKS
    assert dm.text_with_links.endswith("https://t.co/AbC123")
