"""Buttons kept for later (``buttons#ACCOUNT#KEY``): those behind "More options", and the menu last offered.

A numbered list is answered by number, so the menu it stands for is kept; in an XChat
conversation it is sealed with the conversation's key, so the table holds no plaintext.
They are written with the answer's plan, and the offered menu is read with the DM's other reads.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from dmchannel.bots.base import Button
from dmchannel.storage.sealing import PLAIN, Sealer
from dmchannel.storage.table import AccountItems, Item, Key, Prefix, Write

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

    def key(self, key: str) -> Key:
        """The item of the buttons kept under key."""
        return Prefix.BUTTONS.key(self.account_id, key)

    def save(self, key: str, buttons: Sequence[Button]) -> tuple[Write, int]:
        """The write that keeps buttons under key, as many as fit one item (in order), and how many it keeps."""
        kept, size = [], 2
        for button in buttons:
            size += len(json.dumps([button.title, button.payload], ensure_ascii=False).encode()) + 1
            if size > MAX_KEPT_BYTES:
                break
            kept.append([button.title, button.payload])
        value = self.sealer.seal_text(json.dumps(kept, ensure_ascii=False))
        expires = str(int(self.clock()) + BUTTONS_TTL_SECONDS)
        item = {**self.key(key), "buttons": {"S": value}, "expires_at": {"N": expires}}
        return {"Put": {"TableName": self.table, "Item": item}}, len(kept)

    def forget(self, key: str) -> Write:
        """The write that forgets the buttons kept under key (a menu answered, or replaced by an answer without one)."""
        return {"Delete": {"TableName": self.table, "Key": self.key(key)}}

    def buttons(self, key: str) -> list[Button]:
        """The buttons kept under key (none once expired, or sealed where they cannot be opened)."""
        return self.buttons_in(self._get(self.key(key), consistent=False))

    def buttons_in(self, item: Item) -> list[Button]:
        """The buttons an item read holds."""
        value = self.sealer.unseal_text(item["buttons"]["S"]) if "buttons" in item else None
        return [Button(title, payload) for title, payload in json.loads(value or "[]")]
