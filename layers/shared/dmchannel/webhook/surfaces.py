"""The parser of each surface X delivers DMs through; each finds nothing in another surface's delivery."""

from collections.abc import Callable, Mapping
from typing import Any

from dmchannel.queued_dm import QueuedDM
from dmchannel.webhook import account_activity, activity_api, xchat

PARSERS: tuple[Callable[[Mapping[str, Any]], list[QueuedDM]], ...] = (
    account_activity.dms_to_answer,
    activity_api.dms_to_answer,
    xchat.dms_to_answer,
)


def dms_in(delivery: Mapping[str, Any]) -> list[QueuedDM]:
    """The DMs to answer in a delivery, whichever surface it came from."""
    return [dm for parse in PARSERS for dm in parse(delivery)]
