"""The Responder with bots of its own (the protocol's plug-in point), on moto and the fake X."""

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import boto3
import pytest

from devstack.deliveries import BOT_USER, USER, dm_delivery, dm_event
from devstack.fake_x import MARK_READ_PATH, SEND_PATH, TYPING_PATH, FakeX
from devstack.lambda_runtime import FunctionDied
from devstack.provision import LocalStack
from dmchannel.bots.base import BotError, Button, Reply, Turn
from dmchannel.queued_dm import QueuedDM
from dmchannel.responder.answering import Responder
from dmchannel.responder.composer import MORE_OPTIONS_LABEL
from dmchannel.responder.lifecycle import Checkpoint, Fate, Outcome, Rule
from dmchannel.storage.memory import ConversationMemory
from dmchannel.webhook.account_activity import dms_to_answer
from tests.integration.conftest import looked, queued


@dataclass
class ScriptedBot:
    """Answers every turn with the same replies and remembers the turns."""

    replies: list[Reply]
    turns: list[Turn] = field(default_factory=list)

    def answer(self, turn: Turn) -> list[Reply]:
        self.turns.append(turn)
        return self.replies


def test_seven_long_replies_become_the_five_allowed(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    bot = ScriptedBot([Reply(str(n) * 9_000) for n in range(7)])
    make_responder(bot).handle(queued("1"))
    assert [dm.text[0] for dm in fake_x[0].sent] == ["0", "1", "2", "3", "4"]


def test_short_replies_over_the_budget_are_joined(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    bot = ScriptedBot([Reply(f"line {n}") for n in range(8)])
    make_responder(bot).handle(queued("1"))
    assert [dm.text for dm in fake_x[0].sent] == ["\n\n".join(f"line {n}" for n in range(8))]


def test_more_options_are_answered_without_the_bot(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    fake = fake_x[0]
    bot = ScriptedBot([Reply("Pick a city", tuple(Button(f"City {n}", f"city:{n}") for n in range(45)))])
    responder = make_responder(bot)
    responder.handle(queued("1"))
    first = fake.sent[0].options
    assert len(first) == 20 and first[-1]["label"] == MORE_OPTIONS_LABEL
    responder.handle(queued("2", MORE_OPTIONS_LABEL, first[-1]["metadata"]))
    second = fake.sent[1].options
    assert [o["metadata"] for o in second[:19]] == [f"city:{n}" for n in range(19, 38)]
    responder.handle(queued("3", MORE_OPTIONS_LABEL, second[-1]["metadata"]))
    assert [o["metadata"] for o in fake.sent[2].options] == [f"city:{n}" for n in range(38, 45)]
    assert len(bot.turns) == 1


def test_the_bot_sees_unescaped_text_and_the_tapped_payload(make_responder: Callable[..., Responder]) -> None:
    bot = ScriptedBot([])
    make_responder(bot).handle(queued("1", "Q&A <now>", "intent:qa"))
    assert bot.turns[0].text == "Q&A <now>"
    assert bot.turns[0].button_payload == "intent:qa"
    assert (bot.turns[0].sender_name, bot.turns[0].sender_screen_name) == ("Jordan", "jordan")


def test_the_bot_sees_links_expanded_a_shared_location_and_a_videos_mp4(
    make_responder: Callable[..., Responder],
) -> None:
    now_ms = int(time.time() * 1000)
    urls = [{"url": "https://t.co/AbC123", "expanded_url": "https://example.com/a?b=1&c=2", "indices": [4, 23]}]
    place = {"full_name": "San Francisco, CA", "centroid": [-122.4, 37.75]}
    video = {
        "type": "media",
        "media": {
            "type": "video",
            "media_url_https": "https://pbs.twimg.com/preview.jpg",
            "video_info": {"variants": [{"bitrate": 832000, "content_type": "video/mp4", "url": "https://v/640.mp4"}]},
        },
    }
    events = [
        dm_event("1", USER["id"], BOT_USER["id"], "see https://t.co/AbC123 & more", created_ms=now_ms, urls=urls),
        dm_event(
            "2",
            USER["id"],
            BOT_USER["id"],
            "here",
            created_ms=now_ms,
            attachment={"type": "location", "location": {"type": "shared_place", "shared_place": {"place": place}}},
        ),
        dm_event("3", USER["id"], BOT_USER["id"], "watch", created_ms=now_ms, attachment=video),
    ]
    bot = ScriptedBot([])
    responder = make_responder(bot)
    for dm in dms_to_answer(dm_delivery(events, [USER])):
        responder.handle(QueuedDM.from_body(dm.to_body()))  # as the queue hands it over
    linked, located, watched = bot.turns
    assert linked.text == "see https://example.com/a?b=1&c=2 & more"
    assert (located.attachment_type, located.latitude, located.longitude, located.place_name) == (
        "location",
        37.75,
        -122.4,
        "San Francisco, CA",
    )
    assert (watched.attachment_type, watched.attachment_url) == ("video", "https://v/640.mp4")


def test_a_read_timeout_is_never_resent(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str], stack: LocalStack
) -> None:
    fake = fake_x[0]
    responder = make_responder(ScriptedBot([Reply("one"), Reply("two")]), read_timeout=0.2)
    fake.fail_next(200, delay=0.5)  # X may have sent it, but the answer never came
    assert responder.handle(queued("1")).outcome is Outcome.RETRY_LATER
    assert responder.handle(queued("1")).outcome is Outcome.ANSWERED  # the redelivery
    assert [dm.text for dm in fake.sent] == ["two"]
    assert responder.stores.ledger.used_for("1") == 2


def crash_once(responder: Responder, at: Checkpoint) -> list[str]:
    """Kill the first attempt (as a Lambda timeout would) at a checkpoint; the DMs it crashed."""
    crashed: list[str] = []

    def crash(checkpoint: Checkpoint, dm_id: str) -> None:
        if checkpoint is at and not crashed:
            crashed.append(dm_id)
            raise FunctionDied("the function died here")

    responder.checkpoint = crash
    return crashed


def test_a_crash_after_reserving_before_calling_x_sends_the_reply_on_the_retry(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    responder = make_responder(ScriptedBot([Reply("only")]))
    crashed = crash_once(responder, Checkpoint.RESERVED)
    with pytest.raises(FunctionDied):
        responder.handle(queued("1"))
    assert crashed == ["1"] and fake_x[0].sent == []
    assert responder.handle(queued("1")).outcome is Outcome.ANSWERED
    assert [dm.text for dm in fake_x[0].sent] == ["only"]
    assert responder.stores.ledger.used_for("1") == 1


def test_a_crash_after_x_took_the_reply_never_sends_it_twice(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    responder = make_responder(ScriptedBot([Reply("one"), Reply("two")]))
    crashed = crash_once(responder, Checkpoint.SENT)
    with pytest.raises(FunctionDied):
        responder.handle(queued("1"))
    assert crashed == ["1"] and [dm.text for dm in fake_x[0].sent] == ["one"]
    responder.handle(queued("1"))
    assert [dm.text for dm in fake_x[0].sent] == ["one", "two"]
    assert responder.stores.ledger.used_for("1") == 2


def test_many_threads_answering_at_once_never_exceed_the_daily_limit(
    stack: LocalStack, fake_x: tuple[FakeX, str], make_responder: Callable[..., Responder]
) -> None:
    responders = [make_responder(ScriptedBot([Reply("a"), Reply("b")])) for _ in range(8)]
    for responder in responders:
        responder.stores.ledger.daily_limit = 15
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: responders[n % 8].handle(queued(f"in-{n}")), range(24)))
    assert len(fake_x[0].sent) == 15
    assert responders[0].stores.ledger.used_in_24_hours() == 15
    used = [responders[0].stores.ledger.used_for(f"in-{n}") for n in range(24)]
    assert sum(used) == 15 and max(used) <= 2


@dataclass
class UnavailableBot:
    """A bot back end that fails."""

    retryable: bool

    def answer(self, turn: Turn) -> list[Reply]:
        raise BotError("down", retryable=self.retryable)


def test_a_failing_bot_is_retried_through_the_queue_then_apologised_for(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    responder = make_responder(UnavailableBot(retryable=True), bot_attempts=3, bot_apology="Sorry!")
    for _ in (1, 2):
        assert responder.handle(queued("1")).outcome is Outcome.RETRY_LATER
    assert fake_x[0].sent == []
    responder.handle(queued("1"))
    assert [dm.text for dm in fake_x[0].sent] == ["Sorry!"]
    assert responder.stores.ledger.used_in_24_hours() == 1  # counted like any reply


def test_a_bot_refusing_the_request_gets_the_apology_at_once(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    make_responder(UnavailableBot(retryable=False), bot_apology="Sorry!").handle(queued("1"))
    assert [dm.text for dm in fake_x[0].sent] == ["Sorry!"]


def test_x_api_v2_numbered_choices_round_trip(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    from dmchannel.bots.faq import load_faq_bot  # noqa: PLC0415
    from tests.conftest import ROOT  # noqa: PLC0415

    faq = load_faq_bot(ROOT / "functions" / "responder" / "faq.yaml")
    responder = make_responder(faq, x_dm_api="v2", mark_read=True)
    responder.handle(queued("1", "hello"))
    greeting = fake_x[0].sent[0]
    assert greeting.options == []
    assert greeting.text.endswith(
        "1. What is this?\n2. How does it work?\n3. What limits apply?\n4. Can I use my own bot?"
    )
    responder.handle(queued("2", "3"))
    assert fake_x[0].sent[1].text.startswith("X allows an account 1,000 DMs a day")
    # Only v2 sends: v1.1's read receipts and typing indicator are not called.
    assert [path for path, _ in fake_x[0].calls] == ["/2/dm_conversations/with/3001969357/messages"] * 2


@dataclass
class ChangingBot:
    """A stateful bot: every call answers something new (as Rasa or Lex move their dialog on)."""

    calls: int = 0

    def answer(self, turn: Turn) -> list[Reply]:
        self.calls += 1
        return [Reply(f"answer {self.calls}, part {n}") for n in range(3)]


def test_a_retry_continues_the_stored_plan_and_never_asks_the_bot_again(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    fake, bot = fake_x[0], ChangingBot()
    responder = make_responder(bot, mark_read=True, typing_indicator=True)
    fake.fail_next(500, (131,), times=3, after=1)  # part 0 goes out; then X fails three times on part 1
    dm = queued("1")
    assert responder.handle(dm).outcome is Outcome.RETRY_LATER
    responder.handle(dm)  # the redelivery
    assert [sent.text for sent in fake.sent] == [f"answer 1, part {n}" for n in range(3)]
    assert bot.calls == 1
    courtesy = [path for path, _ in fake.calls if path != SEND_PATH]
    assert courtesy == [MARK_READ_PATH, TYPING_PATH]  # once, on the first attempt


def test_too_little_time_left_starts_nothing(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str], stack: LocalStack
) -> None:
    bot = ScriptedBot([Reply("hi")])
    responder = make_responder(bot, bot_timeout=10.0)
    responder.remaining_seconds = lambda: 12.0
    assert responder.handle(queued("1")).outcome is Outcome.NOT_STARTED
    assert (bot.turns, fake_x[0].calls) == ([], [])
    assert boto3.client("dynamodb").scan(TableName=stack.refs["StateTable"])["Items"] == []  # no attempt counted


def test_a_dm_older_than_24_hours_is_not_answered(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    bot = ScriptedBot([Reply("hi")])
    responder = make_responder(bot)
    responder.clock = lambda: time.time() + 24 * 3600 + 60
    assert responder.handle(queued("1")) == Fate(Outcome.UNANSWERED, Rule.TOO_OLD)
    assert (bot.turns, fake_x[0].sent) == ([], [])
    record = responder.stores.records.read("1")  # the DM's fate, read back from the table
    assert record is not None and (record.outcome, record.rule) == (Outcome.UNANSWERED, Rule.TOO_OLD)


def test_no_read_receipt_or_typing_when_no_answer_will_follow(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    responder = make_responder(ScriptedBot([Reply("hi")]), mark_read=True, typing_indicator=True)
    responder.stores.ledger.daily_limit = 1
    responder.handle(queued("1"))
    responder.handle(queued("2"))  # at the limit
    responder.handle(queued("3", "STOP"))  # opted out: the confirmation still goes if there is room
    responder.handle(queued("4"))  # opted out
    assert [path for path, _ in fake_x[0].calls] == [MARK_READ_PATH, TYPING_PATH, SEND_PATH]


def test_the_courtesy_calls_go_beside_the_bot_and_reach_x_before_the_answer(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    fake_x[0].fail_next(503, path=TYPING_PATH, delay=0.3)  # a slow typing indicator, which fails
    bot = ScriptedBot([Reply("hi")])
    responder = make_responder(bot, mark_read=True, typing_indicator=True)
    assert responder.handle(queued("1")).outcome is Outcome.ANSWERED
    assert [path for path, _ in fake_x[0].calls] == [MARK_READ_PATH, TYPING_PATH, SEND_PATH]
    assert [dm.text for dm in fake_x[0].sent] == ["hi"]


def test_a_slow_typing_indicator_reaches_x_before_the_apology(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    bot = UnavailableBot(retryable=True)
    responder = make_responder(bot, bot_attempts=99, bot_apology="Sorry!", mark_read=True, typing_indicator=True)
    for _ in range(4):
        assert responder.handle(queued("1")).outcome is Outcome.RETRY_LATER
    fake_x[0].calls.clear()
    fake_x[0].fail_next(200, path=TYPING_PATH, delay=0.3)  # the last attempt's typing indicator is slow
    assert responder.handle(queued("1")).outcome is Outcome.FAILED
    assert [path for path, _ in fake_x[0].calls] == [MARK_READ_PATH, TYPING_PATH, SEND_PATH]
    assert [dm.text for dm in fake_x[0].sent] == ["Sorry!"]


def test_after_five_failed_attempts_the_dm_has_failed_with_its_reason_and_the_user_gets_the_apology(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    responder = make_responder(UnavailableBot(retryable=True), bot_attempts=99, bot_apology="Sorry!")
    waits = []
    for _ in range(4):
        fate = responder.handle(queued("1"))
        assert fate.outcome is Outcome.RETRY_LATER
        waits.append(round(fate.until - time.time()))
    assert waits == [30, 120, 600, 3_600]  # backed off: an hour of the bot down fails nothing
    fate = responder.handle(queued("1"))
    assert fate.outcome is Outcome.FAILED
    assert str(fate) == "5 attempts failed, the last: the bot could not answer: down"
    assert [dm.text for dm in fake_x[0].sent] == ["Sorry!"]  # once, now that no answer is coming
    record = responder.stores.records.read("1")
    assert record is not None and record.outcome is Outcome.FAILED and record.last_error == str(fate)


def test_a_poison_dm_fails_alone_with_its_reason_and_the_conversation_goes_on(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    @dataclass
    class PoisonedBot:
        """A bot that breaks (not with a BotError) on one text."""

        def answer(self, turn: Turn) -> list[Reply]:
            if turn.text == "poison":
                raise ZeroDivisionError("nobody saw this coming")
            return [Reply("fine")]

    responder = make_responder(PoisonedBot(), bot_apology="Sorry!")
    fates = [responder.handle(queued("1", "poison")) for _ in range(5)]
    assert [fate.outcome for fate in fates] == [Outcome.RETRY_LATER] * 4 + [Outcome.FAILED]
    assert fates[0].detail.startswith("unforeseen ZeroDivisionError at ")  # where, never what the user wrote
    assert responder.handle(queued("2", "hello")).outcome is Outcome.ANSWERED
    assert [dm.text for dm in fake_x[0].sent] == ["Sorry!", "fine"]


def test_a_number_maps_to_the_menu_last_offered_and_only_once(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    bot = ScriptedBot([Reply("Pick", (Button("Red", "color:red"), Button("Blue", "color:blue")))])
    responder = make_responder(bot, x_dm_api="v2")
    responder.handle(queued("1", "colors?"))
    responder.handle(queued("2", "2"))
    assert bot.turns[1].button_payload == "color:blue"
    bot.replies = [Reply("Noted.")]
    responder.handle(queued("3", "1"))
    assert bot.turns[2].button_payload == "color:red"
    responder.handle(queued("4", "1"))  # that answer offered no menu: the old one is gone
    assert bot.turns[3].button_payload is None
    responder.handle(queued("5", "\u00b2"))  # a superscript two: ignored, never a crash
    assert bot.turns[4].button_payload is None


def test_taps_on_the_bots_own_buttons_never_mute_the_user_typing_that_fast_does(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    bot = ScriptedBot([Reply("Pick", (Button("Red", "color:red"), Button("Blue", "color:blue")))])
    responder = make_responder(bot, loop_max_per_minute=3)
    taps = [responder.handle(queued(f"t{n}", "Red", metadata="color:red")) for n in range(12)]  # within a minute
    assert {fate.outcome for fate in taps} == {Outcome.ANSWERED}
    v2 = make_responder(bot, x_dm_api="v2", loop_max_per_minute=3)
    v2.handle(queued("n0", "colors?"))
    numbers = [v2.handle(queued(f"n{n}", str(1 + n % 2))) for n in range(1, 12)]  # typed answers to the menu
    assert {fate.outcome for fate in numbers} == {Outcome.ANSWERED}
    typed = [responder.handle(queued(f"w{n}", f"words {n}")) for n in range(5)]
    assert [fate.rule for fate in typed][-2:] == [Rule.MUTED, Rule.MUTED]  # the notice, then quiet
    assert fake_x[0].sent[-1].text == responder.settings.loop_notice


@dataclass
class DownFor:
    """A bot whose back end fails on one question, and answers the others."""

    text: str

    def answer(self, turn: Turn) -> list[Reply]:
        if turn.text == self.text:
            raise BotError("down", retryable=True)
        return [Reply("ok")]


def test_a_dm_that_fails_before_any_decision_still_counts_for_the_loop_breaker(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    responder = make_responder(DownFor("third"), loop_max_per_minute=3, bot_attempts=99, bot_apology="Sorry!")
    for text in ("first", "second"):
        assert responder.handle(queued(text, text)).outcome is Outcome.ANSWERED
    third = queued("third", "third")
    fates = [responder.handle(third) for _ in range(5)]  # back from the queue until it has failed
    assert fates[-1].outcome is Outcome.FAILED and fake_x[0].sent[-1].text == "Sorry!"
    # Four DMs written within a minute, over the 3 allowed: the fourth is muted, as if the bot had answered.
    assert responder.handle(queued("fourth", "fourth")).rule is Rule.MUTED


def test_a_dm_replayed_many_times_after_its_answer_sends_nothing_and_is_never_dead_lettered(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    bot = ScriptedBot([Reply("hi")])
    responder = make_responder(bot)
    dm = queued("1")
    for _ in range(8):  # the answer, then replays and redrives beyond SQS's 5-minute deduplication
        responder.handle(dm)
    assert [sent.text for sent in fake_x[0].sent] == ["hi"]
    assert len(bot.turns) == 1


def test_a_stop_seen_too_late_to_answer_is_still_kept(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    bot = ScriptedBot([Reply("hi")])
    responder = make_responder(bot)
    responder.clock = lambda: time.time() + 25 * 3600  # a redrive a day later
    responder.handle(queued("1", "STOP"))
    assert fake_x[0].sent == []  # X allows no reply any more
    responder.clock = time.time
    responder.handle(queued("2", "hello"))
    assert (bot.turns, fake_x[0].sent) == ([], [])  # but the user opted out


@dataclass
class Recorder:
    """A bot that remembers nothing itself, and records what it was given."""

    turns: list[Turn] = field(default_factory=list)

    def answer(self, turn: Turn) -> list[Reply]:
        self.turns.append(turn)
        return [Reply(f"answer {len(self.turns)}")]


def test_the_responder_gives_the_bot_its_history_and_stop_or_start_over_forget_it(
    make_responder: Callable[..., Responder], stack: LocalStack
) -> None:
    bot = Recorder()
    responder = make_responder(bot)
    responder.memory = ConversationMemory(boto3.client("dynamodb"), stack.refs["StateTable"], BOT_USER["id"])
    responder.handle(queued("1", "hello"))
    responder.handle(queued("2", "and then?"))
    assert bot.turns[1].history == (("user", "hello"), ("assistant", "answer 1"))
    responder.handle(queued("3", "start over"))
    responder.handle(queued("4", "hi again"))
    assert bot.turns[-1].history == ()
    responder.handle(queued("5", "STOP"))
    assert responder.memory.recall(USER["id"]) == ()


def test_a_user_who_asks_for_a_person_gets_one_and_the_bot_stays_quiet(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    bot = ScriptedBot([Reply("bot answer")])
    notices: list[str] = []
    responder = make_responder(bot, human_handover_text="A person will answer.")
    responder.notify = notices.append
    responder.handle(queued("1", "Agent!"))
    responder.handle(queued("2", "are you there?"))
    responder.handle(queued("2b", "human"))  # asked again while a person has it: left to them, no second notice
    assert [dm.text for dm in fake_x[0].sent] == ["A person will answer."]
    assert bot.turns == []
    (notice,) = notices
    low, high = sorted((USER["id"], BOT_USER["id"]), key=int)
    assert f"https://x.com/messages/{low}-{high}" in notice
    assert f"@{USER['screen_name']}" in notice and "are you there" not in notice
    assert responder.stores.conversations.give_back_to_bot(USER["id"])
    assert not responder.stores.conversations.give_back_to_bot(USER["id"])
    responder.handle(queued("3", "hello again"))
    assert fake_x[0].sent[-1].text == "bot answer"


def test_a_takeover_ends_by_itself(make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]) -> None:
    responder = make_responder(ScriptedBot([Reply("bot answer")]), human_takeover_minutes=1)
    responder.handle(queued("1", "human"))
    later = time.time() + 61
    responder.clock = responder.stores.conversations.clock = lambda: later
    responder.handle(queued("2", "anyone?"))
    assert [dm.text for dm in fake_x[0].sent][-1] == "bot answer"


def echo(event_id: str, text: str) -> QueuedDM:
    """The account's own message to the sample user, as X delivers it back."""
    (dm,) = dms_to_answer(dm_delivery([dm_event(event_id, BOT_USER["id"], USER["id"], text)], [USER, BOT_USER]))
    return dm


def test_a_person_answering_from_the_account_takes_the_conversation(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    bot = ScriptedBot([Reply("See https://example.com/help for more.")])
    responder = make_responder(bot)
    responder.handle(queued("1", "help?"))
    responder.observe_own(echo("e1", "See https://t.co/abc123 for more."))  # the channel's own, link shortened
    responder.handle(queued("2", "thanks"))
    assert len(fake_x[0].sent) == 2
    responder.observe_own(echo("e2", "Hi, Sam from support here."))  # a person, by hand
    responder.handle(queued("3", "great, Sam"))
    assert len(fake_x[0].sent) == 2 and len(bot.turns) == 2
    assert looked(responder.stores.conversations, USER["id"]).with_person(USER["id"])


def test_an_echo_before_the_send_is_recorded_is_the_channels_own(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    fake = fake_x[0]
    responder = make_responder(ScriptedBot([Reply("one")]), read_timeout=0.2)
    fake.fail_next(200, delay=0.5)  # X takes the DM, but its answer (and so the record) never comes
    assert responder.handle(queued("1")).outcome is Outcome.RETRY_LATER
    responder.observe_own(echo("e1", "one"))
    assert not looked(responder.stores.conversations, USER["id"]).with_person(USER["id"])


def test_stop_at_the_daily_limit_is_still_confirmed_from_the_reserve(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    responder = make_responder(ScriptedBot([Reply("answer")]), daily_limit=4, reserved_for_opt_outs=1, stop_reply="Bye")
    fates = [responder.handle(queued(str(n))) for n in range(4)]
    assert [fate.outcome for fate in fates] == [Outcome.ANSWERED] * 3 + [Outcome.UNANSWERED]
    assert fates[-1].rule is Rule.DAILY_LIMIT  # answers stop one short of the limit...
    assert responder.handle(queued("5", "STOP")).outcome is Outcome.ANSWERED  # ...so that STOP is confirmed
    assert [dm.text for dm in fake_x[0].sent] == ["answer"] * 3 + ["Bye"]
    assert responder.stores.ledger.used_in_24_hours() == 4


def test_the_newest_opt_choice_wins_whatever_order_they_come_in(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    responder = make_responder(ScriptedBot([Reply("answer")]), stop_reply="Bye", start_reply="Welcome back")
    now = time.time()
    responder.handle(queued("1", "STOP")._replace(created_at_ms=int(now * 1000)))
    late_start = queued("2", "START")._replace(created_at_ms=int((now - 60) * 1000))  # older, replayed late
    assert responder.handle(late_start) == Fate(Outcome.UNANSWERED, Rule.SUPERSEDED)  # no "Welcome back" either
    assert looked(responder.stores.conversations, USER["id"]).is_opted_out(USER["id"])
    assert responder.handle(queued("3", "hello")) == Fate(Outcome.UNANSWERED, Rule.OPTED_OUT)
    assert [dm.text for dm in fake_x[0].sent] == ["Bye"]


def test_a_long_message_with_five_long_replies_fits_the_table_and_is_answered_whole(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    bot = ScriptedBot([Reply(str(n) + "😀" * 9_999) for n in range(5)])
    make_responder(bot).handle(queued("1", "🙂" * 10_000))
    assert [len(dm.text) for dm in fake_x[0].sent] == [10_000] * 5


def test_the_bot_is_not_asked_when_reading_the_dm_left_too_little_time_and_no_attempt_is_spent(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    bot = ScriptedBot([Reply("hi")])
    responder = make_responder(bot, bot_timeout=5.0)
    left = iter([20.0])  # enough to start; then reading the DM (XChat's decryption, say) took 10 s
    responder.remaining_seconds = lambda: next(left, 10.0)
    fate = responder.handle(queued("1"))
    assert fate.outcome is Outcome.NOT_STARTED and bot.turns == []
    record = responder.stores.records.read("1")
    assert record is not None and record.attempts == 0  # given back: it comes back at once, with time
    responder.remaining_seconds = lambda: 60.0
    assert responder.handle(queued("1")).outcome is Outcome.ANSWERED


def test_more_buttons_than_an_item_holds_are_kept_as_many_as_fit_and_the_answer_goes(
    make_responder: Callable[..., Responder], fake_x: tuple[FakeX, str]
) -> None:
    bot = ScriptedBot([Reply("Pick one", tuple(Button(f"option {n}", f"p{n}-" + "x" * 900) for n in range(500)))])
    assert make_responder(bot).handle(queued("1")).outcome is Outcome.ANSWERED
    assert len(fake_x[0].sent) == 1 and len(bot.turns) == 1
