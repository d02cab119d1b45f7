"""Reply slots in DynamoDB: X's rolling 24-hour and per-message limits, and a record of every reply.

The account's sends are counted in hourly buckets. Before each send, one transaction
writes the reply's record (only if it does not exist yet), takes one slot in the
current hour's bucket on the condition that it stays under the limit less what the
previous 24 closed hours used, checks that the last closed hour still holds what was
read (the only closed bucket a late clock could still write) and that nothing was sent
in the next hour yet (else the hour turned while the reservation was on its way, and it
is counted in the next one), and takes one slot in the DM's counter. So every rolling
24-hour window holds at most the limit, under any concurrency and at every hour boundary,
and a reply (DM id + index) is sent at most once. Closed hours older than the last one
never grow, so their sum is read once an hour; the current and the last closed hour are
read with each DM's other reads (``keys_to_read``, ``seen``), and the last closed hour's
count, checked by the transaction itself, is read again only when the check fails. What
goes with a reservation (the DM's plan, the notes of its reply) is written in the same
transaction (``along``).

A reply's record goes reserved -> sending (claimed just before X is called) -> sent, or
released when X surely refused it (``lifecycle.ReplyState``). A retry sends a reply still
reserved (X was never called for it) and never one that is sending (X may have it): so
only a crash inside the call to X can lose a reply.
"""

import random
import threading
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from botocore.exceptions import ClientError

from dmchannel.responder.lifecycle import ReplyState
from dmchannel.storage.table import DM_TTL_SECONDS, AccountItems, Item, Key, Prefix, Write, conditional, read_items

HOUR_SECONDS = 3_600
WINDOW_HOURS = 24
COUNTER_TTL_SECONDS = 2 * WINDOW_HOURS * HOUR_SECONDS
CONFLICT_ATTEMPTS = 8
RECORD, HOUR, MESSAGE, LAST_HOUR, NEXT_HOUR = range(5)  # the reservation's items, in the transaction's order


class Slot(Enum):
    """The outcome of reserving a reply."""

    RESERVED = "reserved"  # send it
    ALREADY_RECORDED = "already_recorded"  # an earlier attempt reserved or sent it: never send again
    DAILY_LIMIT = "daily_limit"  # the account sent its DMs for the last 24 hours
    MESSAGE_LIMIT = "message_limit"  # the inbound message got all the replies it allows
    ALONG_REFUSED = "along_refused"  # a write that goes with it was refused by its condition: nothing was written


class LedgerBusyError(Exception):
    """Transactions kept conflicting: let the queue retry the DM later."""


@dataclass
class Hours:
    """The account's DMs in the rolling 24 hours, as read with a DM (the rules' daily limit)."""

    daily_limit: int
    reserved: int  # kept for STOP confirmations and handover notices
    used: int

    def used_in_24_hours(self) -> int:
        """DMs the account sent in the current hour and the 24 closed hours before it."""
        return self.used


class _Reading(threading.local):
    """The hour a thread's DM read with its other reads (``keys_to_read``), and whether the older hours with it."""

    def __init__(self) -> None:
        self.hour, self.with_older = 0, False


@dataclass
class Ledger(AccountItems):
    """The reply slots of one bot account (one per account and container, so its hour cache lasts).

    A batch's conversations are answered side by side: what a DM read is its thread's own; the
    hours' counts are the container's, each replaced whole (never changed in place) as it is learnt.
    """

    daily_limit: int = field(kw_only=True)
    replies_per_message: int = field(kw_only=True)
    reserved: int = field(default=0, kw_only=True)  # of the 24 hours' DMs, kept for STOP confirmations and handovers
    _older_hours: dict[int, int] = field(
        default_factory=dict, init=False
    )  # hour -> sum of the 23 closed hours before hour - 1
    _last_closed: dict[int, int] = field(default_factory=dict, init=False)  # hour -> hour - 1's count, as last read
    _reading: _Reading = field(default_factory=_Reading, init=False)

    def _hour_key(self, hour: int) -> Key:
        return Prefix.HOUR.key(self.account_id, str(hour))

    def _inbound_key(self, dm_id: str) -> Key:
        return Prefix.INBOUND.key(self.account_id, dm_id)

    def _reply_key(self, dm_id: str, index: int) -> Key:
        return Prefix.REPLY.key(self.account_id, dm_id, str(index))

    def _used_in(self, hours: range) -> dict[int, int]:
        """Each hour's count, read consistently (BatchGetItem, 24 keys at most)."""
        items = read_items(self.dynamodb, self.table, [self._hour_key(hour) for hour in hours])
        return {
            hour: int(items.get(self._hour_key(hour)["pk"]["S"], {}).get("used", {}).get("N", "0")) for hour in hours
        }

    def keys_to_read(self) -> list[Key]:
        """The hours a DM reads with its other reads: the current and the last closed, the older ones once an hour."""
        hour = int(self.clock() // HOUR_SECONDS)
        self._reading.hour, self._reading.with_older = hour, hour not in self._older_hours
        older = range(hour - WINDOW_HOURS, hour - 1) if self._reading.with_older else range(0)
        return [self._hour_key(h) for h in (*older, hour - 1, hour)]

    def seen(self, items: dict[str, Item]) -> Hours:
        """The hours as read with the DM (keys_to_read): kept for the reservations, and the 24 hours' count."""
        hour, with_older = self._reading.hour, self._reading.with_older

        def used(h: int) -> int:
            return int(items.get(self._hour_key(h)["pk"]["S"], {}).get("used", {}).get("N", "0"))

        if with_older:
            self._older_hours = {hour: sum(used(h) for h in range(hour - WINDOW_HOURS, hour - 1))}
        self._last_closed = {hour: used(hour - 1)}
        return Hours(self.daily_limit, self.reserved, self._older(hour) + used(hour - 1) + used(hour))

    def _older(self, hour: int) -> int:
        """What the closed hours hour-24 .. hour-2 used (they can only shrink: a release gives a slot back)."""
        older = self._older_hours
        if hour not in older:
            self._older_hours = older = {hour: sum(self._used_in(range(hour - WINDOW_HOURS, hour - 1)).values())}
        return older[hour]

    def _transact(self, items: list[Any], what: str) -> list[str] | None:
        """Run a transaction, retrying conflicts; None when it went through, else why each item failed."""
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                self.dynamodb.transact_write_items(TransactItems=items)
                return None
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    raise
                reasons = [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
                if "TransactionConflict" not in reasons:
                    return reasons
            time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter, not security
        raise LedgerBusyError(f"{what}: transactions kept conflicting")

    def reserve(self, dm_id: str, index: int, *, from_reserve: bool = False, along: tuple[Write, ...] = ()) -> Slot:
        """Reserve reply number index to a DM (the counters and its record, atomically), with the writes along.

        from_reserve: a STOP confirmation or a handover notice, which may use the DMs kept back for them.
        """
        floor = 0  # the hour is at least this: a send in a later hour was seen (this clock is late)
        for _ in range(CONFLICT_ATTEMPTS):
            now = self.clock()
            hour = max(int(now // HOUR_SECONDS), floor)
            closed = self._last_closed
            if hour not in closed:
                self._last_closed = closed = {hour: self._used_in(range(hour - 1, hour))[hour - 1]}
            last_closed = closed[hour]
            room = self.daily_limit - (0 if from_reserve else self.reserved) - self._older(hour) - last_closed
            if room <= 0:
                return Slot.DAILY_LIMIT
            items = [*self._reserve_items(dm_id, index, hour, (last_closed, room), now), *along]
            reasons = self._transact(items, "reserve")
            if reasons is None:
                return Slot.RESERVED
            failed = [reason == "ConditionalCheckFailed" for reason in reasons] + [False] * len(items)
            if any(failed[NEXT_HOUR + 1 : len(items)]):
                return Slot.ALONG_REFUSED
            if failed[RECORD]:
                return Slot.ALREADY_RECORDED
            if failed[NEXT_HOUR]:  # the hour turned while this reservation was on its way: count it in the next
                floor = hour + 1
            elif failed[LAST_HOUR]:  # the last closed hour changed since it was read (a release, a late clock)
                self._last_closed = {}
                continue
            elif failed[HOUR]:
                return Slot.DAILY_LIMIT
            elif failed[MESSAGE]:
                return Slot.MESSAGE_LIMIT
            else:
                raise LedgerBusyError(f"transaction cancelled: {reasons}")
        raise LedgerBusyError(f"reply {index} to {dm_id}: the hours kept changing")

    def _reserve_items(self, dm_id: str, index: int, hour: int, seen: tuple[int, int], now: float) -> list[Any]:
        """The transaction; seen is the last closed hour's count as read and the room it leaves this hour."""
        last_closed, room = seen
        record = {
            **self._reply_key(dm_id, index),
            "state": {"S": ReplyState.RESERVED},
            "hour": {"N": str(hour)},
            "expires_at": {"N": str(int(now) + DM_TTL_SECONDS)},
        }
        last_hour_check = {
            "TableName": self.table,
            "Key": self._hour_key(hour - 1),
            "ConditionExpression": "attribute_not_exists(used) OR used = :seen",
            "ExpressionAttributeValues": {":seen": {"N": str(last_closed)}},
        }
        next_hour_check = {  # nothing sent in the next hour yet: else this send would fall outside its window's count
            "TableName": self.table,
            "Key": self._hour_key(hour + 1),
            "ConditionExpression": "attribute_not_exists(used) OR used <= :none",
            "ExpressionAttributeValues": {":none": {"N": "0"}},
        }
        return [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": record,
                    "ConditionExpression": "attribute_not_exists(pk) OR #state = :released",
                    "ExpressionAttributeNames": {"#state": "state"},
                    "ExpressionAttributeValues": {":released": {"S": ReplyState.RELEASED}},
                }
            },
            self._counter(self._hour_key(hour), room, int(now) + COUNTER_TTL_SECONDS),
            self._counter(self._inbound_key(dm_id), self.replies_per_message, int(now) + DM_TTL_SECONDS),
            {"ConditionCheck": last_hour_check},
            {"ConditionCheck": next_hour_check},
        ]  # in the order of RECORD, HOUR, MESSAGE, LAST_HOUR, NEXT_HOUR

    def _counter(self, key: dict[str, Any], limit: int, expires_at: int) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table,
                "Key": key,
                "UpdateExpression": "ADD used :one SET expires_at = if_not_exists(expires_at, :expires)",
                "ConditionExpression": "attribute_not_exists(used) OR used < :limit",
                "ExpressionAttributeValues": {
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":expires": {"N": str(expires_at)},
                },
            }
        }

    def claim(self, dm_id: str, index: int) -> bool:
        """Mark a reserved reply as being sent; False when an attempt already did (it may have been sent)."""
        return conditional(
            lambda: self.dynamodb.update_item(
                TableName=self.table,
                Key=self._reply_key(dm_id, index),
                UpdateExpression="SET #state = :sending",
                ConditionExpression="#state = :reserved",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":sending": {"S": ReplyState.SENDING},
                    ":reserved": {"S": ReplyState.RESERVED},
                },
            )
        )

    def record_sent(self, dm_id: str, index: int, x_event_id: str) -> None:
        """Note that X accepted the reply (for the record: a reservation alone already prevents a resend)."""
        self.dynamodb.update_item(
            TableName=self.table,
            Key=self._reply_key(dm_id, index),
            UpdateExpression="SET #state = :sent, x_event_id = :id",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":sent": {"S": ReplyState.SENT}, ":id": {"S": x_event_id}},
        )

    def release(self, dm_id: str, index: int) -> None:
        """Give a claimed slot back after a send that surely failed (X answered with an error): released."""
        record = self.dynamodb.get_item(TableName=self.table, Key=self._reply_key(dm_id, index), ConsistentRead=True)
        hour = record.get("Item", {}).get("hour", {}).get("N")
        if not hour:
            return
        minus_one = {"UpdateExpression": "ADD used :minus", "ExpressionAttributeValues": {":minus": {"N": "-1"}}}
        items: list[Any] = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": self._reply_key(dm_id, index),
                    "UpdateExpression": "SET #state = :released REMOVE #hour",
                    "ConditionExpression": "#state = :sending",
                    "ExpressionAttributeNames": {"#state": "state", "#hour": "hour"},
                    "ExpressionAttributeValues": {
                        ":sending": {"S": ReplyState.SENDING},
                        ":released": {"S": ReplyState.RELEASED},
                    },
                }
            },
            {"Update": {"TableName": self.table, "Key": self._hour_key(int(hour)), **minus_one}},
            {"Update": {"TableName": self.table, "Key": self._inbound_key(dm_id), **minus_one}},
        ]
        self._transact(items, f"release reply {index} to {dm_id}")  # a failed condition: already released

    def used_in_24_hours(self) -> int:
        """DMs the account sent in the current hour and the 24 closed hours before it.

        Only the current and the last closed hour are read: the older ones cannot grow, and are read once an hour.
        """
        hour = int(self.clock() // HOUR_SECONDS)
        return self._older(hour) + sum(self._used_in(range(hour - 1, hour + 1)).values())

    def used_for(self, dm_id: str) -> int:
        """Replies sent to one inbound DM."""
        item = self.dynamodb.get_item(TableName=self.table, Key=self._inbound_key(dm_id), ConsistentRead=True)
        return int(item.get("Item", {}).get("used", {}).get("N", "0"))
