"""STOP and START: whether a user opted out of the bot's answers (``optout#ACCOUNT#USER``, no expiry).

The newest choice wins: each is kept with when the user wrote it (``at``), and a write of an
older one (a replay, a redrive, a late redelivery) changes nothing.
"""

from dataclasses import dataclass

from dmchannel.storage.table import AccountItems, Prefix, conditional


@dataclass
class OptOuts(AccountItems):
    """The users of one account who sent STOP (and not START since)."""

    def is_opted_out(self, user_id: str) -> bool:
        """Whether the user's newest choice is STOP (an item from before choices were dated: STOP)."""
        item = self._get(Prefix.OPT_OUT.key(self.account_id, user_id))
        return bool(item) and item.get("opted_out", {}).get("BOOL") is not False

    def set_opted_out(self, user_id: str, opted_out: bool, written_at: float) -> bool:
        """Keep the user's choice, written at written_at (epoch seconds), unless a newer one is kept; False then."""
        at = str(int(written_at * 1000))
        return conditional(
            lambda: self.dynamodb.put_item(
                TableName=self.table,
                Item={
                    **Prefix.OPT_OUT.key(self.account_id, user_id),
                    "opted_out": {"BOOL": opted_out},
                    "at": {"N": at},
                },
                ConditionExpression="attribute_not_exists(#at) OR #at <= :at",
                ExpressionAttributeNames={"#at": "at"},
                ExpressionAttributeValues={":at": {"N": at}},
            )
        )
