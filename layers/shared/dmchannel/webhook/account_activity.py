"""Account Activity deliveries (v1.1 and v2 webhooks): the DMs users sent to the subscribed account."""

import html
from collections.abc import Mapping
from typing import Any

from dmchannel.queued_dm import QueuedDM, Surface


def _attachment(message_data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    attachment = message_data.get("attachment")
    if not isinstance(attachment, Mapping):
        return None, None
    media = attachment.get("media")
    media = media if isinstance(media, Mapping) else {}
    kind = media.get("type") or attachment.get("type")
    url = media.get("media_url_https") or media.get("expanded_url") or media.get("url")
    return (str(kind) if kind else None), (str(url) if url else None)


def _created_at_ms(event: Mapping[str, Any]) -> int | None:
    created = str(event.get("created_timestamp", ""))
    return int(created) if created.isdigit() else None


def _is_dm_to_answer(event: Any, account_id: str) -> bool:
    if not isinstance(event, Mapping) or event.get("type") != "message_create":
        return False
    message = event.get("message_create")
    if not isinstance(message, Mapping) or not isinstance(event.get("id"), str):
        return False
    sender_id = message.get("sender_id")
    # The account's own messages come back as echoes: answering them would loop forever.
    return isinstance(sender_id, str) and sender_id != account_id


def _queued(event: Mapping[str, Any], account_id: str, user: Mapping[str, Any]) -> QueuedDM:
    create = event["message_create"]
    data = create.get("message_data")
    data = data if isinstance(data, Mapping) else {}
    quick_reply = data.get("quick_reply_response")
    metadata = quick_reply.get("metadata") if isinstance(quick_reply, Mapping) else None
    attachment_type, attachment_url = _attachment(data)
    return QueuedDM(
        surface=Surface.ACCOUNT_ACTIVITY,
        account_id=account_id,
        dm_id=str(event["id"]),
        sender_id=str(create["sender_id"]),
        text=html.unescape(str(data.get("text", ""))),  # X escapes &, < and >
        sender_name=str(user.get("name", "")),
        sender_screen_name=str(user.get("screen_name", "")),
        button_payload=str(metadata) if metadata is not None else None,
        attachment_type=attachment_type,
        attachment_url=attachment_url,
        created_at_ms=_created_at_ms(event),
    )


def dms_to_answer(delivery: Mapping[str, Any]) -> list[QueuedDM]:
    """Return the DMs of a delivery that a user sent to the subscribed account.

    Everything else (typing and read events, tweets, follows, the account's echoes,
    keys this code does not know) needs no answer and is left out.
    """
    account_id = delivery.get("for_user_id")
    events = delivery.get("direct_message_events")
    if not isinstance(account_id, str) or not isinstance(events, list):
        return []
    users = delivery.get("users")
    users = users if isinstance(users, Mapping) else {}
    dms = []
    for event in events:
        if _is_dm_to_answer(event, account_id):
            user = users.get(event["message_create"]["sender_id"])
            dms.append(_queued(event, account_id, user if isinstance(user, Mapping) else {}))
    return dms
