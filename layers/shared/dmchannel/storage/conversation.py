"""One item per conversation (``conv#ACCOUNT#USER``): all the rules read of it, in one request per DM.

It holds the user's newest opt choice, STOP or START, with when they wrote it (an older one written
later changes nothing; the item never expires once it holds one), a person's takeover, the loop
breaker's count and its mute. The DMs are counted by when the user wrote them (creation time and id,
so a backlog or a replay is judged as written, and a redelivery counts nothing); over the limit in 60
seconds mutes the conversation until it has been quiet long enough, and the first DM of a mute gets
the notice. A DM reads the item with its other reads (one BatchGetItem) and is counted there, in
memory; its count is written with its plan, or alone when its attempt ends without one (a rule leaves
it unanswered, it is held, the bot fails). A tap on one of the bot's own buttons is never counted. A
conversation's DMs are answered one at a time (one FIFO group), and a DM counts once however often
it is read (its entry is its id).

A deployment upgraded in place kept these in items of their own (``optout#``, ``human#``, ``mute#``):
they are looked for in each DM's one read, and what they hold is folded into the conversation's item
once (``earlier_read`` notes it).
"""

from dataclasses import dataclass
from enum import Enum
from typing import Any

from dmchannel.storage.table import AccountItems, Item, Key, Prefix, Write, conditional

WINDOW_SECONDS = 60
TTL_SECONDS = 7 * 86_400  # after its last write, a conversation without an opt choice is forgotten
FOREVER = 32_503_680_000  # the year 3000: the expiry of an item holding an opt choice (STOP is never forgotten)
PRUNE_AFTER = 20  # counted DMs too old to matter, removed once there are this many


class Loop(Enum):
    """The loop breaker's verdict on one DM."""

    OK = "ok"  # answer it
    NOTICE = "notice"  # the conversation is muted now: tell the user, once
    MUTED = "muted"  # muted: leave it unanswered


def _number(item: Item, name: str) -> float:
    return float(item.get(name, {}).get("N", "0"))


def entry_of(dm_id: str, created_at: float) -> str:
    """How a DM is counted: when the user wrote it (ms) and its id, so that it counts once."""
    return f"{int(created_at * 1000)}#{dm_id}"


@dataclass
class Seen:
    """What one DM read of its conversation; it answers the rules (a person, the opt choice, the loop breaker)."""

    store: "Conversations"
    user_id: str
    item: Item
    counted: str = ""  # this DM's entry, when it is counted (written with its plan)
    tap: bool = False  # the DM answers the bot's own buttons: the loop breaker neither counts nor mutes for it

    @property
    def earlier_read(self) -> bool:
        """Whether an earlier version's items of the conversation were looked for (and folded in)."""
        return "earlier_read" in self.item

    @property
    def opt_at_ms(self) -> int:
        """When the user wrote their newest opt choice (epoch ms; -1: none kept)."""
        return int(self.item.get("opt_at", {}).get("N", "-1"))

    def with_person(self, _user_id: str) -> bool:
        """Whether a person has the conversation now."""
        return _number(self.item, "person_until") > self.store.clock()

    def is_opted_out(self, _user_id: str) -> bool:
        """Whether the user's newest choice is STOP."""
        return self.item.get("opted_out", {}).get("BOOL") is True

    def as_tap(self) -> "Seen":
        """The DM turned out to answer the offered menu: it is not counted."""
        self.tap, self.counted = True, ""
        return self

    def verdict(self, _user_id: str, dm_id: str, created_at: float, max_per_minute: int, quiet_seconds: int) -> Loop:
        """Whether the conversation goes faster than a person writes; a mute is written here.

        Over max_per_minute DMs written within 60 seconds mutes it until it has been quiet for
        quiet_seconds (each DM written meanwhile pushes that back). The first DM of a mute gets the notice.
        """
        until = _number(self.item, "mute_until")
        muted = until > created_at
        if self.tap:
            return Loop.MUTED if muted else Loop.OK
        since, written = (created_at - WINDOW_SECONDS) * 1000, created_at * 1000
        entries = [int(entry.split("#", 1)[0]) for entry in self.item.get("written", {}).get("SS", [])]
        if not (sum(since < at <= written for at in entries) > max_per_minute or muted):
            return Loop.OK
        episode = self.item.get("episode", {}).get("N", "") if muted else str(int(created_at))
        noticed_by = self.item.get("notice_dm", {}).get("S", "")
        first = self.item.get("notice_episode", {}).get("N") != episode or noticed_by == dm_id
        self.item = self.store.mute(
            self.user_id, max(until, created_at + quiet_seconds), episode, dm_id if first else noticed_by
        )
        return Loop.NOTICE if first else Loop.MUTED

    def writes(self) -> list[Write]:
        """What goes with the DM's plan (alone when none is made): its count, and that earlier items were looked for."""
        if self.earlier_read and not self.counted:
            return []
        values: dict[str, Any] = {":exp": {"N": self.store.expiry()}}
        expression = "SET expires_at = if_not_exists(kept_until, :exp)"
        if not self.earlier_read:
            expression += ", earlier_read = :true"
            values[":true"] = {"BOOL": True}
        if self.counted:
            expression += " ADD written :entry"
            values[":entry"] = {"SS": [self.counted]}
        update = {"TableName": self.store.table, "Key": self.store.key(self.user_id), "UpdateExpression": expression}
        return [{"Update": update | {"ExpressionAttributeValues": values}}]


@dataclass
class Conversations(AccountItems):
    """One account's conversations."""

    def key(self, user_id: str) -> Key:
        """The conversation's item."""
        return Prefix.CONVERSATION.key(self.account_id, user_id)

    def expiry(self, after: float = 0.0) -> str:
        """When an item without an opt choice expires, written now (or at after, if later)."""
        return str(int(max(after, self.clock())) + TTL_SECONDS)

    def _update(self, user_id: str, expression: str, values: dict[str, Any], **more: Any) -> Item:
        """Apply the update (and the sliding expiry of an item without an opt choice); the item as it is now."""
        values = {":exp": {"N": self.expiry(more.pop("after", 0.0))}} | values
        answer = self.dynamodb.update_item(
            TableName=self.table,
            Key=self.key(user_id),
            UpdateExpression=f"{expression} SET expires_at = if_not_exists(kept_until, :exp)"
            if not expression.startswith("SET")
            else f"{expression}, expires_at = if_not_exists(kept_until, :exp)",
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
            **more,
        )
        return dict(answer.get("Attributes", {}))

    def keys_to_read(self, user_id: str) -> list[Key]:
        """What a DM to be answered reads of its conversation with its other reads: its item, and an earlier version's."""
        return [self.key(user_id), *self.earlier_keys(user_id)]

    def seen(self, user_id: str, items: dict[str, Item], dm_id: str, created_at: float, *, tap: bool = False) -> Seen:
        """The conversation as the DM's read found it, the DM counted in it by when the user wrote it (a tap is not)."""
        item = items.get(self.key(user_id)["pk"]["S"], {})
        if tap:
            return Seen(self, user_id, item, tap=True)
        entry = entry_of(dm_id, created_at)
        self._prune(user_id, item, created_at)
        return Seen(self, user_id, _with_entry(item, entry), counted=entry)

    def _prune(self, user_id: str, item: Item, created_at: float) -> None:
        """Remove counted DMs too old to matter, once there are PRUNE_AFTER of them (the item stays small)."""
        horizon = (created_at - 2 * WINDOW_SECONDS) * 1000
        stale = [entry for entry in item.get("written", {}).get("SS", []) if int(entry.split("#", 1)[0]) < horizon]
        if len(stale) >= PRUNE_AFTER:
            self.dynamodb.update_item(
                TableName=self.table,
                Key=self.key(user_id),
                UpdateExpression="DELETE written :stale",
                ExpressionAttributeValues={":stale": {"SS": stale}},
            )

    def keep_opt_choice(self, user_id: str, opted_out: bool, written_at: float) -> Seen:
        """Keep STOP or START, written at written_at (epoch seconds), unless a newer choice is kept; the conversation."""
        return self._keep(user_id, opted_out, int(written_at * 1000))

    def _keep(self, user_id: str, opted_out: bool, at_ms: int) -> Seen:
        at = {"N": str(at_ms)}
        item: Item = {}

        def keep() -> None:
            nonlocal item
            item = self._update(
                user_id,
                "SET opted_out = :opted_out, opt_at = :at, kept_until = :forever",
                {":opted_out": {"BOOL": opted_out}, ":at": at, ":forever": {"N": str(FOREVER)}},
                ConditionExpression="attribute_not_exists(opt_at) OR opt_at <= :at",
            )

        if not conditional(keep):
            item = self._get(self.key(user_id))
        return Seen(self, user_id, item)

    def hand_to_person(self, user_id: str, seconds: int) -> None:
        """A person has the conversation for the next seconds: the bot stays quiet in it."""
        until = int(self.clock()) + seconds
        self._update(user_id, "SET person_until = :until", {":until": {"N": str(until)}}, after=until)

    def give_back_to_bot(self, user_id: str) -> bool:
        """End a person's takeover (an earlier version's too); False when there was none."""
        answer = self.dynamodb.update_item(
            TableName=self.table,
            Key=self.key(user_id),
            UpdateExpression="REMOVE person_until",
            ReturnValues="ALL_OLD",
        )
        earlier = self.dynamodb.delete_item(
            TableName=self.table, Key=Prefix.HUMAN.key(self.account_id, user_id), ReturnValues="ALL_OLD"
        )
        until = max(
            _number(answer.get("Attributes", {}), "person_until"), _number(earlier.get("Attributes", {}), "until")
        )
        return until > self.clock()

    def mute(self, user_id: str, until: float, episode: str, notice_dm: str) -> Item:
        """Mute the conversation until then; the mute's episode and the DM that got (or gets) its notice."""
        return self._update(
            user_id,
            "SET mute_until = :until, episode = :episode, notice_episode = :episode, notice_dm = :notice",
            {":until": {"N": str(int(until))}, ":episode": {"N": episode}, ":notice": {"S": notice_dm}},
            after=until,
        )

    def earlier_keys(self, user_id: str) -> list[Key]:
        """Where an earlier version kept the conversation's opt choice, takeover and mute."""
        return [prefix.key(self.account_id, user_id) for prefix in (Prefix.OPT_OUT, Prefix.HUMAN, Prefix.MUTE)]

    def fold(self, seen: Seen, items: dict[str, Item]) -> Seen:
        """Fold what an earlier version kept of the conversation (read with the DM) into its item, once found."""
        opt_out, human, mute = (items.get(key["pk"]["S"], {}) for key in self.earlier_keys(seen.user_id))
        if not (opt_out or human or mute):
            return seen  # nothing: the plan's writes note that they were looked for
        if opt_out:  # dated by when the user wrote it (an undated one, the oldest kind, was always STOP)
            at_ms = int(opt_out.get("at", {}).get("N", "0"))
            self._keep(seen.user_id, opt_out.get("opted_out", {}).get("BOOL") is not False, at_ms)
        values: dict[str, Any] = {":true": {"BOOL": True}}
        sets = ["earlier_read = :true"]
        for name, value in (("person_until", human.get("until")), ("mute_until", mute.get("until"))):
            if value:
                sets.append(f"{name} = if_not_exists({name}, :{name})")
                values[f":{name}"] = value
        for name in ("episode", "notice_episode", "notice_dm"):
            if name in mute:
                sets.append(f"{name} = if_not_exists({name}, :{name})")
                values[f":{name}"] = mute[name]
        item = self._update(seen.user_id, "SET " + ", ".join(sets), values)
        return Seen(self, seen.user_id, _with_entry(item, seen.counted), seen.counted, seen.tap)


def _with_entry(item: Item, entry: str) -> Item:
    """The item with the DM's entry among the counted ones (in memory: it is written with the plan)."""
    if not entry:
        return item
    return item | {"written": {"SS": sorted({*item.get("written", {}).get("SS", []), entry})}}
