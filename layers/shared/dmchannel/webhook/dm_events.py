"""X's legacy DM event (``message_create``), as both the Account Activity API and the X Activity API carry it."""

import html
from collections.abc import Callable, Mapping
from typing import Any

from dmchannel.queued_dm import QueuedDM, Surface
from dmchannel.webhook.attachments import attachment_of
from dmchannel.webhook.json_values import as_mapping, epoch_ms
from dmchannel.webhook.links import text_with_links


def is_dm_to_answer(event: Any, account_id: str) -> bool:
    """A well-formed DM that someone else sent to the account (its own messages come back as echoes)."""
    sender_id, _ = _sender_and_recipient(event)
    return sender_id is not None and sender_id != account_id


def own_message_to(event: Any, account_id: str) -> str | None:
    """The user a well-formed message of the account's own went to (None for anything else)."""
    sender_id, recipient_id = _sender_and_recipient(event)
    return recipient_id if sender_id == account_id and recipient_id and recipient_id != account_id else None


def _sender_and_recipient(event: Any) -> tuple[str | None, str | None]:
    if not isinstance(event, Mapping) or event.get("type") != "message_create":
        return None, None
    message = event.get("message_create")
    if not isinstance(message, Mapping) or not isinstance(event.get("id"), str):
        return None, None
    sender_id, recipient_id = message.get("sender_id"), as_mapping(message.get("target")).get("recipient_id")
    return (sender_id if isinstance(sender_id, str) else None), (
        recipient_id if isinstance(recipient_id, str) else None
    )


def queued_dm(
    event: Mapping[str, Any],
    account_id: str,
    surface: Surface,
    *,
    sender_name: str,
    sender_screen_name: str,
    recipient_id: str = "",
) -> QueuedDM:
    """The queued DM of one event that is_dm_to_answer() accepted (or own_message_to() named a user for)."""
    create = event["message_create"]
    data = as_mapping(create.get("message_data"))
    metadata = as_mapping(data.get("quick_reply_response")).get("metadata")
    attachment = attachment_of(data)
    text = html.unescape(str(data.get("text", "")))  # X escapes &, < and >
    return QueuedDM(
        surface=surface,
        account_id=account_id,
        dm_id=str(event["id"]),
        sender_id=str(create["sender_id"]),
        text=text,
        sender_name=sender_name,
        sender_screen_name=sender_screen_name,
        button_payload=str(metadata) if metadata is not None else None,
        attachment_type=attachment.kind,
        attachment_url=attachment.url,
        created_at_ms=epoch_ms(str(event.get("created_timestamp", ""))),
        recipient_id=recipient_id,
        text_with_links=text_with_links(text, as_mapping(data.get("entities"))),
        latitude=attachment.latitude,
        longitude=attachment.longitude,
        place_name=attachment.place_name,
    )


def queued_dms(
    events: list[Any], account_id: str, surface: Surface, names: Callable[[str], tuple[str, str]]
) -> list[QueuedDM]:
    """The queued DMs among a delivery's events, users' and the account's own (a person may have written them).

    names gives a sender's name and screen name from their id.
    """
    dms = []
    for event in events:
        recipient_id = own_message_to(event, account_id)
        if recipient_id or is_dm_to_answer(event, account_id):
            name, screen_name = names(event["message_create"]["sender_id"])
            dms.append(
                queued_dm(
                    event,
                    account_id,
                    surface,
                    sender_name=name,
                    sender_screen_name=screen_name,
                    recipient_id=recipient_id or "",
                )
            )
    return dms
