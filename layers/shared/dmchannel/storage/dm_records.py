"""One record per DM received: how many times its answer was attempted, and its answer plan, decided once.

The first attempt stores the plan (the DMs to send, in order) before sending anything;
every later attempt (a redelivery, a replay, a redrive) finds it and continues it, so
the bot is asked once and a DM is answered by one answer, whole or a prefix of it.
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from dmchannel.storage.ledger import REPLY_TTL_SECONDS
from dmchannel.x.message import Option, OutboundMessage

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass(frozen=True)
class DmRecord:
    """What earlier attempts left: the attempts so far (this one included), the plan, the last failure."""

    attempts: int
    plan: tuple[OutboundMessage, ...] | None
    last_error: str
    settled: bool  # an earlier attempt finished with it: answered, or left unanswered by a rule


def plan_to_json(plan: tuple[OutboundMessage, ...]) -> str:
    """The stored form of a plan."""
    return json.dumps(
        [
            {"text": m.text, "options": [[o.label, o.metadata, o.description] for o in m.options]}
            | ({"sealed": m.sealed} if m.sealed else {})
            for m in plan
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def plan_from_json(value: str) -> tuple[OutboundMessage, ...]:
    """A stored plan."""
    return tuple(
        OutboundMessage(
            m["text"],
            tuple(Option(label, metadata, description) for label, metadata, description in m["options"]),
            m.get("sealed", ""),
        )
        for m in json.loads(value)
    )


@dataclass
class DmRecords:
    """The records of one bot account's DMs (key ``dm#ACCOUNT#DM_ID``)."""

    dynamodb: "DynamoDBClient"
    table: str
    bot_id: str
    clock: Callable[[], float] = field(default=time.time)

    def _key(self, dm_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"dm#{self.bot_id}#{dm_id}"}}

    def start(self, dm_id: str) -> DmRecord:
        """Count one more attempt at answering the DM; return its record."""
        answer = self.dynamodb.update_item(
            TableName=self.table,
            Key=self._key(dm_id),
            UpdateExpression="ADD attempts :one SET expires_at = if_not_exists(expires_at, :expires)",
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":expires": {"N": str(int(self.clock()) + REPLY_TTL_SECONDS)},
            },
            ReturnValues="ALL_NEW",
        )["Attributes"]
        plan = answer.get("plan", {}).get("S")
        return DmRecord(
            attempts=int(answer["attempts"]["N"]),
            plan=plan_from_json(plan) if plan else None,
            last_error=answer.get("last_error", {}).get("S", ""),
            settled=answer.get("settled", {}).get("BOOL", False),
        )

    def give_back_attempt(self, dm_id: str) -> None:
        """The attempt was not one: the DM waited for X's send window, which is no failure of its own."""
        self.dynamodb.update_item(
            TableName=self.table,
            Key=self._key(dm_id),
            UpdateExpression="ADD attempts :minus",
            ExpressionAttributeValues={":minus": {"N": "-1"}},
        )

    def save_plan(self, dm_id: str, plan: tuple[OutboundMessage, ...]) -> tuple[OutboundMessage, ...]:
        """Store the plan unless an attempt running at the same time stored one first; return the stored plan."""
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key=self._key(dm_id),
                UpdateExpression="SET #plan = :plan",
                ConditionExpression="attribute_not_exists(#plan)",
                ExpressionAttributeNames={"#plan": "plan"},
                ExpressionAttributeValues={":plan": {"S": plan_to_json(plan)}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            stored = self.dynamodb.get_item(TableName=self.table, Key=self._key(dm_id), ConsistentRead=True)
            return plan_from_json(stored["Item"]["plan"]["S"])
        return plan

    def settle(self, dm_id: str) -> None:
        """Note that the DM needs nothing more: a replay or a redrive of it does nothing."""
        self.dynamodb.update_item(
            TableName=self.table,
            Key=self._key(dm_id),
            UpdateExpression="SET settled = :yes",
            ExpressionAttributeValues={":yes": {"BOOL": True}},
        )

    def note_failure(self, dm_id: str, reason: str) -> None:
        """Keep why the last attempt failed (the dead-letter queue's reason, if it comes to that)."""
        self.dynamodb.update_item(
            TableName=self.table,
            Key=self._key(dm_id),
            UpdateExpression="SET last_error = :reason",
            ExpressionAttributeValues={":reason": {"S": reason[:500]}},
        )
