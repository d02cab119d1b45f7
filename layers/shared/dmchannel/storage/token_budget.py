"""The Bedrock assistant's daily token budget, per bot account, counted atomically.

One counter per account and UTC day (``tokens#ACCOUNT#DAY``): Bedrock bills tokens, so the
day is the billing day, not a rolling window. Tokens are added after each answer, so a
burst of concurrent answers can pass the budget by at most their own tokens.
"""

from dataclasses import dataclass, field

from dmchannel.storage.table import AccountItems, Key, Prefix

DAY_SECONDS = 86_400


@dataclass
class TokenBudget(AccountItems):
    """Input and output tokens spent by one account's assistant today, against its daily budget."""

    daily_tokens: int = field(kw_only=True)

    def _key(self) -> Key:
        return Prefix.TOKENS.key(self.account_id, str(int(self.clock()) // DAY_SECONDS))

    def spent_today(self) -> int:
        """Tokens the account's assistant used since 00:00 UTC."""
        item = self._get(self._key())
        return int(item["used"]["N"]) if item else 0

    def exhausted(self) -> bool:
        """True once today's tokens reach the budget: no more model calls until 00:00 UTC."""
        return self.spent_today() >= self.daily_tokens

    def spend(self, tokens: int) -> None:
        """Add one answer's tokens to today's count (kept two days, then expired)."""
        day_end = (int(self.clock()) // DAY_SECONDS + 1) * DAY_SECONDS
        self.dynamodb.update_item(
            TableName=self.table,
            Key=self._key(),
            UpdateExpression="ADD used :n SET expires_at = :e",
            ExpressionAttributeValues={":n": {"N": str(tokens)}, ":e": {"N": str(day_end + DAY_SECONDS)}},
        )
