"""The rules a DM meets before the bot is asked, in order: the first that decides wins.

    rule              decides                                       why here
    ----------------  --------------------------------------------  -------------------------------------
    spend_limit       unanswered: the account's X bill for 24 hours  first: a limit on money stops
                      reached DailyXSpendLimitUsd (the user is told  everything (STOP is still kept)
                      nothing)
    stop              STOP is confirmed (an older one than the       first: STOP always works
                      user's newest choice: unanswered, superseded)
    start             START is welcomed back (likewise)              before the opt-out it ends
    start_over        the assistant forgets, and says so             only a bot the channel remembers for
    with_person       unanswered: a person has the conversation      the bot never talks over a person
    opted_out         unanswered: the user opted out                 before the loop breaker counts it
    loop_breaker      the notice once, then unanswered while muted   before a person is asked for: a flood
                                                                     of "human" notifies once
    asks_for_person   the handover text; a person takes over         after the loop breaker
    daily_limit       unanswered: the account's 24 hours are spent   last: everything above costs no bot call;
                      (but for ReservedForOptOuts, kept for STOP     STOP and handovers may use the reserve
                      and handover notices)

None decides: the bot answers. The rules read the DM's conversation through the ports
below (its item, read once per DM, in the responder; plain objects in the unit tests). A tap
on one of the bot's own buttons is never counted by the loop breaker.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from aws_lambda_powertools.metrics import MetricUnit

from dmchannel.bots.base import Reply
from dmchannel.observability import Metric, count
from dmchannel.queued_dm import QueuedDM
from dmchannel.responder.lifecycle import Rule
from dmchannel.responder.settings import ResponderSettings
from dmchannel.storage.conversation import Loop


class TakeoverPort(Protocol):
    """Whether a person has a conversation."""

    def with_person(self, user_id: str) -> bool:
        """Whether a person has the conversation now."""


class OptOutPort(Protocol):
    """Whether a user opted out."""

    def is_opted_out(self, user_id: str) -> bool:
        """Whether the user sent STOP (and not START since)."""


class LoopPort(Protocol):
    """The loop breaker's count of a conversation."""

    def verdict(self, user_id: str, dm_id: str, created_at: float, max_per_minute: int, quiet_seconds: int) -> Loop:
        """Count the DM; tell whether the conversation goes faster than a person writes."""


class SpendPort(Protocol):
    """What the account's billable X events of the last 24 hours cost, against its limit."""

    limit_usd: float

    def spent_usd(self) -> float:
        """The cost of the last 24 hours' billable events, in USD."""


class DailyPort(Protocol):
    """The account's DMs in the rolling 24 hours."""

    daily_limit: int
    reserved: int  # kept for STOP confirmations and handover notices

    def used_in_24_hours(self) -> int:
        """DMs the account sent in the last 24 hours."""


def keyword_of(text: str) -> str:
    """A DM's text as a keyword (STOP, START, ...): trimmed, without a final stop or exclamation, any case."""
    return text.strip().strip(".!").casefold()


@dataclass(frozen=True)
class Conversation:
    """What the rules read: the DM, when it was written, the settings, and the account's conversations."""

    dm: QueuedDM
    created_at: float
    settings: ResponderSettings
    remembers: bool  # the channel keeps the bot's memory (the start-over keyword applies)
    takeovers: TakeoverPort
    opt_outs: OptOutPort
    loops: LoopPort
    daily: DailyPort
    opt_choice_kept: bool = True  # False: the DM is a STOP or START older than the user's newest choice
    spend: SpendPort | None = None  # None: the account has no X spend limit

    @property
    def keyword(self) -> str:
        """The DM's text as a keyword."""
        return keyword_of(self.dm.text)


@dataclass(frozen=True)
class Answer:
    """A rule's own answer instead of the bot's."""

    replies: tuple[Reply, ...]
    rule: Rule | None = None  # the rule that shaped the DM's outcome, if it is one of lifecycle's
    hand_over: bool = False  # a person takes the conversation (and the operator is told)
    metric: Metric | None = None  # what else the answer counts
    note: str = ""  # what the log says of it
    uses_reserve: bool = False  # STOP's confirmation, a handover notice: they may use the DMs kept back for them


@dataclass(frozen=True)
class Leave:
    """The DM is left unanswered by the rule."""

    rule: Rule


Decision = Answer | Leave


def _answer(
    text: str,
    *,
    rule: Rule | None = None,
    hand_over: bool = False,
    metric: Metric | None = None,
    note: str = "",
    uses_reserve: bool = False,
) -> Answer:
    return Answer((Reply(text),), rule, hand_over, metric, note, uses_reserve)


def stop(c: Conversation) -> Decision | None:
    """STOP always works: it is confirmed (unless a newer choice of the user's came first: then it is nothing)."""
    if c.keyword in c.settings.stop_keywords:
        if not c.opt_choice_kept:
            return Leave(Rule.SUPERSEDED)
        return _answer(c.settings.stop_reply, metric=Metric.OPT_OUTS, note="User opted out", uses_reserve=True)
    return None


def start(c: Conversation) -> Decision | None:
    """START is welcomed back (unless a newer choice of the user's came first)."""
    if c.keyword in c.settings.start_keywords:
        if not c.opt_choice_kept:
            return Leave(Rule.SUPERSEDED)
        return _answer(c.settings.start_reply, note="User opted in")
    return None


def start_over(c: Conversation) -> Decision | None:
    """A start-over keyword, where the channel remembers the conversation: it is forgotten, and said so."""
    if c.remembers and c.keyword in c.settings.start_over_keywords:
        return _answer(c.settings.start_over_reply, note="The user started over")
    return None


def with_person(c: Conversation) -> Decision | None:
    """A person has the conversation: the bot stays quiet."""
    return Leave(Rule.WITH_PERSON) if c.takeovers.with_person(c.dm.sender_id) else None


def opted_out(c: Conversation) -> Decision | None:
    """The user opted out: nothing until START."""
    return Leave(Rule.OPTED_OUT) if c.opt_outs.is_opted_out(c.dm.sender_id) else None


def loop_breaker(c: Conversation) -> Decision | None:
    """Faster than a person writes: the notice once, then quiet until the conversation calms down."""
    settings = c.settings
    loop = c.loops.verdict(
        c.dm.sender_id, c.dm.dm_id, c.created_at, settings.loop_max_per_minute, settings.loop_quiet_seconds
    )
    if loop is Loop.NOTICE:
        return _answer(settings.loop_notice, rule=Rule.MUTED, note="Conversation muted: the user is told once")
    return Leave(Rule.MUTED) if loop is Loop.MUTED else None


def asks_for_person(c: Conversation) -> Decision | None:
    """A human keyword: the handover text, and a person takes the conversation."""
    if c.keyword in c.settings.human_keywords:
        return _answer(
            c.settings.human_handover_text,
            hand_over=True,
            metric=Metric.HUMAN_HANDOVERS,
            note="The user asked for a person: the conversation is handed over",
            uses_reserve=True,
        )
    return None


def daily_limit(c: Conversation) -> Decision | None:
    """The account's rolling 24 hours are spent, but for the DMs kept for STOP and handovers: unanswered."""
    used, limit = c.daily.used_in_24_hours(), c.daily.daily_limit
    count(Metric.DAILY_LIMIT_USED, 100 * used / limit if limit else 100, MetricUnit.Percent)
    return Leave(Rule.DAILY_LIMIT) if used >= limit - c.daily.reserved else None


def spend_limit(c: Conversation) -> Decision | None:
    """The account's X bill for the rolling 24 hours reached its limit: unanswered, the user told nothing."""
    if c.spend is None:
        return None
    spent, limit = c.spend.spent_usd(), c.spend.limit_usd
    count(Metric.X_SPEND_USED, 100 * spent / limit, MetricUnit.Percent)
    return Leave(Rule.SPEND_LIMIT) if spent >= limit else None


RULES: tuple[Callable[[Conversation], Decision | None], ...] = (
    spend_limit,
    stop,
    start,
    start_over,
    with_person,
    opted_out,
    loop_breaker,
    asks_for_person,
    daily_limit,
)


def decide(conversation: Conversation) -> Decision | None:
    """The first rule's decision, in order; None: the bot answers."""
    for rule in RULES:
        decision = rule(conversation)
        if decision is not None:
            return decision
    return None
