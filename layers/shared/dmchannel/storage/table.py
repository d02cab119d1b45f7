"""The one DynamoDB table: every key prefix the channel writes, named once, and the conditional write.

Each item's key ``pk`` is a prefix, the account's id (the secret's, for a token lease), and the
parts that follow it, joined by ``#``; ``expires_at`` is the item's time-to-live.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Key = dict[str, dict[str, str]]
Item = dict[str, Any]
Write = dict[str, Any]  # one write of a transaction: {"Put": ...}, {"Update": ...}, {"Delete": ...}
# A DM's items (its record, its replies, its counter) outlive the dead-letter queue's 14 days: a late redrive finds them.
DM_TTL_SECONDS = 15 * 86_400


class Prefix(StrEnum):
    """Every kind of item in the table; the docstring of ``storage`` says what each holds."""

    HOUR = "hour"  # hour#ACCOUNT#EPOCH_HOUR
    INBOUND = "inbound"  # inbound#ACCOUNT#DM_ID
    REPLY = "reply"  # reply#ACCOUNT#DM_ID#INDEX
    DM = "dm"  # dm#ACCOUNT#DM_ID
    PLAN_PART = "planpart"  # planpart#ACCOUNT#DM_ID#PLAN_ID#INDEX
    WINDOW = "window"  # window#ACCOUNT
    MEMORY = "memory"  # memory#ACCOUNT#USER
    TOKENS = "tokens"  # tokens#ACCOUNT#EPOCH_DAY
    CONVERSATION = "conv"  # conv#ACCOUNT#USER
    OUTGOING = "outgoing"  # outgoing#ACCOUNT#USER#FINGERPRINT
    HUMAN = "human"  # human#ACCOUNT#USER: an earlier version's takeover, folded into conv#
    OPT_OUT = "optout"  # optout#ACCOUNT#USER: an earlier version's opt choice, folded into conv#
    MUTE = "mute"  # mute#ACCOUNT#USER: an earlier version's mute, folded into conv#
    BUTTONS = "buttons"  # buttons#ACCOUNT#more#DM_ID, buttons#ACCOUNT#offered#USER
    SPEND = "spend"  # spend#ACCOUNT#EPOCH_HOUR
    CREDITS = "credits"  # credits#app: X's credits spent, for the whole app
    TOKEN_LEASE = "tokenlease"  # noqa: S105 - tokenlease#SECRET_ID, a key prefix

    def key(self, owner: str, *parts: str) -> Key:
        """The item's key: this prefix, its owner (an account, or a secret), and the parts after them."""
        return {"pk": {"S": "#".join((self.value, owner, *parts))}}


def read_items(dynamodb: "DynamoDBClient", table: str, keys: list[Key]) -> dict[str, Item]:
    """The items under keys (those there are), by key, read consistently in one BatchGetItem (up to 100 keys)."""
    found: dict[str, Item] = {}
    request: Any = {table: {"Keys": keys, "ConsistentRead": True}} if keys else None
    while request:
        answer = dynamodb.batch_get_item(RequestItems=request)
        found |= {item["pk"]["S"]: item for item in answer.get("Responses", {}).get(table, [])}
        request = answer.get("UnprocessedKeys") or None
    return found


def write_together(dynamodb: "DynamoDBClient", writes: list[Write]) -> bool:
    """Make the writes at once (one alone as itself, several as a transaction); False when a condition failed."""
    if len(writes) == 1:
        ((kind, write),) = writes[0].items()
        calls: dict[str, Callable[..., object]] = {
            "Put": dynamodb.put_item,
            "Update": dynamodb.update_item,
            "Delete": dynamodb.delete_item,
        }
        return conditional(lambda: calls[kind](**write))
    together: Any = writes
    try:
        dynamodb.transact_write_items(TransactItems=together)
    except ClientError as error:
        reasons = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
        if "ConditionalCheckFailed" not in reasons:
            raise
        return False
    return True


def conditional(write: Callable[[], object]) -> bool:
    """Run a conditional write; False when its condition did not hold (any other error is raised)."""
    try:
        write()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return False
    return True


@dataclass
class AccountItems:
    """One account's items of one kind: the client, the table, the account, and the clock that dates them."""

    dynamodb: "DynamoDBClient"
    table: str
    account_id: str
    clock: Callable[[], float] = field(default=time.time, kw_only=True)

    def _get(self, key: Key, *, consistent: bool = True) -> dict[str, Any]:
        """The item under key, or an empty one."""
        item: dict[str, Any] = self.dynamodb.get_item(TableName=self.table, Key=key, ConsistentRead=consistent).get(
            "Item", {}
        )
        return item
