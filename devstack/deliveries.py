"""Builds Account Activity deliveries shaped like X's, for the simulator, events/ and tests."""

import json
from typing import Any

from dmchannel.queued_dm import QueuedDM
from dmchannel.webhook.account_activity import dms_to_answer

BOT_USER = {"id": "4337869213", "name": "Support Bot", "screen_name": "supportbot"}
USER = {"id": "3001969357", "name": "Jordan", "screen_name": "jordan"}


def dm_event(
    event_id: str,
    sender_id: str,
    recipient_id: str,
    text: str,
    *,
    created_ms: int = 1795521600000,
    quick_reply_metadata: str | None = None,
    urls: list[dict[str, Any]] | None = None,
    attachment: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``message_create`` DM event; ``text`` is HTML-escaped as X escapes it; urls are ``entities.urls``."""
    message_data: dict[str, Any] = {
        "text": text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
        "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": urls or []},
    }
    if quick_reply_metadata is not None:
        message_data["quick_reply_response"] = {"type": "options", "metadata": quick_reply_metadata}
    if attachment is not None:
        message_data["attachment"] = attachment
    return {
        "type": "message_create",
        "id": event_id,
        "created_timestamp": str(created_ms),
        "message_create": {
            "target": {"recipient_id": recipient_id},
            "sender_id": sender_id,
            "message_data": message_data,
        },
    }


def dm_delivery(
    events: list[dict[str, Any]], users: list[dict[str, str]], for_user_id: str = BOT_USER["id"]
) -> dict[str, Any]:
    """A delivery of DM events to the subscribed account ``for_user_id``."""
    return {
        "for_user_id": for_user_id,
        "direct_message_events": events,
        "users": {user["id"]: user for user in users},
    }


def activity_delivery(
    events: list[dict[str, Any]],
    users: list[dict[str, str]],
    account_id: str = BOT_USER["id"],
    *,
    event_type: str = "dm.received",
    tag: str = "x-dm-channel",
) -> dict[str, Any]:
    """An X Activity API delivery of DM events to account_id (users wrapped, with v2's ``username``)."""
    wrapped = {u["id"]: {"data": {"id": u["id"], "username": u["screen_name"], "name": u["name"]}} for u in users}
    return {
        "data": {
            "event_uuid": f"-{events[0]['id'] if events else 0}",
            "filter": {"user_id": account_id},
            "event_type": event_type,
            "tag": tag,
            "payload": {"direct_message_events": events, "users": wrapped},
        }
    }


def encode(delivery: dict[str, Any]) -> bytes:
    """The body bytes, compact JSON as X sends it."""
    return json.dumps(delivery, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def queued_dms(count: int, sender: dict[str, str] = USER, first_id: int = 1000) -> list[QueuedDM]:
    """The queued DMs of a delivery of count DMs from sender to the bot account (ids first_id, first_id + 1...)."""
    events = [dm_event(str(first_id + index), sender["id"], BOT_USER["id"], f"m{index}") for index in range(count)]
    return dms_to_answer(dm_delivery(events, [sender]))
