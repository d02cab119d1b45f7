"""What the assistant remembers of each conversation: its last turns, bounded, forgotten after a while.

One item per account and user (``memory#ACCOUNT#USER``): the last turns as JSON, oldest
first, at most max_turns exchanges and max_chars characters (so one long conversation cannot
grow what each answer costs), kept ttl_seconds after the last one.
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dmchannel.storage.sealing import PLAIN, Sealer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

History = tuple[tuple[str, str], ...]  # (role: "user" or "assistant", text), oldest first


@dataclass
class ConversationMemory:
    """The remembered turns of one account's conversations."""

    dynamodb: "DynamoDBClient"
    table: str
    bot_id: str
    max_turns: int = 10
    max_chars: int = 8_000
    ttl_seconds: int = 3_600
    clock: Callable[[], float] = field(default=time.time)
    sealer: Sealer = PLAIN  # how the turns are stored (sealed in an XChat conversation)

    def _key(self, user_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"memory#{self.bot_id}#{user_id}"}}

    def recall(self, user_id: str) -> History:
        """The conversation's remembered turns (none once its time-to-live has passed)."""
        item = self.dynamodb.get_item(TableName=self.table, Key=self._key(user_id), ConsistentRead=True).get("Item")
        if not item or int(item.get("expires_at", {}).get("N", "0")) <= self.clock():
            return ()
        turns = self.sealer.unseal_text(item["turns"]["S"])
        return tuple((str(role), str(text)) for role, text in json.loads(turns or "[]"))

    def remember(self, user_id: str, history: History, said: str, answered: str) -> None:
        """Keep one more exchange after history, within the bounds (the oldest exchanges go first)."""
        turns = [*history, ("user", said), ("assistant", answered)][-2 * self.max_turns :]
        while len(turns) > 2 and sum(len(text) for _, text in turns) > self.max_chars:
            turns = turns[2:]
        item = {
            **self._key(user_id),
            "turns": {"S": self.sealer.seal_text(json.dumps(turns, ensure_ascii=False))},
            "expires_at": {"N": str(int(self.clock()) + self.ttl_seconds)},
        }
        self.dynamodb.put_item(TableName=self.table, Item=item)

    def forget(self, user_id: str) -> None:
        """Forget the conversation (STOP, or the user asked to start over)."""
        self.dynamodb.delete_item(TableName=self.table, Key=self._key(user_id))
