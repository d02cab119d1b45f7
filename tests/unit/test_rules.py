"""The rules before the bot, each alone and in the orders that matter, on in-memory stand-ins for the table."""

from dataclasses import dataclass, field, replace

import pytest

from devstack.deliveries import queued_dms
from dmchannel.responder.lifecycle import Rule
from dmchannel.responder.rules import RULES, Answer, Conversation, Leave, decide, keyword_of
from dmchannel.responder.settings import ResponderSettings
from dmchannel.storage.conversation import Loop

SETTINGS = ResponderSettings(table_name="", queue_url="", secret_id="")


@dataclass
class Table:
    """What the rules read of the account's conversations, held in memory."""

    with_person_users: set[str] = field(default_factory=set)
    opted_out_users: set[str] = field(default_factory=set)
    loop: Loop = Loop.OK
    used: int = 0
    daily_limit: int = 1000
    reserved: int = 10
    loop_counted: list[str] = field(default_factory=list)

    def with_person(self, user_id: str) -> bool:
        return user_id in self.with_person_users

    def is_opted_out(self, user_id: str) -> bool:
        return user_id in self.opted_out_users

    def verdict(self, user_id: str, dm_id: str, created_at: float, max_per_minute: int, quiet_seconds: int) -> Loop:
        self.loop_counted.append(dm_id)
        return self.loop

    def used_in_24_hours(self) -> int:
        return self.used


def conversation(text: str, table: Table, *, remembers: bool = False) -> Conversation:
    (dm,) = queued_dms(1)
    return Conversation(dm._replace(text=text), 1_795_521_600.0, SETTINGS, remembers, table, table, table, table)


def texts(decision: Answer | Leave | None) -> list[str]:
    assert isinstance(decision, Answer)
    return [reply.text for reply in decision.replies]


def test_the_rules_are_in_their_documented_order() -> None:
    assert [rule.__name__ for rule in RULES] == [
        "spend_limit",
        "stop",
        "start",
        "start_over",
        "with_person",
        "opted_out",
        "loop_breaker",
        "asks_for_person",
        "daily_limit",
    ]


def test_nothing_decides_an_ordinary_dm_the_bot_answers() -> None:
    table = Table()
    assert decide(conversation("what can you do?", table)) is None
    assert table.loop_counted  # counted by the loop breaker on its way


@pytest.mark.parametrize(
    ("table", "rule"),
    [
        (Table(with_person_users={"3001969357"}), Rule.WITH_PERSON),
        (Table(opted_out_users={"3001969357"}), Rule.OPTED_OUT),
        (Table(loop=Loop.MUTED), Rule.MUTED),
        (Table(used=990), Rule.DAILY_LIMIT),
    ],
    ids=["with a person", "opted out", "muted", "daily limit"],
)
def test_each_rule_that_leaves_a_dm_unanswered(table: Table, rule: Rule) -> None:
    assert decide(conversation("hello", table)) == Leave(rule)


def test_stop_and_start_are_answered_with_their_texts() -> None:
    assert texts(decide(conversation("STOP", Table()))) == [SETTINGS.stop_reply]
    assert texts(decide(conversation(" start! ", Table()))) == [SETTINGS.start_reply]


@pytest.mark.parametrize(
    "table",
    [
        Table(with_person_users={"3001969357"}),
        Table(opted_out_users={"3001969357"}),
        Table(loop=Loop.MUTED),
        Table(used=1000),
    ],
    ids=["with a person", "opted out", "muted", "daily limit"],
)
def test_stop_comes_before_every_rule_that_silences(table: Table) -> None:
    assert texts(decide(conversation("stop", table))) == [SETTINGS.stop_reply]
    assert table.loop_counted == []  # decided before the loop breaker counts anything


def test_start_ends_an_opt_out_so_it_comes_before_it() -> None:
    assert texts(decide(conversation("START", Table(opted_out_users={"3001969357"})))) == [SETTINGS.start_reply]


def test_start_over_applies_only_where_the_channel_remembers_the_conversation() -> None:
    remembered = decide(conversation("start over", Table(), remembers=True))
    assert texts(remembered) == [SETTINGS.start_over_reply]
    assert decide(conversation("start over", Table())) is None  # the bot keeps its own state: it hears it


def test_the_loop_breakers_notice_is_an_answer_shaped_by_the_rule() -> None:
    decision = decide(conversation("hello", Table(loop=Loop.NOTICE)))
    assert isinstance(decision, Answer) and decision.rule is Rule.MUTED
    assert texts(decision) == [SETTINGS.loop_notice]


def test_asking_for_a_person_hands_over_after_the_loop_breaker() -> None:
    decision = decide(conversation("Human", Table()))
    assert isinstance(decision, Answer) and decision.hand_over
    assert texts(decision) == [SETTINGS.human_handover_text]
    assert decide(conversation("human", Table(loop=Loop.MUTED))) == Leave(Rule.MUTED)  # a flood notifies once
    assert decide(conversation("human", Table(with_person_users={"3001969357"}))) == Leave(Rule.WITH_PERSON)


def test_stop_and_a_handover_may_use_the_reserve_the_bot_may_not() -> None:
    assert decide(conversation("what?", Table(used=989))) is None  # the bot: one DM left before the reserve
    assert decide(conversation("what?", Table(used=990))) == Leave(Rule.DAILY_LIMIT)  # the reserve is not the bot's
    for keyword in ("stop", "agent"):
        decision = decide(conversation(keyword, Table(used=999)))
        assert isinstance(decision, Answer) and decision.uses_reserve
    assert decide(conversation("agent?", Table(used=990))) == Leave(Rule.DAILY_LIMIT)  # not the keyword


def test_a_person_has_the_conversation_before_an_opt_out_is_looked_at() -> None:
    table = Table(with_person_users={"3001969357"}, opted_out_users={"3001969357"})
    assert decide(conversation("hello", table)) == Leave(Rule.WITH_PERSON)


def test_keywords_are_trimmed_and_case_free() -> None:
    assert keyword_of("  Stop.  ") == "stop"
    assert keyword_of("STOP!!") == "stop"


def test_a_stop_or_start_older_than_the_users_newest_choice_is_superseded() -> None:
    (dm,) = queued_dms(1)
    for keyword in ("STOP", "START"):
        table = Table()
        stale = Conversation(dm._replace(text=keyword), 0.0, SETTINGS, False, table, table, table, table, False)
        assert decide(stale) == Leave(Rule.SUPERSEDED)


@dataclass
class Bill:
    """The account's X bill for the last 24 hours, held in memory."""

    spent: float
    limit_usd: float = 5.0

    def spent_usd(self) -> float:
        return self.spent


@pytest.mark.parametrize(("spent", "left"), [(4.99, False), (5.0, True), (7.5, True)])
def test_the_spend_limit_leaves_every_dm_unanswered_once_reached_stop_included(spent: float, left: bool) -> None:
    table = Table()
    for text in ("hello", "STOP", "human"):
        decided = decide(replace(conversation(text, table), spend=Bill(spent)))
        assert (decided == Leave(Rule.SPEND_LIMIT)) is left


def test_without_a_spend_limit_nothing_is_read_for_it() -> None:
    assert decide(conversation("hello", Table())) is None  # spend is None: the bot answers
