"""What the assistant remembers of each conversation: its last turns, bounded, forgotten after a while.

One item per account and user (``memory#ACCOUNT#USER``): the last turns as JSON, oldest
first, at most max_turns exchanges and max_chars characters (so one long conversation cannot
grow what each answer costs), kept ttl_seconds after the last one.
"""

import json
from dataclasses import dataclass, field

from dmchannel.storage.sealing import PLAIN, Sealer
from dmchannel.storage.table import AccountItems, Key, Prefix

History = tuple[tuple[str, str], ...]  # (role: "user" or "assistant", text), oldest first


@dataclass
class ConversationMemory(AccountItems):
    """The remembered turns of one account's conversations."""

    max_turns: int = field(default=10, kw_only=True)
    max_chars: int = field(default=8_000, kw_only=True)
    ttl_seconds: int = field(default=3_600, kw_only=True)
    sealer: Sealer = field(default=PLAIN, kw_only=True)  # how the turns are stored (sealed in an XChat conversation)

    def _key(self, user_id: str) -> Key:
        return Prefix.MEMORY.key(self.account_id, user_id)

    def recall(self, user_id: str) -> History:
        """The conversation's remembered turns (none once its time-to-live has passed)."""
        item = self._get(self._key(user_id))
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
