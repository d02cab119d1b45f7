"""X's send window for the account: how many DMs X will still take before its rate-limit window resets.

Every send's answer carries ``x-rate-limit-remaining`` and ``x-rate-limit-reset``; a 429
says the window is spent. DMs wait for the reset instead of learning the limit from 429s.
"""

from dataclasses import dataclass

from dmchannel.storage.table import AccountItems, Item, Key, Prefix


@dataclass
class SendWindow(AccountItems):
    """The account's window (key ``window#ACCOUNT``)."""

    def key(self) -> Key:
        """The window's item, read with each DM's other reads."""
        return Prefix.WINDOW.key(self.account_id)

    def held_until(self, items: dict[str, Item]) -> float:
        """The epoch second until which X takes no more DMs from the account, or 0 (from the items read)."""
        item = items.get(self.key()["pk"]["S"], {})
        remaining = int(item.get("remaining", {}).get("N", "1"))
        reset = float(item.get("reset", {}).get("N", "0"))
        return reset if remaining <= 0 and reset > self.clock() else 0

    def observe(self, remaining: int, reset: float) -> None:
        """Keep what X said of the window; a spent window holds every DM of the account until reset."""
        expires = int(max(reset, self.clock())) + 3_600
        self.dynamodb.put_item(
            TableName=self.table,
            Item={
                **self.key(),
                "remaining": {"N": str(remaining)},
                "reset": {"N": str(int(reset))},
                "expires_at": {"N": str(expires)},
            },
        )
