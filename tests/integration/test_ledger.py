"""Reply slots on moto's DynamoDB: both limits at their edges, at-most-once replies, concurrency."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import boto3
import pytest

from devstack.provision import LocalStack
from dmchannel.storage.ledger import Ledger, Slot

BOT = "4337869213"
NOON = datetime(2026, 11, 24, 12, tzinfo=UTC).timestamp()


def make_ledger(stack: LocalStack, daily: int = 1000, per_message: int = 5, now: float = NOON) -> Ledger:
    return Ledger(boto3.client("dynamodb"), stack.refs["StateTable"], BOT, daily, per_message, clock=lambda: now)


def set_used_today(stack: LocalStack, used: int) -> None:
    boto3.client("dynamodb").put_item(
        TableName=stack.refs["StateTable"], Item={"pk": {"S": f"day#{BOT}#2026-11-24"}, "used": {"N": str(used)}}
    )


def test_the_1000th_dm_of_the_day_is_sent_and_the_1001st_is_not(stack: LocalStack) -> None:
    ledger = make_ledger(stack)
    set_used_today(stack, 999)
    assert ledger.reserve("in-1", 0) is Slot.RESERVED
    assert ledger.used_today() == 1000
    assert ledger.reserve("in-2", 0) is Slot.DAILY_LIMIT
    assert ledger.used_today() == 1000
    assert ledger.used_for("in-2") == 0


def test_a_new_utc_day_opens_a_new_counter(stack: LocalStack) -> None:
    set_used_today(stack, 1000)
    assert make_ledger(stack).reserve("in-1", 0) is Slot.DAILY_LIMIT
    tomorrow = make_ledger(stack, now=NOON + 86_400)
    assert tomorrow.reserve("in-1", 0) is Slot.RESERVED
    assert tomorrow.used_today() == 1


def test_the_5th_reply_is_sent_and_the_6th_is_not(stack: LocalStack) -> None:
    ledger = make_ledger(stack)
    assert [ledger.reserve("in-1", i) for i in range(5)] == [Slot.RESERVED] * 5
    assert ledger.reserve("in-1", 5) is Slot.MESSAGE_LIMIT
    assert ledger.reserve("in-2", 0) is Slot.RESERVED  # a new message opens 5 more
    assert (ledger.used_for("in-1"), ledger.used_today()) == (5, 6)


def test_a_reply_is_reserved_once_and_counted_once(stack: LocalStack) -> None:
    ledger = make_ledger(stack)
    assert ledger.reserve("in-1", 0) is Slot.RESERVED
    ledger.record_sent("in-1", 0, "x-1")
    assert ledger.reserve("in-1", 0) is Slot.ALREADY_RECORDED
    assert (ledger.used_for("in-1"), ledger.used_today()) == (1, 1)


def test_release_gives_the_slot_back(stack: LocalStack) -> None:
    ledger = make_ledger(stack)
    ledger.reserve("in-1", 0)
    ledger.release("in-1", 0)
    assert (ledger.used_for("in-1"), ledger.used_today()) == (0, 0)
    assert ledger.reserve("in-1", 0) is Slot.RESERVED


def test_a_sent_reply_is_never_released(stack: LocalStack) -> None:
    ledger = make_ledger(stack)
    ledger.reserve("in-1", 0)
    ledger.record_sent("in-1", 0, "x-1")
    with pytest.raises(boto3.client("dynamodb").exceptions.TransactionCanceledException):
        ledger.release("in-1", 0)
    assert ledger.used_today() == 1


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
    assert ledger.used_today() == 25


def test_many_threads_never_exceed_the_per_message_limit(stack: LocalStack) -> None:
    ledger = make_ledger(stack)
    with ThreadPoolExecutor(max_workers=16) as pool:
        slots = Counter(pool.map(lambda n: ledger.reserve("in-1", n % 10), range(40)))
    # Ten distinct replies wanted, four attempts each: five are sent, each once.
    assert slots[Slot.RESERVED] == 5
    assert ledger.used_for("in-1") == 5
    assert ledger.used_today() == 5
