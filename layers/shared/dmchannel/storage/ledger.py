"""Reply slots in DynamoDB: X's daily and per-message limits, and a record of every reply.

Before each send, one transaction writes the reply's record (only if it does not
exist yet) and takes one slot in the bot account's counter for the UTC day and
one in the inbound message's counter, each only if under its limit. So, under
any concurrency, neither limit is ever exceeded, and a reply (inbound event id +
index) is sent at most once: a redelivered DM finds its replies already recorded.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

DAY_SECONDS = 86_400
COUNTER_TTL_SECONDS = 2 * DAY_SECONDS
# Longer than the queue keeps a message (4 days), so that every redelivery finds its records.
REPLY_TTL_SECONDS = 7 * DAY_SECONDS
CONFLICT_ATTEMPTS = 8


class Slot(Enum):
    """The outcome of reserving a reply."""

    RESERVED = "reserved"  # send it
    ALREADY_RECORDED = "already_recorded"  # an earlier attempt reserved or sent it: never send again
    DAILY_LIMIT = "daily_limit"  # the bot account sent its DMs for today
    MESSAGE_LIMIT = "message_limit"  # the inbound message got all the replies it allows


class LedgerBusyError(Exception):
    """Transactions kept conflicting: let the queue retry the DM later."""


@dataclass
class Ledger:
    """The reply slots of one bot account."""

    dynamodb: "DynamoDBClient"
    table: str
    bot_id: str
    daily_limit: int
    replies_per_message: int
    clock: Callable[[], float] = field(default=time.time)

    def _day_key(self, now: float) -> str:
        return f"day#{self.bot_id}#{datetime.fromtimestamp(now, UTC).date().isoformat()}"

    def _inbound_key(self, inbound_id: str) -> str:
        return f"inbound#{self.bot_id}#{inbound_id}"

    def _reply_key(self, inbound_id: str, index: int) -> dict[str, Any]:
        return {"pk": {"S": f"reply#{self.bot_id}#{inbound_id}#{index}"}}

    def _counter(self, key: str, limit: int, expires_at: int) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table,
                "Key": {"pk": {"S": key}},
                "UpdateExpression": "ADD used :one SET expires_at = if_not_exists(expires_at, :expires)",
                "ConditionExpression": "attribute_not_exists(used) OR used < :limit",
                "ExpressionAttributeValues": {
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":expires": {"N": str(expires_at)},
                },
            }
        }

    def reserve(self, inbound_id: str, index: int) -> Slot:
        """Reserve reply number index to an inbound DM (both counters and its record, atomically)."""
        now = self.clock()
        reply = {
            "Put": {
                "TableName": self.table,
                "Item": {
                    **self._reply_key(inbound_id, index),
                    "state": {"S": "reserved"},
                    "day": {"S": self._day_key(now)},
                    "expires_at": {"N": str(int(now) + REPLY_TTL_SECONDS)},
                },
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        items: list[Any] = [
            reply,
            self._counter(self._day_key(now), self.daily_limit, int(now) + COUNTER_TTL_SECONDS),
            self._counter(self._inbound_key(inbound_id), self.replies_per_message, int(now) + REPLY_TTL_SECONDS),
        ]
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                self.dynamodb.transact_write_items(TransactItems=items)
                return Slot.RESERVED
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    raise
                reasons = [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
                if "TransactionConflict" not in reasons:
                    return _slot_from_reasons(reasons)
            time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter, not security
        raise LedgerBusyError(f"reply {index} to {inbound_id}: transactions kept conflicting")

    def record_sent(self, inbound_id: str, index: int, x_event_id: str) -> None:
        """Note that X accepted the reply (for the record: a reservation alone already prevents a resend)."""
        self.dynamodb.update_item(
            TableName=self.table,
            Key=self._reply_key(inbound_id, index),
            UpdateExpression="SET #state = :sent, x_event_id = :id",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":sent": {"S": "sent"}, ":id": {"S": x_event_id}},
        )

    def release(self, inbound_id: str, index: int) -> None:
        """Give a reserved slot back after a send that surely failed (X answered with an error)."""
        record = self.dynamodb.get_item(
            TableName=self.table, Key=self._reply_key(inbound_id, index), ConsistentRead=True
        )
        day_key = record.get("Item", {}).get("day", {}).get("S")
        if not day_key:
            return
        minus_one = {"UpdateExpression": "ADD used :minus", "ExpressionAttributeValues": {":minus": {"N": "-1"}}}
        items: list[Any] = [
            {
                "Delete": {
                    "TableName": self.table,
                    "Key": self._reply_key(inbound_id, index),
                    "ConditionExpression": "#state = :reserved",
                    "ExpressionAttributeNames": {"#state": "state"},
                    "ExpressionAttributeValues": {":reserved": {"S": "reserved"}},
                }
            },
            {"Update": {"TableName": self.table, "Key": {"pk": {"S": day_key}}, **minus_one}},
            {
                "Update": {
                    "TableName": self.table,
                    "Key": {"pk": {"S": self._inbound_key(inbound_id)}},
                    **minus_one,
                }
            },
        ]
        self.dynamodb.transact_write_items(TransactItems=items)

    def used_today(self) -> int:
        """DMs the bot account sent today (UTC)."""
        return self._used(self._day_key(self.clock()))

    def used_for(self, inbound_id: str) -> int:
        """Replies sent to one inbound DM."""
        return self._used(self._inbound_key(inbound_id))

    def _used(self, key: str) -> int:
        item = self.dynamodb.get_item(TableName=self.table, Key={"pk": {"S": key}}, ConsistentRead=True).get("Item", {})
        return int(item.get("used", {}).get("N", "0"))


def _slot_from_reasons(reasons: list[str]) -> Slot:
    """Which condition stopped the transaction (reply record, day counter, message counter)."""
    failed = [reason == "ConditionalCheckFailed" for reason in reasons] + [False] * 3
    if failed[0]:
        return Slot.ALREADY_RECORDED
    if failed[1]:
        return Slot.DAILY_LIMIT
    if failed[2]:
        return Slot.MESSAGE_LIMIT
    raise LedgerBusyError(f"transaction cancelled: {reasons}")
