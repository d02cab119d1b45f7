"""The life of a DM, named once: where it can be, how it can end, and the rules that decide it.

A person's DM, from X's delivery to its end::

    state      what happens there                                       next
    ---------  -------------------------------------------------------  ---------------------------------
    received   the webhook checks X's signature and queues the DM        queued
    queued     on the FIFO queue, one group per conversation              started | NOT_STARTED
    started    one more attempt counted on its record (a new chain of   opened | as recorded, if closed
               attempts when a dead letter is redriven)                  | DUPLICATE, if dead-lettered
                                                                         by its other surface
    opened     read (XChat: decrypted, verified); STOP/START kept        planned | UNANSWERED(rule) | HELD
    planned    the rules, then the bot; the plan stored before            each reply reserved
               anything is sent (a retry continues it)                   | UNANSWERED(rule)
    reserved   a reply's slot taken (the 24-hour and per-message         sending | ANSWERED cut short(rule)
               limits, atomically)
    sending    claimed just before X is called                           sent | released | RETRY_LATER
    sent       X took the reply                                          the next reply | ANSWERED
    released   X surely refused it: its slot given back                  HELD | RETRY_LATER | ANSWERED

Every attempt ends in an ``Outcome``, an error no one foresaw included (RETRY_LATER, with
its reason). A failed attempt comes back later, backed off (``retry_delay``); after the
last, the DM has FAILED, with its reason, the user gets the apology if X allows, and it
waits on the dead-letter queue, where a redrive starts a new chain of attempts. The final
outcomes are stored on the DM's record (``outcome``, ``rule``, ``outcome_at``), so one
GetItem tells a DM's fate; the others say when the queue brings the DM back. A ``Rule`` is
why a DM was left unanswered, or answered other than by the bot (cut short, a notice, an
apology); each carries its metric and its words. ``ReplyState`` is one reply's record in
the ledger; ``Checkpoint`` names the moments where a crash matters (the drills crash there).
"""

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Self

from dmchannel.metric_names import Metric


class Outcome(StrEnum):
    """How one attempt at a DM ended; the final ones are the DM's fate."""

    ANSWERED = "answered"  # final: the plan was sent (whole, or cut short by a rule)
    UNANSWERED = "unanswered"  # final: a rule left it unanswered
    FAILED = "failed"  # final unless redriven: every attempt failed; on the dead-letter queue with the last reason
    DEAD_LETTERED = "dead_lettered"  # final unless redriven: trying again cannot help; on the dead-letter queue
    HELD = "held"  # waits for X's send window to reset; no attempt spent
    RETRY_LATER = "retry_later"  # the attempt failed (the bot or X); back after a delay
    NOT_STARTED = "not_started"  # too little of the invocation left to start (or go on): back at once, no attempt spent
    OBSERVED = "observed"  # the account's own message (its echo, or a person answering): noted, never answered
    DUPLICATE = "duplicate"  # another surface's delivery of a DM whose copy waits on the dead-letter queue: let go

    @property
    def final(self) -> bool:
        """Whether the DM's life is over (a redrive of a dead letter starts it again)."""
        return self in (Outcome.ANSWERED, Outcome.UNANSWERED, Outcome.FAILED, Outcome.DEAD_LETTERED, Outcome.OBSERVED)

    @property
    def closed(self) -> bool:
        """Whether nothing more is ever done for the DM: a replay or a redrive of it does nothing."""
        return self in (Outcome.ANSWERED, Outcome.UNANSWERED, Outcome.OBSERVED)


class Rule(StrEnum):
    """Why a DM was left unanswered, or answered other than by the bot; its metric and its words."""

    metric: Metric
    reason: str

    def __new__(cls, value: str, metric: Metric, reason: str) -> Self:
        """A rule: its stored value, the metric it counts and what the log says."""
        rule = str.__new__(cls, value)
        rule._value_ = value
        rule.metric = metric
        rule.reason = reason
        return rule

    TOO_OLD = "too_old", Metric.UNANSWERED_TOO_OLD, "the DM is more than 24 hours old"
    OPTED_OUT = "opted_out", Metric.OPTED_OUT_MESSAGES, "the user opted out"
    SUPERSEDED = "superseded", Metric.OPT_CHOICES_SUPERSEDED, "a STOP or START older than the user's newest choice"
    WITH_PERSON = "with_person", Metric.LEFT_TO_PERSON, "a person has this conversation"
    MUTED = "muted", Metric.CONVERSATION_MUTED, "the conversation is muted"
    DAILY_LIMIT = "daily_limit", Metric.UNANSWERED_DAILY_LIMIT, "the daily DM limit is reached"
    SPEND_LIMIT = "spend_limit", Metric.UNANSWERED_SPEND_LIMIT, "the account's daily X spend limit is reached"
    MESSAGE_LIMIT = "message_limit", Metric.REPLIES_DROPPED, "the per-message limit is reached"
    TOKEN_BUDGET = "token_budget", Metric.DAILY_TOKENS_SPENT, "the assistant's daily token budget is spent"
    X_REFUSED = "x_refused", Metric.REPLIES_REFUSED, "X refused the reply"
    ACCOUNT_NOT_SERVED = (
        "account_not_served",
        Metric.DIRECT_MESSAGES_FOR_UNKNOWN_ACCOUNT,
        "the DM is for an account this deployment does not serve",
    )
    FROM_SERVED_ACCOUNT = (
        "from_served_account",
        Metric.DIRECT_MESSAGES_BETWEEN_ACCOUNTS,
        "the sender is another account this deployment serves",
    )
    UNREADABLE = "unreadable", Metric.XCHAT_UNREADABLE, "the XChat message did not verify or decrypt"
    NOT_ANSWERABLE = (
        "not_answerable",
        Metric.XCHAT_NOT_ANSWERED,
        "the XChat event is no one-to-one text message",
    )
    RESENT = "resent", Metric.XCHAT_REPLIES_RESENT, "X reported a reply of ours failed: the same reply was sent again"
    SEND_FAILED = (
        "send_failed",
        Metric.XCHAT_REPLIES_FAILED,
        "X reported a reply of ours failed, and it cannot be sent again",
    )


def rule_of(value: str) -> Rule:
    """A stored rule."""
    return next(rule for rule in Rule if rule.value == value)


class ReplyState(StrEnum):
    """One reply's record in the ledger (``reply#`` items)."""

    RESERVED = "reserved"  # its slot is taken; X was never called for it: a retry sends it
    SENDING = "sending"  # claimed just before X is called: X may have it, so it is never sent again
    SENT = "sent"  # X took it
    RELEASED = "released"  # X surely refused it: its slot was given back, and it may be reserved again


RETRY_BACKOFF_SECONDS = (30, 120, 600, 3_600)  # after each failed attempt: an hour-long outage fails nothing
MAX_ATTEMPTS = 5  # attempts that failed (the bot, X, anything) before the DM has failed


def retry_delay(attempts: int) -> float:
    """How long a DM waits after its attempts-th attempt failed."""
    return RETRY_BACKOFF_SECONDS[min(max(attempts, 1), len(RETRY_BACKOFF_SECONDS)) - 1]


class Checkpoint(StrEnum):
    """The moments of an attempt where a crash matters: the drills crash there."""

    BEFORE_PLAN = "before_plan"  # the answer is decided, not yet stored
    RESERVED = "reserved"  # a reply's slot is reserved, X not yet called
    SENT = "sent"  # X took a reply; it is not yet recorded as sent


@dataclass(frozen=True)
class Fate:
    """What one attempt at a DM came to."""

    outcome: Outcome
    rule: Rule | None = None
    detail: str = ""  # why it failed or was dead-lettered (never the DM's text)
    until: float = 0.0  # HELD, RETRY_LATER: the epoch second the DM is tried again
    dropped: int = 0  # replies of the plan left unsent by the rule

    def __str__(self) -> str:
        """The words a log line or the dead-letter queue's reason uses."""
        return self.detail or (self.rule.reason if self.rule else self.outcome.value)


class Ended(Exception):  # noqa: N818 - it carries a Fate; it is no error
    """Carries a Fate out of the depth of an attempt (the bot, X, XChat) to the responder, which records it."""

    def __init__(self, fate: Fate) -> None:
        super().__init__(str(fate))
        self.fate = fate


def retry_later(detail: str) -> Ended:
    """The attempt failed; the DM comes back after a delay."""
    return Ended(Fate(Outcome.RETRY_LATER, detail=detail))


def dead_letter(detail: str) -> Ended:
    """Trying again cannot help; the DM goes to the dead-letter queue with this reason."""
    return Ended(Fate(Outcome.DEAD_LETTERED, detail=detail))


def unanswered(rule: Rule, detail: str = "") -> Ended:
    """A rule leaves the DM unanswered."""
    return Ended(Fate(Outcome.UNANSWERED, rule, detail))


def hold(until: float) -> Ended:
    """X's send window is spent until then; the DM waits, costing no attempt."""
    return Ended(Fate(Outcome.HELD, until=until, detail=f"X's send window is spent until {until:.0f}"))


def after_failure(fate: Fate, attempts: int, now: float) -> Fate:
    """A failed attempt's fate: back after its backoff, or, the attempts spent, FAILED with the last reason."""
    if attempts < MAX_ATTEMPTS:
        return replace(fate, until=now + retry_delay(attempts))
    return Fate(Outcome.FAILED, detail=f"{MAX_ATTEMPTS} attempts failed, the last: {fate.detail or 'unknown'}")
