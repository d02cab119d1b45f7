"""X's credits for the whole app (``credits#app``): once X answers a send 402 (credits spent) or with its usage cap.

Every send of every account then waits (HELD: no attempt spent, nothing dead-lettered). One DM
is let through every CreditsProbeMinutes as a probe, by a conditional write, so that only one
goes whichever the concurrency; when X takes it, the hold ends and sending resumes by itself. A DM
that another's probe went before looks again a minute later, when that probe's answer is known.
While nothing is held, a container reads the item (with a DM's other reads) at most once a minute.
What a DM read and whether its send is the probe are its thread's own (a batch's conversations are
answered side by side); what the container learnt (nothing held, until when) is every thread's.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dmchannel.storage.table import Item, Key, Prefix, conditional

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

OPEN_CHECK_SECONDS = 60  # how long a container trusts that nothing is held before reading again
APP = "app"


class _Turn(threading.local):
    """One thread's DM and the hold: the probe time it read, once due, and whether its send is the probe."""

    def __init__(self) -> None:
        self.read = False  # the DM reads the item (nothing was known to be held when it began: it does not)
        self.due = ""  # the probe time read, once it was due: the probe to take before X
        self.probing = False  # this DM's send is the probe


@dataclass
class CreditsHold:
    """Whether X takes the app's sends, as the last refusal and the probes say."""

    dynamodb: "DynamoDBClient"
    table: str
    probe_seconds: int
    clock: Callable[[], float] = field(default=time.time)
    _open_until: float = field(default=0.0, init=False)  # nothing was held when last read: trusted until then
    _turn: _Turn = field(default_factory=_Turn, init=False)

    def _key(self) -> Key:
        return Prefix.CREDITS.key(APP)

    def key_to_read(self) -> Key | None:
        """The item to read with the DM's other reads, unless nothing was held when it was last read, just now."""
        self._turn.read = self.clock() >= self._open_until
        return self._key() if self._turn.read else None

    def wait_until(self, items: dict[str, Item]) -> float:
        """0 when a DM may be planned (nothing held, or a probe is due); else when the next probe may go.

        A due probe is only noted here: it is taken just before X is called (``take_probe``), so that a
        DM left by a rule, or by the bot, never spends it.
        """
        now = self.clock()
        if not self._turn.read or self._turn.probing or now < self._open_until:  # open when it began, or a probe since
            return 0.0
        item = items.get(self._key()["pk"]["S"])
        if not item:
            self._open_until, self._turn.due = now + OPEN_CHECK_SECONDS, ""
            return 0.0
        probe_at = item["probe_at"]["N"]
        if now < float(probe_at):
            return float(probe_at)
        self._turn.due = probe_at
        return 0.0

    def take_probe(self) -> float:
        """Just before X is called: 0 when the send may go (nothing held, or it is the probe); else the next probe."""
        if self._turn.probing or not self._turn.due:
            return 0.0
        seen, self._turn.due = self._turn.due, ""
        next_probe = str(int(self.clock()) + self.probe_seconds)
        self._turn.probing = conditional(  # one probe, whichever the concurrency
            lambda: self.dynamodb.update_item(
                TableName=self.table,
                Key=self._key(),
                UpdateExpression="SET probe_at = :next",
                ConditionExpression="probe_at = :seen",
                ExpressionAttributeValues={":next": {"N": next_probe}, ":seen": {"N": seen}},
            )
        )
        if self._turn.probing:
            return 0.0
        return min(float(next_probe), self.clock() + OPEN_CHECK_SECONDS)  # another DM's probe: known by then

    def spent(self) -> float:
        """X refused a send for want of credits: every send waits for the next probe; when that is."""
        now = int(self.clock())
        self._open_until, self._turn.probing, self._turn.due = 0.0, False, ""
        self.dynamodb.update_item(
            TableName=self.table,
            Key=self._key(),
            UpdateExpression="SET probe_at = :next, since = if_not_exists(since, :now)",
            ExpressionAttributeValues={":next": {"N": str(now + self.probe_seconds)}, ":now": {"N": str(now)}},
        )
        return float(now + self.probe_seconds)

    def accepted(self) -> bool:
        """X took a send: if it was the probe, the hold ends (True)."""
        if not self._turn.probing:
            return False
        self._turn.probing = False
        self.dynamodb.delete_item(TableName=self.table, Key=self._key())
        self._open_until = self.clock() + OPEN_CHECK_SECONDS
        return True
