"""X Activity API ``chat.received`` deliveries: XChat messages, queued still encrypted (the webhook never decrypts).

Each delivery item names the account (``data.filter.user_id``) and holds one message under
``payload``: its signed id, ``sender_id``, ``created_at_msec``, ``encoded_event`` (base64 Thrift)
and, when X includes it, ``conversation_key_change_event``. ``chat.sent``, the account's own
messages and every other chat event need nothing.
"""

from collections.abc import Mapping
from typing import Any

from dmchannel.queued_dm import QueuedDM, Surface
from dmchannel.webhook.json_values import as_mapping, epoch_ms

CHAT_RECEIVED = "chat.received"


def _text_field(payload: Mapping[str, Any], name: str) -> str:
    value = payload.get(name)
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def _message_of(item: Any) -> QueuedDM | None:
    item = as_mapping(item)
    if item.get("event_type") != CHAT_RECEIVED:
        return None
    account_id = _text_field(as_mapping(item.get("filter")), "user_id")
    payload = as_mapping(item.get("payload"))
    message_id, sender_id = _text_field(payload, "id"), _text_field(payload, "sender_id")
    encoded_event = _text_field(payload, "encoded_event")
    if not (account_id and message_id and sender_id and encoded_event) or sender_id == account_id:
        return None
    created = _text_field(payload, "created_at_msec")
    return QueuedDM(
        surface=Surface.XCHAT,
        account_id=account_id,
        dm_id=message_id,
        sender_id=sender_id,
        text="",  # read by the responder, from encoded_event
        created_at_ms=epoch_ms(created),
        encoded_event=encoded_event,
        key_change_event=_text_field(payload, "conversation_key_change_event"),
        key_version=_text_field(payload, "conversation_key_version"),
    )


def dms_to_answer(delivery: Mapping[str, Any]) -> list[QueuedDM]:
    """Return the XChat messages users sent to the subscribed accounts, encrypted as X delivered them."""
    data = delivery.get("data")
    items = data if isinstance(data, list) else [data]
    return [dm for item in items if (dm := _message_of(item)) is not None]
