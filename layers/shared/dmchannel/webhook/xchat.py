"""X Activity API ``chat.received`` deliveries: XChat messages, queued still encrypted (the webhook never decrypts).

X documents two shapes, and which one live webhooks send is unconfirmed, so both are read:

- ``activity/event-payloads``: the account in ``data.filter.user_id``; ``payload.id``,
  ``created_at_msec``, ``conversation_id`` as ``sender:account``;
- ``xchat/real-time-events`` ("live"): no ``filter``, no ``payload.id``; ``conversation_id``
  as ``a-b``.

Both carry ``sender_id``, ``encoded_event`` (base64 Thrift), ``conversation_key_version`` and,
when X includes it, ``conversation_key_change_event``. The account is ``filter.user_id``, else
the participant of ``conversation_id`` who is not the sender (a group's id names none). The
message id is the one signed in the envelope (``xchat.envelope``), read without decrypting;
``payload.id`` only when the envelope cannot be read. A delivery that cannot be placed is
logged with its reason and counted, never silently acknowledged. ``chat.sent`` is the
account's own message: queued (still encrypted, never read) with the user it went to, so that
one the channel did not send (a person answering from the account) pauses the bot. Every
other chat event needs nothing here.
"""

import re
from collections.abc import Mapping
from typing import Any

from dmchannel.queued_dm import QueuedDM, Surface
from dmchannel.webhook.json_values import as_mapping, epoch_ms
from dmchannel.xchat.envelope import SignedIds, signed_ids

CHAT_RECEIVED = "chat.received"
CHAT_SENT = "chat.sent"  # the account's own messages: the channel's, or a person's answering from the account
TWO_USERS = re.compile(r"^(\d+)[:-](\d+)$")  # a one-to-one conversation's id, in either documented form


def _text_field(payload: Mapping[str, Any], name: str) -> str:
    value = payload.get(name)
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def _other_participant(payload: Mapping[str, Any], user_id: str) -> str:
    """The one-to-one conversation's participant who is not user_id ("": a group's, or no such conversation)."""
    pair = TWO_USERS.match(_text_field(payload, "conversation_id"))
    others = [user for user in pair.groups() if user != user_id] if pair else []
    return others[0] if len(others) == 1 else ""


def _message_id(payload: Mapping[str, Any], signed: SignedIds | None) -> str:
    """The message's id: the one signed in its envelope (read without decrypting), else the payload's."""
    return (signed.message_id if signed else "") or _text_field(payload, "id")


def _say(message: str, *, counted: bool = False, **fields: Any) -> None:
    """A warning (and a count of deliveries not placed): the logger is loaded here, as the local tools parse too."""
    from dmchannel.observability import Metric, count_now, logger  # noqa: PLC0415 - off the tools' import

    logger.warning(message, **fields)
    if counted:
        count_now(Metric.XCHAT_DELIVERIES_NOT_PLACED)


def _not_placed(item: Mapping[str, Any], reason: str) -> None:
    """A chat.received X delivered that cannot be queued: said, with its delivery's id, and counted."""
    _say("XChat delivery not queued", counted=True, reason=reason, event_uuid=_text_field(item, "event_uuid"))


def _message_of(item: Any) -> QueuedDM | None:
    item = as_mapping(item)
    if item.get("event_type") == CHAT_SENT:
        return _own_message(item)
    if item.get("event_type") != CHAT_RECEIVED:
        return None
    payload = as_mapping(item.get("payload"))
    sender_id, encoded_event = _text_field(payload, "sender_id"), _text_field(payload, "encoded_event")
    if not (sender_id and encoded_event):
        _not_placed(item, "no sender or no encoded event")
        return None
    account_id = _text_field(as_mapping(item.get("filter")), "user_id") or _other_participant(payload, sender_id)
    if not account_id:
        _not_placed(item, "no account: no filter, and no one-to-one conversation id naming one")
        return None
    if sender_id == account_id:
        return None  # the account's own message
    signed = signed_ids(encoded_event)
    message_id = _message_id(payload, signed)
    if not message_id:
        _not_placed(item, "no message id: none signed in the envelope, none in the payload")
        return None
    if signed and _text_field(payload, "id") not in ("", message_id):
        _say("XChat delivery's id is not the signed one: the signed one is kept", dm_id=message_id)
    created = _text_field(payload, "created_at_msec") or (signed.created_at_ms if signed else "")
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


def _own_message(item: Mapping[str, Any]) -> QueuedDM | None:
    """A chat.sent: the account's message to a user, by its signed id (its text is never read)."""
    payload = as_mapping(item.get("payload"))
    account_id = _text_field(payload, "sender_id")
    user_id = _other_participant(payload, account_id)
    message_id = _message_id(payload, signed_ids(_text_field(payload, "encoded_event")))
    if not (account_id and user_id and message_id):
        _not_placed(item, "a chat.sent naming no account, no user or no message")
        return None
    return QueuedDM(
        surface=Surface.XCHAT,
        account_id=account_id,
        dm_id=message_id,
        sender_id=account_id,
        text="",
        encoded_event=_text_field(payload, "encoded_event"),
        recipient_id=user_id,
    )


def dms_to_answer(delivery: Mapping[str, Any]) -> list[QueuedDM]:
    """Return the XChat messages users sent to the subscribed accounts, encrypted as X delivered them."""
    data = delivery.get("data")
    items = data if isinstance(data, list) else [data]
    return [dm for item in items if (dm := _message_of(item)) is not None]
