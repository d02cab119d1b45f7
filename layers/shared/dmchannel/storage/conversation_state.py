"""Per-conversation state in DynamoDB: opt-out, the loop breaker, and buttons kept for later."""

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dmchannel.bots.base import Button

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

WINDOW_SECONDS = 60
BUTTONS_TTL_SECONDS = 7 * 86_400


@dataclass
class ConversationState:
    """What the channel remembers about its conversations with users."""

    dynamodb: "DynamoDBClient"
    table: str
    bot_id: str
    clock: Callable[[], float] = field(default=time.time)

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

    def is_looping(self, user_id: str, max_per_minute: int, quiet_seconds: int) -> bool:
        """Count one inbound DM; tell whether the conversation goes faster than a person writes.

        Over max_per_minute DMs in a minute mutes the conversation; it stays muted until
        it has been quiet for quiet_seconds (each DM while muted pushes that back).
        """
        now = int(self.clock())
        window = str(now // WINDOW_SECONDS)
        counted = self.dynamodb.update_item(
            TableName=self.table,
            Key=self._key("rate", user_id, window),
            UpdateExpression="ADD dms :one SET expires_at = :expires",
            ExpressionAttributeValues={":one": {"N": "1"}, ":expires": {"N": str(now + 2 * WINDOW_SECONDS)}},
            ReturnValues="UPDATED_NEW",
        )
        too_fast = int(counted["Attributes"]["dms"]["N"]) > max_per_minute
        mute = self.dynamodb.get_item(TableName=self.table, Key=self._key("mute", user_id), ConsistentRead=True)
        muted = int(mute.get("Item", {}).get("until", {}).get("N", "0")) > now
        if too_fast or muted:
            until = str(now + quiet_seconds)
            item = {**self._key("mute", user_id), "until": {"N": until}, "expires_at": {"N": until}}
            self.dynamodb.put_item(TableName=self.table, Item=item)
        return too_fast or muted

    def save_buttons(self, key: str, buttons: Sequence[Button]) -> None:
        """Keep buttons for later: those a "More options" button shows, or those offered as a numbered list."""
        value = json.dumps([[b.title, b.payload] for b in buttons], ensure_ascii=False)
        expires = str(int(self.clock()) + BUTTONS_TTL_SECONDS)
        item = {**self._key("buttons", key), "buttons": {"S": value}, "expires_at": {"N": expires}}
        self.dynamodb.put_item(TableName=self.table, Item=item)

    def buttons(self, key: str) -> list[Button]:
        """The buttons kept under key (none once expired)."""
        item = self.dynamodb.get_item(TableName=self.table, Key=self._key("buttons", key)).get("Item", {})
        return [Button(title, payload) for title, payload in json.loads(item.get("buttons", {}).get("S", "[]"))]
