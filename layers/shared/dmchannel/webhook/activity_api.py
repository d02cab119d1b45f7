"""X Activity API deliveries: ``dm.received`` and ``dm.sent`` events, one object or a list of them under ``data``.

The account is ``data.filter.user_id``; the DMs are ``data.payload.direct_message_events``, in
the Account Activity shape; users are wrapped (``users[id].data``) with v2 names (``username``).
``dm.sent`` carries the account's own messages (a person may have written one); ``dm.read``,
``dm.indicate_typing`` and every other event type need nothing.
"""

from collections.abc import Mapping
from typing import Any

from dmchannel.queued_dm import QueuedDM, Surface
from dmchannel.webhook.dm_events import queued_dms
from dmchannel.webhook.json_values import as_mapping

DM_RECEIVED = "dm.received"
DM_SENT = "dm.sent"


def _dms_of(item: Any) -> list[QueuedDM]:
    item = as_mapping(item)
    if item.get("event_type") not in {DM_RECEIVED, DM_SENT}:
        return []
    account_id = as_mapping(item.get("filter")).get("user_id")
    payload = as_mapping(item.get("payload"))
    events = payload.get("direct_message_events")
    if not isinstance(account_id, str) or not isinstance(events, list):
        return []
    users = as_mapping(payload.get("users"))

    def names(sender_id: str) -> tuple[str, str]:
        entry = as_mapping(users.get(sender_id))
        user = as_mapping(entry.get("data", entry))  # X wraps each user in {"data": ...}
        return str(user.get("name", "")), str(user.get("username", ""))

    return queued_dms(events, account_id, Surface.ACTIVITY_API, names)


def dms_to_answer(delivery: Mapping[str, Any]) -> list[QueuedDM]:
    """Return the DMs users sent to the subscribed accounts in an X Activity API delivery."""
    data = delivery.get("data")
    items = data if isinstance(data, list) else [data]
    return [dm for item in items for dm in _dms_of(item)]
