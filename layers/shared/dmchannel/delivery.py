"""Picks, from one Account Activity delivery, the direct messages that need an answer."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class InboundDM:
    """A DM sent to the bot account, with what the responder needs to answer it."""

    for_user_id: str
    event: Mapping[str, Any]
    user: Mapping[str, Any] | None

    @property
    def event_id(self) -> str:
        """X's id of the DM event."""
        return str(self.event["id"])

    @property
    def sender_id(self) -> str:
        """The user who wrote to the bot."""
        return str(self.event["message_create"]["sender_id"])

    @property
    def conversation_id(self) -> str:
        """The bot account and the user: one FIFO message group each."""
        return f"{self.for_user_id}-{self.sender_id}"

    def to_message(self) -> str:
        """The queue message body."""
        return json.dumps(
            {"for_user_id": self.for_user_id, "event": self.event, "user": self.user},
            ensure_ascii=False,
            separators=(",", ":"),
        )


def _is_dm_to_answer(event: Any, for_user_id: str) -> bool:
    if not isinstance(event, Mapping) or event.get("type") != "message_create":
        return False
    message = event.get("message_create")
    if not isinstance(message, Mapping) or not isinstance(event.get("id"), str):
        return False
    sender_id = message.get("sender_id")
    # The bot's own messages come back as echoes: answering them would loop forever.
    return isinstance(sender_id, str) and sender_id != for_user_id


def dms_to_answer(delivery: Mapping[str, Any]) -> list[InboundDM]:
    """Return the DMs of a delivery that a user sent to the subscribed bot account.

    Everything else (typing and read events, tweets, follows, the bot's echoes,
    keys this code does not know) needs no answer and is left out.
    """
    for_user_id = delivery.get("for_user_id")
    events = delivery.get("direct_message_events")
    if not isinstance(for_user_id, str) or not isinstance(events, list):
        return []
    users = delivery.get("users")
    users = users if isinstance(users, Mapping) else {}
    return [
        InboundDM(
            for_user_id=for_user_id,
            event=event,
            user=users.get(event["message_create"]["sender_id"]),
        )
        for event in events
        if _is_dm_to_answer(event, for_user_id)
    ]
