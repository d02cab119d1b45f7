"""What a DM carries besides its text (``message_data.attachment``): a photo, a GIF or video, or a shared location."""

from collections.abc import Mapping
from typing import Any, NamedTuple

from dmchannel.webhook.json_values import as_list, as_mapping, as_number, as_text

VIDEO_TYPES = frozenset({"animated_gif", "video"})  # X's media types that play: the bot gets the video itself
MP4 = "video/mp4"
LOCATION = "location"
MAX_LONGITUDE, MAX_LATITUDE = 180, 90


class Attachment(NamedTuple):
    """An attachment as the queued DM keeps it (all empty when the DM has none); a NamedTuple, cheap to make at cold start."""

    kind: str | None = None  # X's media type (photo, animated_gif, video), or location
    url: str | None = None  # a photo's image; a GIF's or a video's best MP4 (else its still preview)
    latitude: float | None = None
    longitude: float | None = None
    place_name: str = ""


def _best_mp4(media: Mapping[str, Any]) -> str:
    """The URL of the MP4 variant with the highest bitrate ("" when none); a GIF's variants have bitrate 0."""
    variants = map(as_mapping, as_list(as_mapping(media.get("video_info")).get("variants")))
    mp4s = [
        (as_number(variant.get("bitrate", 0)) or 0.0, as_text(variant.get("url")))
        for variant in variants
        if variant.get("content_type") == MP4 and as_text(variant.get("url"))
    ]
    return max(mp4s, key=lambda mp4: mp4[0], default=(0.0, ""))[1]


def _media(attachment: Mapping[str, Any]) -> Attachment:
    media = as_mapping(attachment.get("media"))
    kind = as_text(media.get("type")) or as_text(attachment.get("type"))
    preview = as_text(media.get("media_url_https")) or as_text(media.get("expanded_url")) or as_text(media.get("url"))
    url = (_best_mp4(media) if kind in VIDEO_TYPES else "") or preview
    return Attachment(kind or None, url or None)


def _point(value: Any) -> tuple[float, float] | None:
    """A GeoJSON position, [longitude, latitude], when it is one on Earth."""
    position = as_list(value)
    if len(position) != 2:  # [longitude, latitude]
        return None
    longitude, latitude = as_number(position[0]), as_number(position[1])
    if longitude is None or latitude is None:
        return None
    return (longitude, latitude) if abs(longitude) <= MAX_LONGITUDE and abs(latitude) <= MAX_LATITUDE else None


def _box_centre(box: Any) -> tuple[float, float] | None:
    """The centre of a GeoJSON Polygon's outer ring (a place's bounding_box), when its corners are positions."""
    rings = as_list(as_mapping(box).get("coordinates"))
    ring = as_list(rings[0]) if rings else []
    corners = [point for point in map(_point, ring) if point]
    if not ring or len(corners) != len(ring):
        return None
    longitudes, latitudes = [corner[0] for corner in corners], [corner[1] for corner in corners]
    return (min(longitudes) + max(longitudes)) / 2, (min(latitudes) + max(latitudes)) / 2


def _location(attachment: Mapping[str, Any]) -> Attachment:
    """A shared location: its coordinates, and the place's name where X gives one.

    X documents only the location a DM is sent with (POST direct_messages/events/new, "Attaching
    location"): ``location.shared_coordinate.coordinates`` a GeoJSON Point whose ``coordinates`` are
    [longitude, latitude], or ``location.shared_place.place`` (a place, by its ``id``). What a
    received DM carries is UNCONFIRMED (no page shows one), so every documented variant is read: the
    Point; a place's name (``full_name``, else ``name``) and centre (its ``centroid``, else the centre
    of its ``bounding_box``, as X's place objects give them). A place X gives only the id of has neither.
    """
    location = as_mapping(attachment.get(LOCATION))
    place = as_mapping(as_mapping(location.get("shared_place")).get("place"))
    coordinate = as_mapping(as_mapping(location.get("shared_coordinate")).get("coordinates"))
    point = (
        _point(coordinate.get("coordinates")) or _point(place.get("centroid")) or _box_centre(place.get("bounding_box"))
    )
    longitude, latitude = point or (None, None)
    return Attachment(
        LOCATION, None, latitude, longitude, as_text(place.get("full_name")) or as_text(place.get("name"))
    )


def attachment_of(message_data: Mapping[str, Any]) -> Attachment:
    """The attachment of a DM's ``message_data`` (an empty one when it has none)."""
    attachment = message_data.get("attachment")
    if not isinstance(attachment, Mapping):
        return Attachment()
    if attachment.get("type") == LOCATION or LOCATION in attachment:
        return _location(attachment)
    return _media(attachment)
