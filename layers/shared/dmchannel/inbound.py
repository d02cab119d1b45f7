"""Reads a queued DM (as the webhook queued it) into the turn a bot sees."""

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dmchannel.bot import Turn


@dataclass(frozen=True)
class InboundTurn:
    """A queued DM: its event id, the bot account it was sent to, and the turn."""

    event_id: str
    for_user_id: str
    turn: Turn


def _attachment(message_data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    attachment = message_data.get("attachment")
    if not isinstance(attachment, Mapping):
        return None, None
    media = attachment.get("media")
    media = media if isinstance(media, Mapping) else {}
    kind = media.get("type") or attachment.get("type")
    url = media.get("media_url_https") or media.get("expanded_url") or media.get("url")
    return (str(kind) if kind else None), (str(url) if url else None)


def read_queued_dm(message: Mapping[str, Any]) -> InboundTurn:
    """The turn of a queued DM: text HTML-unescaped (X escapes &, < and >), ids as strings."""
    event = message["event"]
    create = event["message_create"]
    data = create.get("message_data", {})
    user = message.get("user") or {}
    quick_reply = data.get("quick_reply_response") or {}
    attachment_type, attachment_url = _attachment(data)
    turn = Turn(
        sender_id=str(create["sender_id"]),
        text=html.unescape(str(data.get("text", ""))),
        sender_name=str(user.get("name", "")),
        sender_screen_name=str(user.get("screen_name", "")),
        button_payload=str(quick_reply["metadata"]) if "metadata" in quick_reply else None,
        attachment_type=attachment_type,
        attachment_url=attachment_url,
    )
    return InboundTurn(event_id=str(event["id"]), for_user_id=str(message["for_user_id"]), turn=turn)
