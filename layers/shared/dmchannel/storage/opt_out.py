"""STOP and START: whether a user opted out of the bot's answers (``optout#ACCOUNT#USER``, no expiry)."""

from dataclasses import dataclass

from dmchannel.storage.table import AccountItems, Prefix


@dataclass
class OptOuts(AccountItems):
    """The users of one account who sent STOP (and not START since)."""

    def is_opted_out(self, user_id: str) -> bool:
        """Whether the user sent STOP (and not START since)."""
        return bool(self._get(Prefix.OPT_OUT.key(self.account_id, user_id)))

    def set_opted_out(self, user_id: str, opted_out: bool) -> None:
        """Keep the user's choice (no expiry: it holds until they change it)."""
        key = Prefix.OPT_OUT.key(self.account_id, user_id)
        if opted_out:
            self.dynamodb.put_item(TableName=self.table, Item={**key, "since": {"N": str(int(self.clock()))}})
        else:
            self.dynamodb.delete_item(TableName=self.table, Key=key)
