"""Account Activity deliveries (v1.1 and v2 webhooks): the DMs users sent to the subscribed account."""

from collections.abc import Mapping
from typing import Any

from dmchannel.queued_dm import QueuedDM, Surface
from dmchannel.webhook.dm_events import is_dm_to_answer, queued_dm


def dms_to_answer(delivery: Mapping[str, Any]) -> list[QueuedDM]:
    """Return the DMs of a delivery that a user sent to the subscribed account (``for_user_id``).

    Everything else (typing and read events, tweets, follows, the account's echoes,
    keys this code does not know, another API's deliveries) needs no answer and is left out.
    """
    account_id = delivery.get("for_user_id")
    events = delivery.get("direct_message_events")
    if not isinstance(account_id, str) or not isinstance(events, list):
        return []
    users = delivery.get("users")
    users = users if isinstance(users, Mapping) else {}
    dms = []
    for event in events:
        if is_dm_to_answer(event, account_id):
            user = users.get(event["message_create"]["sender_id"])
            user = user if isinstance(user, Mapping) else {}
            name, screen_name = str(user.get("name", "")), str(user.get("screen_name", ""))
            dms.append(
                queued_dm(event, account_id, Surface.ACCOUNT_ACTIVITY, sender_name=name, sender_screen_name=screen_name)
            )
    return dms
