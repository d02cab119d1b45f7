"""The simulator's conversations, kept by the local stack: what each user wrote, and what became of it.

The user's DMs are read from the deliveries the webhook accepted (with the channel's own
parsers); what became of each is read from its record in the table (``outcome`` and
``rule``), as an operator would read it. So a reload, or a second browser, shows the
whole thread.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dmchannel.queued_dm import Surface
from dmchannel.responder.lifecycle import Outcome, Rule
from dmchannel.storage.dm_records import DmRecord
from dmchannel.webhook.body import MAX_BODY_BYTES, delivery_of
from dmchannel.webhook.errors import MalformedDeliveryError
from dmchannel.webhook.surfaces import dms_in

# How the simulator says what became of a DM that got no answer from the bot (or not yet).
RULE_WORDS = {
    Rule.MUTED: "muted: you wrote faster than a person does",
    Rule.OPTED_OUT: "not answered: you opted out (send START)",
    Rule.DAILY_LIMIT: "not answered: the account's daily limit is reached",
    Rule.MESSAGE_LIMIT: "the per-message limit stopped the answer",
    Rule.TOO_OLD: "not answered: more than 24 hours old",
    Rule.WITH_PERSON: "left to the person who took the conversation",
    Rule.X_REFUSED: "X refused the answer",
    Rule.TOKEN_BUDGET: "the assistant's daily token budget is spent: an apology instead",
}
OUTCOME_WORDS = {
    Outcome.HELD: "waiting for X's rate limit to reset",
    Outcome.RETRY_LATER: "the bot or X failed: trying again",
    Outcome.DEAD_LETTERED: "failed: on the dead-letter queue",
}
Records = Callable[[str, list[str]], dict[str, DmRecord]]  # (account, DM ids) -> the records there are


def outcome_words(record: DmRecord | None, choice: bool = False) -> str:
    """What the simulator says of a DM's record: nothing while it is on its way, or answered by the bot.

    choice: the DM was a STOP or START, which the channel applies even when no confirmation can go.
    """
    if record is None or record.outcome is None:
        return ""
    if choice and record.rule is Rule.DAILY_LIMIT:
        return "applied, but not confirmed: the account's daily limit left no DM for the confirmation"
    if record.rule in RULE_WORDS:
        return RULE_WORDS[record.rule]
    if record.outcome is Outcome.UNANSWERED and record.rule:
        return f"not answered: {record.rule.reason}"
    return OUTCOME_WORDS.get(record.outcome, "")


@dataclass
class Conversations:
    """Every thread of the local stack, by (account, user)."""

    records: Records | None = None
    forget: Callable[[str, str], None] = lambda _account, _user: None  # the user's state in the table
    choices: frozenset[str] = frozenset()  # STOP and START keywords (casefolded): applied even unconfirmed
    _messages: list[dict[str, Any]] = field(default_factory=list)
    _cleared: dict[tuple[str, str], float] = field(default_factory=dict)  # (account, user) -> cleared at (ms)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, body: bytes, status: int) -> None:
        """Keep the DMs of a delivery the webhook was given, with how it answered (read within the webhook's bounds)."""
        if len(body) > MAX_BODY_BYTES:
            return
        try:
            delivery = delivery_of(body)
        except MalformedDeliveryError:
            return
        with self._lock:
            for dm in dms_in(delivery):
                if dm.surface is Surface.XCHAT:
                    continue  # encrypted: record_xchat keeps what the person typed
                self._messages.append(
                    {
                        "id": dm.dm_id,
                        "account_id": dm.account_id,
                        "user_id": dm.recipient_id or dm.sender_id,
                        "person": dm.from_account,  # written as the account, by a person
                        "text": dm.text,
                        "at": dm.created_at_ms or int(time.time() * 1000),
                        "status": "sent" if status == 200 else f"webhook answered {status}",
                    }
                )

    def record_xchat(self, account_id: str, user_id: str, message_id: str, text: str, status: int) -> None:
        """Keep a person's XChat message: the webhook saw it encrypted, so the simulator keeps what was typed."""
        with self._lock:
            self._messages.append(
                {
                    "id": message_id,
                    "account_id": account_id,
                    "user_id": user_id,
                    "person": False,
                    "text": text,
                    "at": int(time.time() * 1000),
                    "status": "sent" if status == 200 else f"webhook answered {status}",
                    "encrypted": True,
                }
            )

    def clear(self, account_id: str, user_id: str) -> None:
        """Start the thread afresh: the simulator shows what was said no more, and the channel forgets the user.

        What was said stays with X. The user is no longer muted, opted out or with a person, and no
        menu or memory of theirs is kept, so the conversation starts as a new user's would.
        """
        with self._lock:
            self._cleared[(account_id, user_id)] = time.time() * 1000
        self.forget(account_id, user_id)

    def since(self, account_id: str, user_id: str) -> float:
        """When the thread was last cleared (ms), or 0."""
        return self._cleared.get((account_id, user_id), 0.0)

    def thread(self, account_id: str, user_id: str) -> list[dict[str, Any]]:
        """The user's DMs to the account since the last clear, each with its outcome, if it has one."""
        since = self.since(account_id, user_id)
        with self._lock:
            thread = [
                message
                for message in self._messages
                if (message["account_id"], message["user_id"]) == (account_id, user_id) and message["at"] >= since
            ]
        records = self.records(account_id, [m["id"] for m in thread if not m["person"]]) if self.records else {}
        return [
            {
                **message,
                "outcome": outcome_words(
                    records.get(message["id"]), message["text"].strip().casefold() in self.choices
                ),
            }
            for message in thread
        ]
