"""One record per DM received (``dm#ACCOUNT#DM_ID``): its attempts, its answer plan decided once, and its outcome.

The first attempt stores the plan (the DMs to send, in order) before sending anything;
every later attempt (a redelivery, a replay, a redrive) finds it and continues it, so
the bot is asked once and a DM is answered by one answer, whole or a prefix of it. How
the DM ended (``outcome``, ``rule``, ``outcome_at``: see ``responder.lifecycle``) is
written on the same record, so its fate is one GetItem away.
"""

import json
import uuid
from dataclasses import dataclass, replace
from typing import Any

from dmchannel.responder.lifecycle import Fate, Outcome, Rule, rule_of
from dmchannel.storage.table import DM_TTL_SECONDS, AccountItems, Key, Prefix, Write, write_together
from dmchannel.x.message import Option, OutboundMessage

INLINE_PLAN_BYTES = 100_000  # a larger plan is kept a message an item: DynamoDB's items hold 400 KB at most


@dataclass(frozen=True)
class Planned:
    """A DM's answer, decided once: the DMs to send, the rule that shaped it, whether it may use the reserve."""

    messages: tuple[OutboundMessage, ...]
    rule: Rule | None = None
    uses_reserve: bool = False  # a STOP confirmation or a handover notice: the DMs kept back for them may go
    parts: tuple[str, ...] = ()  # a large plan's messages are kept in items of their own: their keys, to read


@dataclass(frozen=True)
class DmRecord:
    """What earlier attempts left: the attempts so far (this one included), the plan, the last failure, the end."""

    attempts: int
    plan: Planned | None
    last_error: str
    outcome: Outcome | None  # the last attempt's (None: none ended yet)
    rule: Rule | None = None
    chain: str = ""  # the queue message of this chain of attempts (a redrive starts another)
    retry_at: float = 0.0  # a held or failed attempt: when the DM comes back
    dead_surface: str = ""  # a failed or dead-lettered DM: the surface of its copy on the dead-letter queue

    def dead_elsewhere(self, chain: str) -> bool:
        """Whether the DM waits on the dead-letter queue in another queue message than this chain's."""
        return bool(chain) and self.chain != chain and self.outcome in (Outcome.FAILED, Outcome.DEAD_LETTERED)

    def copy_of_dead_letter(self, chain: str, surface: str) -> bool:
        """Whether this delivery is the other surface's copy of a DM whose dead letter waits (not its redrive)."""
        return self.dead_elsewhere(chain) and self.dead_surface not in ("", surface)


def plan_to_json(plan: tuple[OutboundMessage, ...]) -> str:
    """The stored form of a plan (an XChat send body under ``sealed``, the name plans have always stored it under)."""
    return json.dumps(
        [
            {"text": m.text, "options": [[o.label, o.metadata, o.description] for o in m.options]}
            | ({"sealed": m.encrypted_body} if m.encrypted_body else {})
            for m in plan
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def plan_from_json(value: str) -> tuple[OutboundMessage, ...]:
    """A stored plan (or one message of a large plan, kept in its own item)."""
    return tuple(
        OutboundMessage(
            m["text"],
            tuple(Option(label, metadata, description) for label, metadata, description in m["options"]),
            m.get("sealed", ""),
        )
        for m in json.loads(value)
    )


def _planned(value: str, rule: str | None, uses_reserve: bool) -> Planned:
    """A stored answer: its messages inline (a JSON list), or the keys of the items that hold them."""
    parts = json.loads(value).get("parts", []) if value.startswith("{") else None
    messages = () if parts is not None else plan_from_json(value)
    return Planned(messages, rule_of(rule) if rule else None, uses_reserve, tuple(parts or ()))


def record_from_item(item: dict[str, Any]) -> DmRecord:
    """A record as stored."""
    plan = item.get("plan", {}).get("S")
    outcome = item.get("outcome", {}).get("S")
    rule, plan_rule = item.get("rule", {}).get("S"), item.get("plan_rule", {}).get("S")
    return DmRecord(
        attempts=int(item.get("attempts", {}).get("N", "0")),
        plan=_planned(plan, plan_rule, item.get("reserve", {}).get("BOOL", False)) if plan else None,
        last_error=item.get("last_error", {}).get("S", ""),
        outcome=Outcome(outcome) if outcome else None,
        rule=rule_of(rule) if rule else None,
        chain=item.get("chain", {}).get("S", ""),
        retry_at=float(item.get("retry_at", {}).get("N", "0")),
        dead_surface=item.get("dead_surface", {}).get("S", ""),
    )


@dataclass
class DmRecords(AccountItems):
    """The records of one bot account's DMs."""

    def _key(self, dm_id: str) -> Key:
        return Prefix.DM.key(self.account_id, dm_id)

    def start(self, dm_id: str, chain: str = "", surface: str = "") -> DmRecord:
        """Count one more attempt at answering the DM, and the surface it came by; return its record.

        chain: the queue message the attempt came in. A failed or dead-lettered DM that comes
        in another by the surface of its dead letter (a redrive) starts a new chain: its attempts
        count from one again; by another surface (X delivering it twice while an account moves to
        the X Activity API), it is left as it is (``copy_of_dead_letter``). The record keeps every surface
        that delivered the DM (``surfaces``) and when it was first seen (``seen_at``).
        """
        values: dict[str, Any] = {
            ":one": {"N": "1"},
            ":expires": {"N": self._expiry()},
            ":chain": {"S": chain},
            ":now": {"N": str(int(self.clock()))},
        }
        add = "ADD attempts :one"
        if surface:
            add, values[":surface"] = add + ", surfaces :surface", {"SS": [surface]}
        answer = self.dynamodb.update_item(
            TableName=self.table,
            Key=self._key(dm_id),
            UpdateExpression=(
                f"{add} SET expires_at = if_not_exists(expires_at, :expires), chain = if_not_exists(chain, :chain), "
                "seen_at = if_not_exists(seen_at, :now)"
            ),
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )["Attributes"]
        record = record_from_item(answer)
        if record.dead_elsewhere(chain) and not record.copy_of_dead_letter(chain, surface):  # a redrive
            answer = self.dynamodb.update_item(
                TableName=self.table,
                Key=self._key(dm_id),
                UpdateExpression=(
                    "SET attempts = :one, chain = :chain REMOVE outcome, #rule, outcome_at, last_error, dead_surface"
                ),
                ExpressionAttributeNames={"#rule": "rule"},
                ExpressionAttributeValues={":one": {"N": "1"}, ":chain": {"S": chain}},
                ReturnValues="ALL_NEW",
            )["Attributes"]
            record = record_from_item(answer)
        return self._with_parts(record)

    def read(self, dm_id: str) -> DmRecord | None:
        """The DM's record as it stands (None: no attempt has touched it)."""
        item = self._get(self._key(dm_id))
        return self._with_parts(record_from_item(item)) if item else None

    def read_many(self, dm_ids: list[str]) -> dict[str, DmRecord]:
        """The records of several DMs (those there are), a hundred at a time."""
        found: dict[str, DmRecord] = {}
        prefix, dm_ids = self._key("")["pk"]["S"], list(dict.fromkeys(dm_ids))
        for start in range(0, len(dm_ids), 100):
            request: Any = {self.table: {"Keys": [self._key(dm_id) for dm_id in dm_ids[start : start + 100]]}}
            while request:
                answer = self.dynamodb.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self.table, []):
                    found[str(item["pk"]["S"]).removeprefix(prefix)] = record_from_item(item)
                request = answer.get("UnprocessedKeys") or None
        return found

    def plan_write(self, dm_id: str, planned: Planned) -> Write:
        """The write that stores the answer unless an attempt running at the same time stored one first.

        A plan over INLINE_PLAN_BYTES keeps each message in an item of its own (written now, under a
        key of this attempt's, so that a concurrent attempt's never mixes in), and the record their keys.
        """
        value = plan_to_json(planned.messages)
        if len(value.encode()) > INLINE_PLAN_BYTES:
            value = self._save_parts(dm_id, planned.messages)
        values: dict[str, Any] = {":plan": {"S": value}, ":reserve": {"BOOL": planned.uses_reserve}}
        if planned.rule:
            values[":rule"] = {"S": planned.rule.value}
        update = {
            "TableName": self.table,
            "Key": self._key(dm_id),
            "UpdateExpression": "SET #plan = :plan, reserve = :reserve"
            + (", plan_rule = :rule" if planned.rule else ""),
            "ConditionExpression": "attribute_not_exists(#plan)",
            "ExpressionAttributeNames": {"#plan": "plan"},
            "ExpressionAttributeValues": values,
        }
        return {"Update": update}

    def save_plan(self, dm_id: str, planned: Planned, along: tuple[Write, ...] = ()) -> Planned:
        """Store the answer (and the writes along with it) unless an attempt stored one first; the stored one."""
        if write_together(self.dynamodb, [self.plan_write(dm_id, planned), *along]):
            return planned
        return self.stored_plan(dm_id) or planned

    def stored_plan(self, dm_id: str) -> Planned | None:
        """The plan an attempt stored (None: none yet)."""
        return self._with_parts(record_from_item(self._get(self._key(dm_id)))).plan

    def _save_parts(self, dm_id: str, messages: tuple[OutboundMessage, ...]) -> str:
        """Each message in an item of its own; the plan's stored value, which names them."""
        plan_id, keys = uuid.uuid4().hex[:12], []
        for index, message in enumerate(messages):
            key = Prefix.PLAN_PART.key(self.account_id, dm_id, plan_id, str(index))
            item = {**key, "message": {"S": plan_to_json((message,))}, "expires_at": {"N": self._expiry()}}
            self.dynamodb.put_item(TableName=self.table, Item=item)
            keys.append(key["pk"]["S"])
        return json.dumps({"parts": keys})

    def _with_parts(self, record: DmRecord) -> DmRecord:
        """The record with a large plan's messages read from their items (consistently, in order)."""
        plan = record.plan
        if plan is None or not plan.parts:
            return record
        found: dict[str, OutboundMessage] = {}
        request: Any = {self.table: {"Keys": [{"pk": {"S": key}} for key in plan.parts], "ConsistentRead": True}}
        while request:
            answer = self.dynamodb.batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(self.table, []):
                (found[str(item["pk"]["S"])],) = plan_from_json(item["message"]["S"])
            request = answer.get("UnprocessedKeys") or None
        messages = tuple(found[key] for key in plan.parts)
        return replace(record, plan=replace(plan, messages=messages, parts=()))

    def end(self, dm_id: str, fate: Fate, *, attempts: int = 0, surface: str = "") -> int:
        """Write how the attempt ended (one write): outcome, rule, when, and the failure's reason.

        attempts: added to the count (-1: the attempt was no failure of its own, it waited for
        X's send window; 1: an attempt that failed before it was counted). surface: the one the
        DM came by, kept with a dead letter's end (only its redrive starts the DM again). Returns the count.
        """
        values: dict[str, Any] = {
            ":outcome": {"S": fate.outcome.value},
            ":at": {"N": str(int(self.clock()))},
            ":expires": {"N": self._expiry()},
        }
        sets = ["outcome = :outcome", "outcome_at = :at", "expires_at = if_not_exists(expires_at, :expires)"]
        if fate.rule:
            sets.append("#rule = :rule")
            values[":rule"] = {"S": fate.rule.value}
        if fate.until:
            sets.append("retry_at = :until")
            values[":until"] = {"N": str(int(fate.until))}
        if fate.outcome in (Outcome.RETRY_LATER, Outcome.FAILED, Outcome.DEAD_LETTERED):
            sets.append("last_error = :reason")
            values[":reason"] = {"S": str(fate)[:500]}
        if surface and fate.outcome in (Outcome.FAILED, Outcome.DEAD_LETTERED):
            sets.append("dead_surface = :surface")
            values[":surface"] = {"S": surface}
        expression = "SET " + ", ".join(sets) + ("" if fate.rule else " REMOVE #rule") + " ADD attempts :add"
        values[":add"] = {"N": str(attempts)}
        answer = self.dynamodb.update_item(
            TableName=self.table,
            Key=self._key(dm_id),
            UpdateExpression=expression,
            ExpressionAttributeNames={"#rule": "rule"},
            ExpressionAttributeValues=values,
            ReturnValues="UPDATED_NEW",
        )
        return int(answer.get("Attributes", {}).get("attempts", {}).get("N", "0"))

    def _expiry(self) -> str:
        return str(int(self.clock()) + DM_TTL_SECONDS)
