"""Reply slots on moto's DynamoDB: both limits at their edges, at-most-once replies, concurrency."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from devstack.provision import LocalStack
from dmchannel.storage.ledger import Ledger, Slot

BOT = "4337869213"
NOON = datetime(2026, 11, 24, 12, tzinfo=UTC).timestamp()


HOUR = int(NOON // 3600)


def make_ledger(stack: LocalStack, daily: int = 1000, per_message: int = 5, now: float = NOON) -> Ledger:
    return Ledger(
        boto3.client("dynamodb"),
        stack.refs["StateTable"],
        BOT,
        daily_limit=daily,
        replies_per_message=per_message,
        clock=lambda: now,
    )


def set_used(stack: LocalStack, hour: int, used: int) -> None:
    boto3.client("dynamodb").put_item(
        TableName=stack.refs["StateTable"], Item={"pk": {"S": f"hour#{BOT}#{hour}"}, "used": {"N": str(used)}}
    )


def test_the_1000th_dm_of_24_hours_is_sent_and_the_1001st_is_not(stack: LocalStack) -> None:
    ledger = make_ledger(stack)
    set_used(stack, HOUR - 5, 600)
    set_used(stack, HOUR - 1, 399)
    assert ledger.used_in_24_hours() < ledger.daily_limit
    assert ledger.reserve("in-1", 0) is Slot.RESERVED
    assert ledger.used_in_24_hours() == 1000
    assert ledger.reserve("in-2", 0) is Slot.DAILY_LIMIT
    assert ledger.used_in_24_hours() == 1000
    assert ledger.used_for("in-2") == 0


def test_the_limit_holds_for_every_rolling_24_hours_not_per_utc_day(stack: LocalStack) -> None:
    before_midnight = datetime(2026, 11, 24, 23, 30, tzinfo=UTC).timestamp()
    evening = make_ledger(stack, daily=3, now=before_midnight)
    assert [evening.reserve(f"in-{n}", 0) for n in range(3)] == [Slot.RESERVED] * 3
    # An hour later, on a new UTC day, the same 3 DMs still count.
    assert make_ledger(stack, daily=3, now=before_midnight + 3600).reserve("in-9", 0) is Slot.DAILY_LIMIT
    assert make_ledger(stack, daily=3, now=before_midnight + 23 * 3600).reserve("in-9", 0) is Slot.DAILY_LIMIT
    # Once those 3 are more than 24 closed hours old, the account may send again.
    assert make_ledger(stack, daily=3, now=before_midnight + 25 * 3600).reserve("in-9", 0) is Slot.RESERVED


def test_a_send_into_the_last_hour_after_it_was_read_is_counted(stack: LocalStack) -> None:
    """A late clock (or a release) changes the last closed hour between the read and the transaction."""
    ledger = make_ledger(stack, daily=2)
    set_used(stack, HOUR - 1, 1)
    client = ledger.dynamodb
    late = {"done": False}

    def send_into_last_hour(**_: object) -> None:
        if not late["done"]:
            late["done"] = True
            set_used(stack, HOUR - 1, 2)

    client.meta.events.register("before-call.dynamodb.TransactWriteItems", send_into_last_hour)
    assert ledger.reserve("in-1", 0) is Slot.DAILY_LIMIT
    assert ledger.used_in_24_hours() == 2


def test_the_5th_reply_is_sent_and_the_6th_is_not(stack: LocalStack) -> None:
    ledger = make_ledger(stack)
    assert [ledger.reserve("in-1", i) for i in range(5)] == [Slot.RESERVED] * 5
    assert ledger.reserve("in-1", 5) is Slot.MESSAGE_LIMIT
    assert ledger.reserve("in-2", 0) is Slot.RESERVED  # a new message opens 5 more
    assert (ledger.used_for("in-1"), ledger.used_in_24_hours()) == (5, 6)


def test_a_reply_is_reserved_once_and_counted_once(stack: LocalStack) -> None:
    ledger = make_ledger(stack)
    assert ledger.reserve("in-1", 0) is Slot.RESERVED
    ledger.record_sent("in-1", 0, "x-1")
    assert ledger.reserve("in-1", 0) is Slot.ALREADY_RECORDED
    assert (ledger.used_for("in-1"), ledger.used_in_24_hours()) == (1, 1)


def test_release_gives_the_slot_back(stack: LocalStack) -> None:
    ledger = make_ledger(stack)
    ledger.reserve("in-1", 0)
    assert ledger.claim("in-1", 0)
    ledger.release("in-1", 0)
    assert (ledger.used_for("in-1"), ledger.used_in_24_hours()) == (0, 0)
    assert ledger.reserve("in-1", 0) is Slot.RESERVED


def test_a_sent_reply_is_never_released(stack: LocalStack) -> None:
    ledger = make_ledger(stack)
    ledger.reserve("in-1", 0)
    ledger.record_sent("in-1", 0, "x-1")
    ledger.release("in-1", 0)
    assert (ledger.used_in_24_hours(), ledger.used_for("in-1")) == (1, 1)
    assert ledger.reserve("in-1", 0) is Slot.ALREADY_RECORDED


def test_release_is_retried_when_a_transaction_conflicts(stack: LocalStack) -> None:
    ledger = make_ledger(stack)
    ledger.reserve("in-1", 0)
    ledger.claim("in-1", 0)
    conflicts = {"left": 2}

    def conflict(**_: object) -> None:
        if conflicts["left"]:
            conflicts["left"] -= 1
            response: Any = {
                "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                "CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}, {"Code": "None"}],
            }
            raise ClientError(response, "TransactWriteItems")

    ledger.dynamodb.meta.events.register("before-call.dynamodb.TransactWriteItems", conflict)
    ledger.release("in-1", 0)
    assert conflicts["left"] == 0
    assert (ledger.used_in_24_hours(), ledger.used_for("in-1")) == (0, 0)


def test_counters_and_records_expire_by_ttl(stack: LocalStack) -> None:
    make_ledger(stack).reserve("in-1", 0)
    table = boto3.client("dynamodb").scan(TableName=stack.refs["StateTable"])["Items"]
    assert len(table) == 3
    assert all(int(item["expires_at"]["N"]) > NOON for item in table)
    ttl = boto3.client("dynamodb").describe_time_to_live(TableName=stack.refs["StateTable"])
    assert ttl["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_many_threads_never_exceed_the_daily_limit(stack: LocalStack) -> None:
    ledger = make_ledger(stack, daily=25)
    with ThreadPoolExecutor(max_workers=16) as pool:
        slots = Counter(pool.map(lambda n: ledger.reserve(f"in-{n}", 0), range(60)))
    assert slots == {Slot.RESERVED: 25, Slot.DAILY_LIMIT: 35}
    assert ledger.used_in_24_hours() == 25


def test_many_threads_never_exceed_the_per_message_limit(stack: LocalStack) -> None:
    ledger = make_ledger(stack)
    with ThreadPoolExecutor(max_workers=16) as pool:
        slots = Counter(pool.map(lambda n: ledger.reserve("in-1", n % 10), range(40)))
    # Ten distinct replies wanted, four attempts each: five are sent, each once.
    assert slots[Slot.RESERVED] == 5
    assert ledger.used_for("in-1") == 5
    assert ledger.used_in_24_hours() == 5


def test_a_reply_is_claimed_once(stack: LocalStack) -> None:
    ledger = make_ledger(stack)
    ledger.reserve("in-1", 0)
    assert ledger.claim("in-1", 0)
    assert not ledger.claim("in-1", 0)  # X may have it now
    ledger.record_sent("in-1", 0, "x-1")
    assert not ledger.claim("in-1", 0)


def test_a_reservation_that_commits_after_the_hour_turned_never_passes_the_limit(stack: LocalStack) -> None:
    """A reserves in the last moment of an hour; B, in the next hour, commits first; then A commits."""
    set_used(stack, HOUR - 5, 2)  # two of the limit's three used earlier in the window
    late = make_ledger(stack, daily=3, now=(HOUR + 1) * 3600 - 0.001)  # A: the hour's last millisecond
    next_hour = make_ledger(stack, daily=3, now=(HOUR + 1) * 3600 + 1)  # B: the next hour's first second
    overtaken: list[Slot] = []

    def b_commits_first(**_: object) -> None:
        if not overtaken:
            overtaken.append(next_hour.reserve("in-b", 0))

    late.dynamodb.meta.events.register("before-call.dynamodb.TransactWriteItems", b_commits_first)
    first = late.reserve("in-a", 0)
    assert overtaken == [Slot.RESERVED]
    assert first is Slot.DAILY_LIMIT  # A read the window again, with B's send in it: no room
    assert make_ledger(stack, daily=3, now=(HOUR + 1) * 3600 + 2).used_in_24_hours() == 3
