"""Account Activity deliveries (v1.1 and v2 webhooks): the DMs users sent to the subscribed account."""

from collections.abc import Mapping
from typing import Any

from dmchannel.queued_dm import QueuedDM, Surface
from dmchannel.webhook.dm_events import queued_dms
from dmchannel.webhook.json_values import as_mapping


def dms_to_answer(delivery: Mapping[str, Any]) -> list[QueuedDM]:
    """Return the DMs of a delivery: users' to the subscribed account (``for_user_id``), and its own (echoes).

    An echo may be a person answering from the account. Everything else (typing and read
    events, tweets, follows, keys this code does not know, another API's deliveries) is left out.
    """
    account_id = delivery.get("for_user_id")
    events = delivery.get("direct_message_events")
    if not isinstance(account_id, str) or not isinstance(events, list):
        return []
    users = as_mapping(delivery.get("users"))

    def names(sender_id: str) -> tuple[str, str]:
        user = as_mapping(users.get(sender_id))
        return str(user.get("name", "")), str(user.get("screen_name", ""))

    return queued_dms(events, account_id, Surface.ACCOUNT_ACTIVITY, names)
