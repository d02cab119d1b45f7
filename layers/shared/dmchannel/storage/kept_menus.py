"""Buttons kept for later (``buttons#ACCOUNT#KEY``): those behind "More options", and the menu last offered.

A numbered list is answered by number, so the menu it stands for is kept; in an XChat
conversation it is sealed with the conversation's key, so the table holds no plaintext.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from dmchannel.bots.base import Button
from dmchannel.storage.sealing import PLAIN, Sealer
from dmchannel.storage.table import AccountItems, Prefix

BUTTONS_TTL_SECONDS = 7 * 86_400
MAX_KEPT_BYTES = 200_000  # of buttons, as JSON: sealed, they stay well within DynamoDB's 400 KB item


def more_key(dm_id: str) -> str:
    """Where the buttons behind a DM's "More options" are kept."""
    return f"more#{dm_id}"


def offered_key(user_id: str) -> str:
    """Where the menu last offered to a user as a numbered list is kept."""
    return f"offered#{user_id}"


@dataclass
class KeptMenus(AccountItems):
    """One account's kept buttons, stored through a sealer."""

    sealer: Sealer = field(default=PLAIN, kw_only=True)

    def save(self, key: str, buttons: Sequence[Button]) -> int:
        """Keep buttons under key, as many as fit one item (in order); how many were kept."""
        kept, size = [], 2
        for button in buttons:
            size += len(json.dumps([button.title, button.payload], ensure_ascii=False).encode()) + 1
            if size > MAX_KEPT_BYTES:
                break
            kept.append([button.title, button.payload])
        value = self.sealer.seal_text(json.dumps(kept, ensure_ascii=False))
        expires = str(int(self.clock()) + BUTTONS_TTL_SECONDS)
        item = {**Prefix.BUTTONS.key(self.account_id, key), "buttons": {"S": value}, "expires_at": {"N": expires}}
        self.dynamodb.put_item(TableName=self.table, Item=item)
        return len(kept)

    def forget(self, key: str) -> None:
        """Forget the buttons kept under key (a menu answered, or replaced by an answer without one)."""
        self.dynamodb.delete_item(TableName=self.table, Key=Prefix.BUTTONS.key(self.account_id, key))

    def buttons(self, key: str) -> list[Button]:
        """The buttons kept under key (none once expired, or sealed where they cannot be opened)."""
        item = self._get(Prefix.BUTTONS.key(self.account_id, key), consistent=False)
        value = self.sealer.unseal_text(item["buttons"]["S"]) if "buttons" in item else None
        return [Button(title, payload) for title, payload in json.loads(value or "[]")]
