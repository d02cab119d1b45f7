"""What one account's billable X events cost over the rolling 24 hours (``spend#ACCOUNT#HOUR``), for DailyXSpendLimitUsd.

X bills each DM event it delivers and each DM sent. Sends are the ledger's hourly counts;
received events are counted here, in hourly buckets of their own, only for an account with a
limit: an account without one pays no request for it.
"""

from dataclasses import dataclass, field
from typing import Any

from dmchannel.storage.ledger import HOUR_SECONDS, WINDOW_HOURS, Ledger
from dmchannel.storage.table import AccountItems, Key, Prefix
from dmchannel.x.prices import XPrices

BUCKET_TTL_SECONDS = 2 * WINDOW_HOURS * HOUR_SECONDS


@dataclass
class XSpend(AccountItems):
    """The account's X bill for the last 24 hours, against its limit."""

    limit_usd: float = field(kw_only=True)
    prices: XPrices = field(kw_only=True)
    ledger: Ledger = field(kw_only=True)

    def _key(self, hour: int) -> Key:
        return Prefix.SPEND.key(self.account_id, str(hour))

    def note_received(self) -> None:
        """One more billable event delivered to the account (each DM counted once, on its first attempt)."""
        hour = int(self.clock() // HOUR_SECONDS)
        self.dynamodb.update_item(
            TableName=self.table,
            Key=self._key(hour),
            UpdateExpression="ADD received :one SET expires_at = if_not_exists(expires_at, :expires)",
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":expires": {"N": str(hour * HOUR_SECONDS + BUCKET_TTL_SECONDS)},
            },
        )

    def _received_in_24_hours(self) -> int:
        hour = int(self.clock() // HOUR_SECONDS)
        request: Any = {self.table: {"Keys": [self._key(h) for h in range(hour - WINDOW_HOURS, hour + 1)]}}
        received = 0
        while request:
            answer = self.dynamodb.batch_get_item(RequestItems=request)
            received += sum(int(i.get("received", {}).get("N", "0")) for i in answer["Responses"].get(self.table, []))
            request = answer.get("UnprocessedKeys") or None
        return received

    def spent_usd(self) -> float:
        """What the account's billable events of the last 24 hours cost, at the prices' list."""
        return self.prices.cost(self._received_in_24_hours(), self.ledger.used_in_24_hours())
