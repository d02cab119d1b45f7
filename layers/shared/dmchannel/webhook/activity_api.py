"""X Activity API deliveries: ``dm.received`` events, one object or a list of them under ``data``.

The account is ``data.filter.user_id``; the DMs are ``data.payload.direct_message_events``, in
the Account Activity shape; users are wrapped (``users[id].data``) with v2 names (``username``).
``dm.sent``, ``dm.read``, ``dm.indicate_typing`` and every other event type need no answer.
"""

from collections.abc import Mapping
from typing import Any

from dmchannel.queued_dm import QueuedDM, Surface
from dmchannel.webhook.dm_events import is_dm_to_answer, queued_dm

DM_RECEIVED = "dm.received"


def _user(users: Mapping[str, Any], user_id: str) -> Mapping[str, Any]:
    entry = users.get(user_id)
    entry = entry.get("data", entry) if isinstance(entry, Mapping) else {}
    return entry if isinstance(entry, Mapping) else {}


def _dms_of(item: Any) -> list[QueuedDM]:
    if not isinstance(item, Mapping) or item.get("event_type") != DM_RECEIVED:
        return []
    subscription_filter = item.get("filter")
    account_id = subscription_filter.get("user_id") if isinstance(subscription_filter, Mapping) else None
    payload = item.get("payload")
    payload = payload if isinstance(payload, Mapping) else {}
    events = payload.get("direct_message_events")
    if not isinstance(account_id, str) or not isinstance(events, list):
        return []
    users = payload.get("users")
    users = users if isinstance(users, Mapping) else {}
    dms = []
    for event in events:
        if is_dm_to_answer(event, account_id):
            user = _user(users, event["message_create"]["sender_id"])
            name, username = str(user.get("name", "")), str(user.get("username", ""))
            dms.append(
                queued_dm(event, account_id, Surface.ACTIVITY_API, sender_name=name, sender_screen_name=username)
            )
    return dms


def dms_to_answer(delivery: Mapping[str, Any]) -> list[QueuedDM]:
    """Return the DMs users sent to the subscribed accounts in an X Activity API delivery."""
    data = delivery.get("data")
    items = data if isinstance(data, list) else [data]
    return [dm for item in items for dm in _dms_of(item)]
