"""Per-conversation state in DynamoDB: opt-out, a person's takeover, the loop breaker, and buttons kept for later."""

import hashlib
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from dmchannel.bots.base import Button
from dmchannel.storage.sealing import PLAIN, Sealer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

WINDOW_SECONDS = 60
OUTGOING_TTL_SECONDS = 6 * 86_400  # X replays up to about 5 days of events
LINK = re.compile(r"https?://\S+")


def _fingerprint(text: str) -> str:
    """A message's text, as X echoes it or not: links (X shortens them) and spacing left out, then hashed."""
    plain = " ".join(LINK.sub(" ", text).split())
    return hashlib.sha256(plain.encode()).hexdigest()[:32]


BUTTONS_TTL_SECONDS = 7 * 86_400


class Loop(Enum):
    """The loop breaker's verdict on one DM."""

    OK = "ok"  # answer it
    NOTICE = "notice"  # the conversation is muted now: tell the user, once
    MUTED = "muted"  # muted: leave it unanswered


@dataclass
class ConversationState:
    """What the channel remembers about its conversations with users."""

    dynamodb: "DynamoDBClient"
    table: str
    bot_id: str
    clock: Callable[[], float] = field(default=time.time)
    sealer: Sealer = PLAIN  # how kept buttons are stored (sealed in an XChat conversation)

    def _key(self, kind: str, *parts: str) -> dict[str, dict[str, str]]:
        return {"pk": {"S": "#".join((kind, self.bot_id, *parts))}}

    def is_opted_out(self, user_id: str) -> bool:
        """Whether the user sent STOP (and not START since)."""
        answer = self.dynamodb.get_item(TableName=self.table, Key=self._key("optout", user_id), ConsistentRead=True)
        return "Item" in answer

    def set_opted_out(self, user_id: str, opted_out: bool) -> None:
        """Keep the user's choice (no expiry: it holds until they change it)."""
        if opted_out:
            item = {**self._key("optout", user_id), "since": {"N": str(int(self.clock()))}}
            self.dynamodb.put_item(TableName=self.table, Item=item)
        else:
            self.dynamodb.delete_item(TableName=self.table, Key=self._key("optout", user_id))

    def hand_to_person(self, user_id: str, seconds: int) -> None:
        """A person has the conversation for the next seconds: the bot stays quiet in it."""
        until = str(int(self.clock()) + seconds)
        item = {**self._key("human", user_id), "until": {"N": until}, "expires_at": {"N": until}}
        self.dynamodb.put_item(TableName=self.table, Item=item)

    def with_person(self, user_id: str) -> bool:
        """Whether a person has the conversation now."""
        item = self.dynamodb.get_item(TableName=self.table, Key=self._key("human", user_id), ConsistentRead=True).get(
            "Item", {}
        )
        return float(item.get("until", {}).get("N", "0")) > self.clock()

    def give_back_to_bot(self, user_id: str) -> bool:
        """End a person's takeover; False when there was none."""
        answer = self.dynamodb.delete_item(
            TableName=self.table, Key=self._key("human", user_id), ReturnValues="ALL_OLD"
        )
        return float(answer.get("Attributes", {}).get("until", {}).get("N", "0")) > self.clock()

    def note_outgoing(self, user_id: str, text: str) -> None:
        """Note a message the channel is about to send, before X is called: its echo may come first."""
        expires = str(int(self.clock()) + OUTGOING_TTL_SECONDS)
        item = {**self._key("outgoing", user_id, _fingerprint(text)), "expires_at": {"N": expires}}
        self.dynamodb.put_item(TableName=self.table, Item=item)

    def sent_by_channel(self, user_id: str, text: str) -> bool:
        """Whether the channel sent (or was about to send) this text to the user in the last days."""
        key = self._key("outgoing", user_id, _fingerprint(text))
        return "Item" in self.dynamodb.get_item(TableName=self.table, Key=key, ConsistentRead=True)

    def loop_verdict(
        self, user_id: str, dm_id: str, created_at: float, max_per_minute: int, quiet_seconds: int
    ) -> Loop:
        """Count one DM by when the user wrote it; tell whether the conversation goes faster than a person writes.

        Over max_per_minute DMs written within 60 seconds mutes the conversation until it has
        been quiet for quiet_seconds (each DM written meanwhile pushes that back). Counting
        by the DMs' creation times answers a backlog or a replay; counting each DM's id
        once makes a redelivery count nothing. The first DM of a mute gets the notice.
        """
        minute = int(created_at // WINDOW_SECONDS)
        entry = f"{int(created_at * 1000)}#{dm_id}"  # when the user wrote it, and which DM: counted once
        counted = self.dynamodb.update_item(
            TableName=self.table,
            Key=self._key("rate", user_id, str(minute)),
            UpdateExpression="ADD dms :dm SET expires_at = :expires",
            ExpressionAttributeValues={
                ":dm": {"SS": [entry]},
                ":expires": {"N": str(int(max(created_at, self.clock())) + 2 * WINDOW_SECONDS)},
            },
            ReturnValues="ALL_NEW",
        )
        earlier = self.dynamodb.get_item(
            TableName=self.table, Key=self._key("rate", user_id, str(minute - 1)), ConsistentRead=True
        )
        entries = [*counted["Attributes"]["dms"]["SS"], *earlier.get("Item", {}).get("dms", {}).get("SS", [])]
        since = (created_at - WINDOW_SECONDS) * 1000
        written = sum(since < int(other.split("#", 1)[0]) <= created_at * 1000 for other in entries)
        too_fast = written > max_per_minute
        mute = self.dynamodb.get_item(TableName=self.table, Key=self._key("mute", user_id), ConsistentRead=True)
        item = mute.get("Item", {})
        until = float(item.get("until", {}).get("N", "0"))
        muted = until > created_at
        if not (too_fast or muted):
            return Loop.OK
        episode = item.get("episode", {}).get("N", "") if muted else str(int(created_at))
        noticed_by = item.get("notice_dm", {}).get("S", "")
        first = item.get("notice_episode", {}).get("N") != episode or noticed_by == dm_id
        until = max(until, created_at + quiet_seconds)
        self.dynamodb.put_item(
            TableName=self.table,
            Item={
                **self._key("mute", user_id),
                "until": {"N": str(int(until))},
                "episode": {"N": episode},
                "notice_episode": {"N": episode},
                "notice_dm": {"S": dm_id if first else noticed_by},
                "expires_at": {"N": str(int(max(until, self.clock())) + 86_400)},
            },
        )
        return Loop.NOTICE if first else Loop.MUTED

    def save_buttons(self, key: str, buttons: Sequence[Button]) -> None:
        """Keep buttons for later: those a "More options" button shows, or those offered as a numbered list."""
        value = self.sealer.seal_text(json.dumps([[b.title, b.payload] for b in buttons], ensure_ascii=False))
        expires = str(int(self.clock()) + BUTTONS_TTL_SECONDS)
        item = {**self._key("buttons", key), "buttons": {"S": value}, "expires_at": {"N": expires}}
        self.dynamodb.put_item(TableName=self.table, Item=item)

    def forget_buttons(self, key: str) -> None:
        """Forget the buttons kept under key (a menu answered, or replaced by an answer without one)."""
        self.dynamodb.delete_item(TableName=self.table, Key=self._key("buttons", key))

    def buttons(self, key: str) -> list[Button]:
        """The buttons kept under key (none once expired)."""
        item = self.dynamodb.get_item(TableName=self.table, Key=self._key("buttons", key)).get("Item", {})
        value = self.sealer.unseal_text(item["buttons"]["S"]) if "buttons" in item else None
        return [Button(title, payload) for title, payload in json.loads(value or "[]")]
