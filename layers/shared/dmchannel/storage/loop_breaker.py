"""The loop breaker: a conversation that goes faster than a person writes is muted for a while.

The DMs are counted by when the user wrote them (``rate#ACCOUNT#USER#MINUTE``: creation time
and id, so a backlog or a replay is judged as written, and a redelivery counts nothing);
the mute (``mute#ACCOUNT#USER``) lasts until the conversation has been quiet long enough.
"""

from dataclasses import dataclass
from enum import Enum

from dmchannel.storage.table import AccountItems, Prefix

WINDOW_SECONDS = 60


class Loop(Enum):
    """The loop breaker's verdict on one DM."""

    OK = "ok"  # answer it
    NOTICE = "notice"  # the conversation is muted now: tell the user, once
    MUTED = "muted"  # muted: leave it unanswered


@dataclass
class LoopBreaker(AccountItems):
    """The pace of one account's conversations, and their mutes."""

    def verdict(self, user_id: str, dm_id: str, created_at: float, max_per_minute: int, quiet_seconds: int) -> Loop:
        """Count one DM by when the user wrote it; tell whether the conversation goes faster than a person writes.

        Over max_per_minute DMs written within 60 seconds mutes the conversation until it has
        been quiet for quiet_seconds (each DM written meanwhile pushes that back). The first
        DM of a mute gets the notice.
        """
        minute = int(created_at // WINDOW_SECONDS)
        entry = f"{int(created_at * 1000)}#{dm_id}"  # when the user wrote it, and which DM: counted once
        counted = self.dynamodb.update_item(
            TableName=self.table,
            Key=Prefix.RATE.key(self.account_id, user_id, str(minute)),
            UpdateExpression="ADD dms :dm SET expires_at = :expires",
            ExpressionAttributeValues={
                ":dm": {"SS": [entry]},
                ":expires": {"N": str(int(max(created_at, self.clock())) + 2 * WINDOW_SECONDS)},
            },
            ReturnValues="ALL_NEW",
        )
        earlier = self._get(Prefix.RATE.key(self.account_id, user_id, str(minute - 1)))
        entries = [*counted["Attributes"]["dms"]["SS"], *earlier.get("dms", {}).get("SS", [])]
        since = (created_at - WINDOW_SECONDS) * 1000
        written = sum(since < int(other.split("#", 1)[0]) <= created_at * 1000 for other in entries)
        too_fast = written > max_per_minute
        item = self._get(Prefix.MUTE.key(self.account_id, user_id))
        until = float(item.get("until", {}).get("N", "0"))
        muted = until > created_at
        if not (too_fast or muted):
            return Loop.OK
        episode = item.get("episode", {}).get("N", "") if muted else str(int(created_at))
        noticed_by = item.get("notice_dm", {}).get("S", "")
        first = item.get("notice_episode", {}).get("N") != episode or noticed_by == dm_id
        until = max(until, created_at + quiet_seconds)
        self.dynamodb.put_item(
            TableName=self.table,
            Item={
                **Prefix.MUTE.key(self.account_id, user_id),
                "until": {"N": str(int(until))},
                "episode": {"N": episode},
                "notice_episode": {"N": episode},
                "notice_dm": {"S": dm_id if first else noticed_by},
                "expires_at": {"N": str(int(max(until, self.clock())) + 86_400)},
            },
        )
        return Loop.NOTICE if first else Loop.MUTED
