"""Answers one queued DM: decides its answer plan once, then sends the plan's replies, each through its slot.

Deciding: STOP and START are kept first, always; then the rules (``rules``), so that a DM
left unanswered gets no read receipt or typing indicator; then the bot, and the composer.
The plan is stored before anything is sent, and every later attempt continues it without
asking the bot again. Every attempt ends in a ``lifecycle.Fate``, written on the DM's record.

Its reads and writes, in order: the DM's record (one update that counts the attempt); STOP or
START kept (one update, those DMs only); one read of all else the decision needs (the
conversation, the account's hours of the 24-hour limit, X's send window, the app's credits hold,
the menu last offered); then the plan, with what goes with it (the DM's count for the loop
breaker, the menus to keep, the note of the reply for its echo), in the transaction that
reserves the first reply; each reply claimed, sent, recorded; the record's end.
"""

import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from dmchannel.bots.base import Bot, BotError, Button, Reply, Turn
from dmchannel.observability import Metric, count, count_by, logger
from dmchannel.queued_dm import QueuedDM, Surface
from dmchannel.responder.composer import MORE_OPTIONS_PREFIX, compose
from dmchannel.responder.lifecycle import (
    Checkpoint,
    Ended,
    Fate,
    Outcome,
    Rule,
    after_failure,
    hold,
    retry_later,
    unanswered,
)
from dmchannel.responder.numbered_choices import chosen_payload, render_choices
from dmchannel.responder.rules import Answer, Conversation, Leave, decide, keyword_of
from dmchannel.responder.settings import ResponderSettings
from dmchannel.storage.conversation import Conversations, Seen
from dmchannel.storage.credits import CreditsHold
from dmchannel.storage.dm_records import DmRecord, DmRecords, Planned
from dmchannel.storage.kept_menus import KeptMenus, more_key, offered_key
from dmchannel.storage.ledger import Hours, Ledger, Slot
from dmchannel.storage.own_sends import OwnSends
from dmchannel.storage.send_window import SendWindow
from dmchannel.storage.table import Item, Write, read_items, write_together
from dmchannel.x.errors import ErrorKind, XApiError
from dmchannel.x.limits import REPLY_WINDOW_SECONDS
from dmchannel.x.message import OutboundMessage
from dmchannel.x.sent import Sent
from dmchannel.x.surface_client import Plan, SendFailed, SurfaceClient
from dmchannel.x.transport import CONNECT_TIMEOUT

if TYPE_CHECKING:  # what only some accounts have: imported by the wiring that makes them
    from dmchannel.storage.memory import ConversationMemory
    from dmchannel.storage.token_budget import TokenBudget
    from dmchannel.storage.x_spend import XSpend

BACKOFF_SECONDS = (0.5, 2.0)  # waits between the tries of a send that failed transiently, within one attempt
SAFETY_MARGIN_SECONDS = 1.0
APOLOGY_INDEX = 9  # the reply slot of the apology for a DM that failed (a plan has at most 5 replies)
CREDITS_SPENT = "X's credits are spent (HTTP 402) or its usage cap is reached: sends wait for the next probe"
TOKEN_WAIT_SECONDS = 300  # a DM whose XChat token X refused waits this long before it tries again
LOG_KEYS = ["dm_id", "sender_id", "attempt", "reply_index"]


WARNED = frozenset(
    {Rule.TOO_OLD, Rule.DAILY_LIMIT, Rule.X_REFUSED, Rule.UNREADABLE, Rule.ACCOUNT_NOT_SERVED, Rule.SEND_FAILED}
)
OUTCOME_METRICS = {Outcome.HELD: Metric.DIRECT_MESSAGES_HELD, Outcome.NOT_STARTED: Metric.DIRECT_MESSAGES_DEFERRED}
HEADLINES = {
    Outcome.ANSWERED: "DM answered",
    Outcome.UNANSWERED: "DM unanswered",
    Outcome.HELD: "DM held: X takes no sends until then",
    Outcome.RETRY_LATER: "Attempt failed: the DM comes back later",
    Outcome.NOT_STARTED: "DM not started: too little of the invocation was left",
}


def announce(fate: Fate, **fields: Any) -> None:
    """Log and count a fate decided now, in one line with its outcome and rule (a replay's is not announced)."""
    if fate.rule:
        count(fate.rule.metric, fate.dropped if fate.rule.metric is Metric.REPLIES_DROPPED else 1)
    if fate.outcome in OUTCOME_METRICS:
        count(OUTCOME_METRICS[fate.outcome])
    headline = HEADLINES.get(fate.outcome)
    if headline is None:  # dead-lettered (the queue says so) or observed (the responder does)
        return
    said: dict[str, Any] = {"outcome": fate.outcome.value} | ({"rule": fate.rule.value} if fate.rule else {})
    said |= {"detail": fate.detail} if fate.detail else {}
    warn = fate.rule in WARNED or fate.outcome in (Outcome.HELD, Outcome.RETRY_LATER)
    line = f"{headline}: {fate.rule.reason}" if fate.rule else headline
    (logger.warning if warn else logger.info)(line, **said, **fields)


def unforeseen(error: Exception) -> Fate:
    """An error no one foresaw, as a failed attempt: logged where it happened (never the DM's text), and counted."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if "dmchannel" in Path(frame.filename).parts] or frames
    where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "unknown"  # the channel's own line
    logger.error("Unforeseen error: the attempt failed", error=type(error).__name__, where=where)
    count(Metric.UNFORESEEN_ERRORS)
    return Fate(Outcome.RETRY_LATER, detail=f"unforeseen {type(error).__name__} at {where}")


def turn_of(dm: QueuedDM) -> Turn:
    """What the bot sees of a queued DM: its text with the links X wrapped in t.co expanded, and all it carries."""
    return Turn(
        sender_id=dm.sender_id,
        text=dm.text_with_links or dm.text,
        account_id=dm.account_id,
        sender_name=dm.sender_name,
        sender_screen_name=dm.sender_screen_name,
        button_payload=dm.button_payload,
        attachment_type=dm.attachment_type,
        attachment_url=dm.attachment_url,
        latitude=dm.latitude,
        longitude=dm.longitude,
        place_name=dm.place_name,
    )


def no_checkpoint(_checkpoint: Checkpoint, _dm_id: str) -> None:
    """Deployed, a checkpoint is just a moment; the drills crash there."""


@dataclass(frozen=True)
class Stores:
    """What one account keeps in the table (built once per account and container: the ledger's cache lasts)."""

    ledger: Ledger
    records: DmRecords
    window: SendWindow
    conversations: Conversations
    own_sends: OwnSends
    credits: CreditsHold  # the app's, shared by every account's stores
    spend: "XSpend | None" = None  # the account's X bill, where it has a limit


@dataclass(frozen=True)
class Glance:
    """What a DM read besides its record and its conversation, in one request; the items by key."""

    items: dict[str, Item]
    hours: Hours
    menu: list[Button]  # the menu last offered to the user as a numbered list (where buttons are numbered)


@dataclass
class Responder:
    """Answers the DMs of one bot account."""

    bot: Bot
    x: SurfaceClient  # the surface the DM came through (legacy DMs or XChat)
    stores: Stores
    menus: KeptMenus  # sealed in an XChat conversation
    settings: ResponderSettings
    remaining_seconds: Callable[[], float]
    clock: Callable[[], float] = time.time
    memory: "ConversationMemory | None" = None  # for a bot that keeps no state of its own (the Bedrock assistant)
    budget: "TokenBudget | None" = None  # the Bedrock assistant's daily tokens
    notify: Callable[[str], None] | None = None  # tells the operator a user asked for a person
    checkpoint: Callable[[Checkpoint, str], None] = no_checkpoint
    _started: float = 0.0  # when the DM being handled was taken up (perf_counter)
    _courtesy_calls: threading.Thread | None = None  # the read receipt and typing indicator, on their way

    def _send_seconds(self) -> float:
        return CONNECT_TIMEOUT + self.x.read_timeout + SAFETY_MARGIN_SECONDS

    def handle(self, dm: QueuedDM, queued_at: float | None = None, chain: str = "") -> Fate:
        """Answer one queued DM; say how the attempt ended (never raises for the DM's sake).

        queued_at: when the webhook queued it, if X gave no creation time; chain: the queue
        message it came in (a redrive comes in another, and starts its attempts afresh).
        """
        logger.thread_safe_append_keys(dm_id=dm.dm_id, sender_id=dm.sender_id)
        self._started = time.perf_counter()
        try:
            return self._attempt(dm, dm.created_at_ms / 1000 if dm.created_at_ms else queued_at or self.clock(), chain)
        finally:
            self._courtesy_done()
            logger.thread_safe_remove_keys(LOG_KEYS)

    def observe_own(self, dm: QueuedDM) -> Fate:
        """The account's own message: one the channel did not send is a person's, who takes the conversation."""
        own = self.stores.own_sends
        ours = (
            own.sent_id_by_channel(dm.recipient_id, dm.dm_id)
            if dm.surface is Surface.XCHAT  # encrypted: known by its id, never its text
            else own.sent_by_channel(dm.recipient_id, dm.text)
        )
        if not ours:
            logger.info("A person answered from the account: the bot stays quiet in this conversation", dm_id=dm.dm_id)
            count(Metric.HUMAN_TAKEOVERS)
            self._step_back(dm.recipient_id)
        return Fate(Outcome.OBSERVED)

    def _step_back(self, user_id: str) -> None:
        """A person has the conversation: the bot stays quiet in it for HumanTakeoverMinutes."""
        self.stores.conversations.hand_to_person(user_id, self.settings.human_takeover_minutes * 60)

    def _ended(self, dm: QueuedDM, fate: Fate, *, counted: bool = True, **fields: Any) -> Fate:
        """Write the fate on the DM's record (where the attempt was counted, or it is final), and announce it."""
        if counted or fate.outcome.final:
            gave_back = counted and fate.outcome in (Outcome.HELD, Outcome.NOT_STARTED)  # no failure of its own
            self.stores.records.end(dm.dm_id, fate, attempts=-1 if gave_back else 0, surface=dm.surface.value)
        announce(fate, **fields)
        return fate

    def _attempt(self, dm: QueuedDM, created_at: float, chain: str) -> Fate:
        if self.remaining_seconds() < self.settings.bot_timeout + self._send_seconds():
            return self._ended(dm, Fate(Outcome.NOT_STARTED), counted=False)
        record = self.stores.records.start(dm.dm_id, chain, dm.surface.value)
        logger.thread_safe_append_keys(attempt=record.attempts)
        if record.outcome and record.outcome.closed:
            logger.info("DM already closed (a replay or a redrive): nothing more to do", outcome=record.outcome)
            return Fate(record.outcome, record.rule)
        if record.copy_of_dead_letter(chain, dm.surface.value):  # its dead letter, redriven, answers it
            logger.info("DM already on the dead-letter queue, delivered by another surface: this copy is let go")
            return Fate(Outcome.DUPLICATE)
        if record.attempts == 1 and record.outcome is None:  # its first attempt (a held one gave its attempt back)
            count(Metric.DIRECT_MESSAGES_RECEIVED)
            if self.stores.spend:
                self.stores.spend.note_received()
        fields: dict[str, Any] = {}
        try:
            fate, fields = self._answer(dm, record, created_at)
        except Ended as ended:
            fate = ended.fate
        except XApiError as error:  # what _send and XChat's reading let through: a refused token, no credits
            if error.kind is ErrorKind.OUT_OF_CREDITS:
                fate = self._out_of_credits(error)
            else:
                fate = self._token_refused() if error.kind is ErrorKind.UNAUTHORIZED else unforeseen(error)
        except Exception as error:  # an error no one foresaw is an outcome too: counted, backed off
            fate = unforeseen(error)
        if fate.outcome is Outcome.RETRY_LATER:
            fate = self._after_failure(dm, fate, record.attempts, created_at)
        return self._ended(dm, fate, **fields)

    def _answer(self, dm: QueuedDM, record: DmRecord, created_at: float) -> tuple[Fate, dict[str, Any]]:
        """Read the DM, keep its STOP or START, then plan its answer once and send it (Ended: it ends otherwise)."""
        too_old = self._too_old(created_at)
        try:
            dm = self.x.open(dm)  # XChat: decrypted here, in memory only
        except SendFailed as failure:
            return self._send_again(dm, record, failure, created_at)
        except (Ended, XApiError):
            if too_old:  # whatever keeps it from being read (a refused token, X failing), its time is up
                raise unanswered(Rule.TOO_OLD) from None
            raise
        planning = record.plan is None
        seen = self._opt_choice(dm, created_at)  # always, whatever else happens to the DM
        if too_old:
            raise unanswered(Rule.TOO_OLD)
        glance = self._glance(dm, seen, planning=planning)
        if planning and seen is None:  # read with the glance, and counted there
            tap = dm.button_payload is not None  # a quick reply of the bot's
            seen = self.stores.conversations.seen(dm.sender_id, glance.items, dm.dm_id, created_at, tap=tap)
        if seen and not seen.earlier_read:
            seen = self.stores.conversations.fold(seen, glance.items)
        if record.plan:
            self._wait_for_x(glance)
            return self._send_plan(dm, record.plan, created_at)
        assert seen is not None  # read when planning
        try:
            self._wait_for_x(glance)
            planned, along = self._plan(dm, created_at, record.attempts, seen, glance)
        except Exception:  # held, left unanswered, the bot failing: the DM was read for a decision, so it counts
            self._count_alone(seen)
            raise
        return self._send_plan(dm, planned, created_at, along)  # its count goes with the plan

    def _opt_choice(self, dm: QueuedDM, created_at: float) -> Seen | None:
        """STOP or START kept, by when the user wrote it, and the conversation as it is then (None: any other DM)."""
        keyword, settings, conversations = keyword_of(dm.text), self.settings, self.stores.conversations
        seen = None
        if keyword in settings.stop_keywords or keyword in settings.start_keywords:
            seen = conversations.keep_opt_choice(dm.sender_id, keyword in settings.stop_keywords, created_at)
        forgets = keyword in settings.stop_keywords | settings.start_over_keywords
        if self.memory and forgets and (seen is None or self._opt_choice_kept(dm, seen, created_at)):
            self.memory.forget(dm.sender_id)
        return seen

    def _count_alone(self, seen: Seen) -> None:
        """Write what would have gone with the plan (the DM's count for the loop breaker) when no plan is made."""
        writes = seen.writes()
        try:
            if writes:
                write_together(self.stores.ledger.dynamodb, writes)
        except (BotoCoreError, ClientError) as error:  # the attempt's own end matters more: the next one counts it
            logger.warning("The DM's count for the loop breaker was not written", error=str(error))

    def _opt_choice_kept(self, dm: QueuedDM, seen: Seen, created_at: float) -> bool:
        """False for a STOP or START older than the user's newest choice (a replay, a redrive)."""
        keyword = keyword_of(dm.text)
        if keyword not in self.settings.stop_keywords and keyword not in self.settings.start_keywords:
            return True
        return seen.opt_at_ms <= int(created_at * 1000)

    def _glance(self, dm: QueuedDM, seen: Seen | None, *, planning: bool) -> Glance:
        """One read of all else the decision needs: the conversation, the hours, X's send window, the credits hold, the menu."""
        stores = self.stores
        keys = [*stores.ledger.keys_to_read(), stores.window.key()]
        credits = stores.credits.key_to_read()
        keys += [credits] if credits else []
        menu_key = self.menus.key(offered_key(dm.sender_id))
        if planning and self.x.numbered_choices:
            keys.append(menu_key)
        if planning and seen is None:
            keys += stores.conversations.keys_to_read(dm.sender_id)
        elif seen and not seen.earlier_read:
            keys += stores.conversations.earlier_keys(dm.sender_id)
        items = read_items(stores.ledger.dynamodb, stores.ledger.table, keys)
        hours = stores.ledger.seen(items)
        return Glance(items, hours, self.menus.buttons_in(items.get(menu_key["pk"]["S"], {})))

    def _send_again(
        self, dm: QueuedDM, record: DmRecord, failure: SendFailed, created_at: float
    ) -> tuple[Fate, dict[str, Any]]:
        """X reported a reply of ours failed: the same bytes go again, once, after any hold X implies.

        The resend is this report's own plan: its slot, its limits and its retries are a DM's.
        """
        planned = record.plan or self._resend_plan(dm, failure)
        self._wait_for_x(self._glance(dm, None, planning=False))
        return self._send_plan(dm, planned, created_at)

    def _resend_plan(self, dm: QueuedDM, failure: SendFailed) -> Planned:
        """The failed reply, as stored when it was planned (Ended: unanswered when it cannot or must not go again)."""
        own = self.stores.own_sends.failed_send(dm.sender_id, failure.message_id, failure.at or self.clock())
        if own is None:
            raise unanswered(Rule.NOT_ANSWERABLE, f"X reported {failure.kind} about no recent message of ours")
        logger.warning("X reported a reply failed", kind=failure.kind, failed_dm_id=own.dm_id, reply_index=own.index)
        if failure.hold_seconds:  # our tier is throttled: every send of the account waits
            self.stores.window.observe(0, self.clock() + failure.hold_seconds)
        answered = self.stores.records.read(own.dm_id)
        plan = answered.plan if answered else None
        if plan is None or own.index >= len(plan.messages):
            why = "its plan is gone"
        elif plan.rule is Rule.RESENT:
            why = "it was sent again once already"
        elif not failure.resendable:
            why = f"{failure.kind} needs more than the same bytes sent again"
        else:
            return self.stores.records.save_plan(dm.dm_id, Planned((plan.messages[own.index],), Rule.RESENT))
        raise unanswered(Rule.SEND_FAILED, f"reply {own.index + 1} of DM {own.dm_id} failed at X: {why}")

    def _wait_for_x(self, glance: Glance) -> None:
        """Ended (HELD) while X takes no sends: the account's send window is spent, or the app's credits."""
        held_until = self.stores.window.held_until(glance.items)
        if held_until:
            raise hold(held_until)
        self._held_for_credits(self.stores.credits.wait_until(glance.items))

    def _held_for_credits(self, credits_back: float) -> None:
        """Ended (HELD) while the app's credits are spent (credits_back: when the next probe may go)."""
        if credits_back:
            count(Metric.X_CREDITS_EXHAUSTED)  # every DM held counts: the alarm stays on while any waits
            raise Ended(Fate(Outcome.HELD, detail=CREDITS_SPENT, until=credits_back))

    def _out_of_credits(self, error: XApiError) -> Fate:
        """X refused for want of credits: every send of the app waits for the next probe, costing no attempt."""
        logger.error("X's credits are spent (or its usage cap is reached): every DM waits", status=error.status)
        count(Metric.X_CREDITS_EXHAUSTED)
        return Fate(Outcome.HELD, detail=CREDITS_SPENT, until=self.stores.credits.spent())

    def _token_refused(self) -> Fate:
        """X refused the account's XChat token (revoked, or mid-rotation): the DM is held, costing no attempt."""
        logger.error("X refused the account's XChat token: its DMs wait for a valid one (x-dm-channel xchat login)")
        count(Metric.XCHAT_TOKEN_REFUSED)
        until = self.clock() + TOKEN_WAIT_SECONDS
        return Fate(Outcome.HELD, detail="X refused the account's XChat token", until=until)

    def _after_failure(self, dm: QueuedDM, fate: Fate, attempts: int, created_at: float) -> Fate:
        """A failed attempt: back later, backed off; after the last, FAILED (the apology, if X allows)."""
        if self._too_old(created_at):
            return Fate(Outcome.UNANSWERED, Rule.TOO_OLD)  # X allows no answer any more: no dead letter for it
        fate = after_failure(fate, attempts, self.clock())
        if fate.outcome is Outcome.FAILED:
            self._apologise(dm)
        return fate

    def _too_old(self, created_at: float) -> bool:
        """Whether X's 24 hours to answer the DM are over."""
        return self.clock() - created_at > REPLY_WINDOW_SECONDS

    def _apologise(self, dm: QueuedDM) -> None:
        """Tell the user, once, that no answer is coming: where nothing of the answer went, and X takes it."""
        self._courtesy_done()  # the typing indicator reaches X before the apology
        ledger = self.stores.ledger
        try:
            if ledger.used_for(dm.dm_id) or ledger.reserve(dm.dm_id, APOLOGY_INDEX) is not Slot.RESERVED:
                return
            (apology,) = self.x.encrypt((OutboundMessage(self.settings.bot_apology),))
            if ledger.claim(dm.dm_id, APOLOGY_INDEX):
                sent = self.x.send_dm(dm.sender_id, apology)
                ledger.record_sent(dm.dm_id, APOLOGY_INDEX, sent.event_id)
                count(Metric.REPLIES_SENT)
        except Exception as error:
            logger.warning("The apology was not sent", error=type(error).__name__)

    def _plan(
        self, dm: QueuedDM, created_at: float, attempt: int, seen: Seen, glance: Glance
    ) -> tuple[Planned, tuple[Write, ...]]:
        """Decide the answer (or Ended: unanswered by a rule); the plan, and the writes that go with it."""
        menu_choice = None
        if self.x.numbered_choices and dm.button_payload is None and glance.menu:
            menu_choice = chosen_payload(dm.text, glance.menu)
            if menu_choice is not None:  # an answer to the bot's own menu: no DM of the loop breaker's
                seen = seen.as_tap()
        answer = self._decide(dm, (created_at, attempt), seen, glance, menu_choice)
        messages, writes = self._compose(dm, list(answer.replies), glance)
        plan = self.x.encrypt(messages)
        self.checkpoint(Checkpoint.BEFORE_PLAN, dm.dm_id)
        planned = Planned(plan, answer.rule, answer.uses_reserve)
        return planned, (self.stores.records.plan_write(dm.dm_id, planned), *writes, *seen.writes())

    def _decide(
        self, dm: QueuedDM, written: tuple[float, int], seen: Seen, glance: Glance, menu_choice: str | None
    ) -> Answer:
        """The rules' answer, else the bot's; Ended when a rule leaves the DM unanswered.

        written: when the DM was written, and this attempt's number.
        """
        created_at, attempt = written
        conversation = Conversation(
            dm,
            created_at,
            self.settings,
            self.memory is not None,
            seen,
            seen,
            seen,
            glance.hours,
            self._opt_choice_kept(dm, seen, created_at),
            self.stores.spend,
        )
        decision = decide(conversation)
        if decision is None:
            return self._replies(dm, attempt, menu_choice)
        if isinstance(decision, Leave):
            raise unanswered(decision.rule)
        if decision.metric:
            count(decision.metric)
        if decision.note:
            logger.info(decision.note)
        if decision.hand_over:
            self._step_back(dm.sender_id)
            if self.notify:
                self.notify(handover_notice(dm))
        return decision

    def _replies(self, dm: QueuedDM, attempt: int, menu_choice: str | None) -> Answer:
        """The bot's replies (or the buttons behind "More options"); an answer will follow, so courtesy first."""
        turn = turn_of(dm)
        if turn.button_payload and turn.button_payload.startswith(MORE_OPTIONS_PREFIX):
            buttons = self.menus.buttons(more_key(turn.button_payload.removeprefix(MORE_OPTIONS_PREFIX)))
            return Answer((Reply(self.settings.more_options_text, tuple(buttons)),) if buttons else ())
        if menu_choice is not None:
            turn = replace(turn, button_payload=menu_choice)
        if self.x.courtesy:
            self._courtesy(dm)
        if self.budget and self.budget.exhausted():
            return Answer((Reply(self.settings.bot_apology),), Rule.TOKEN_BUDGET)
        if self.remaining_seconds() < self.settings.bot_timeout + self._send_seconds():  # reading took its time
            raise Ended(Fate(Outcome.NOT_STARTED, detail="too little time left to ask the bot and send"))
        if self.memory is None:
            return Answer(tuple(self._ask_bot(turn, attempt)))
        from dmchannel.bots.bedrock import user_text  # noqa: PLC0415 - the memory is the Bedrock assistant's

        history = self.memory.recall(dm.sender_id)
        replies = self._ask_bot(replace(turn, history=history), attempt)
        self.memory.remember(dm.sender_id, history, user_text(turn), "\n\n".join(reply.text for reply in replies))
        return Answer(tuple(replies))

    def _compose(self, dm: QueuedDM, replies: list[Reply], glance: Glance) -> tuple[Plan, list[Write]]:
        """The replies fitted into X's rules; and the writes of the buttons kept for later, to go with the plan."""
        writes: list[Write] = []
        if self.x.numbered_choices:
            replies, offered = render_choices(replies, keep_buttons=self.x.quick_replies)
            # The menu a number answers is the last one offered: a new answer replaces it, or ends it.
            if offered:
                writes.append(self.menus.save(offered_key(dm.sender_id), offered)[0])
            elif glance.menu:
                writes.append(self.menus.forget(offered_key(dm.sender_id)))
        composition = compose(replies, self.settings.replies_per_message, more_key=dm.dm_id)
        if composition.dropped_messages or composition.dropped_buttons:
            logger.warning(
                "Replies did not fit X's limits",
                dropped_messages=composition.dropped_messages,
                dropped_buttons=composition.dropped_buttons,
            )
            count(Metric.REPLIES_DROPPED, composition.dropped_messages)
        if composition.more_buttons:
            more, kept = self.menus.save(more_key(dm.dm_id), composition.more_buttons)
            writes.append(more)
            if kept < len(composition.more_buttons):
                logger.warning(
                    "Buttons behind More options did not fit", dropped_buttons=len(composition.more_buttons) - kept
                )
        return tuple(composition.messages), writes

    def _ask_bot(self, turn: Turn, attempt: int) -> list[Reply]:
        """The bot's replies; when it cannot answer, retry through the queue, then apologise."""
        started = time.perf_counter()
        try:
            with self._typing_while_thinking(turn.sender_id):
                replies = self.bot.answer(turn)
        except BotError as error:
            count(Metric.BOT_ERRORS)
            retry = error.retryable and attempt < self.settings.bot_attempts
            logger.warning("The bot could not answer", error=str(error), retry=retry)
            if retry:
                raise retry_later(f"the bot could not answer: {error}") from error
            return [Reply(self.settings.bot_apology)]
        finally:
            count(Metric.BOT_LATENCY, (time.perf_counter() - started) * 1000, MetricUnit.Milliseconds)
        return replies

    def _courtesy(self, dm: QueuedDM) -> None:
        """Mark the DM read and show the typing indicator while the answer is made; a failure never blocks it."""
        calls: list[Callable[[], None]] = []
        if self.settings.mark_read:
            calls.append(lambda: self.x.mark_read(dm.sender_id, dm.dm_id))
        if self.settings.typing_indicator:
            calls.append(lambda: self.x.indicate_typing(dm.sender_id))

        def make() -> None:
            for call in calls:
                try:
                    call()
                except XApiError as error:
                    logger.info("Read receipt or typing indicator failed", dm_id=dm.dm_id, error=str(error))
                except Exception as error:  # a courtesy: the answer goes on whatever it met
                    logger.warning(
                        "Read receipt or typing indicator failed", dm_id=dm.dm_id, error=type(error).__name__
                    )

        self._courtesy_calls = threading.Thread(target=make, daemon=True)
        self._courtesy_calls.start()

    def _courtesy_done(self) -> None:
        """Wait for the read receipt and the typing indicator: they reach X before the answer, and end with the DM."""
        if self._courtesy_calls is not None:
            self._courtesy_calls.join()
            self._courtesy_calls = None

    @contextmanager
    def _typing_while_thinking(self, user_id: str) -> Iterator[None]:
        """Show the typing indicator again every few seconds while the bot thinks (where it expires that fast)."""
        every = self.x.typing_every
        if not (every and self.x.courtesy and self.settings.typing_indicator):
            yield
            return
        done = threading.Event()

        def beat() -> None:
            while not done.wait(every):
                try:
                    self.x.indicate_typing(user_id)
                except XApiError:
                    return

        beating = threading.Thread(target=beat, daemon=True)
        beating.start()
        try:
            yield
        finally:
            done.set()
            beating.join(timeout=1)

    def _send_plan(
        self, dm: QueuedDM, planned: Planned, created_at: float, along: tuple[Write, ...] = ()
    ) -> tuple[Fate, dict[str, Any]]:
        """Send the plan's replies in order, each through its slot (those X already has are skipped); its fate.

        along: the plan's own writes when it is not stored yet: they go with the first reservation, or,
        when none is made (no reply, or the plan cut before its first), alone, before the attempt ends.
        """
        plan = planned.messages
        sent = delivered = 0  # replies sent now; replies X has (sent now, or by an earlier attempt)
        cut: Rule | None = None
        try:
            for index, message in enumerate(plan):
                logger.thread_safe_append_keys(reply_index=index)
                self._courtesy_done()  # before the time left is read: the courtesy calls may have taken some
                if self.remaining_seconds() < self._send_seconds():
                    raise Ended(Fate(Outcome.NOT_STARTED, detail="too little time left to send the next reply"))
                if self._too_old(created_at):
                    cut = Rule.TOO_OLD
                    break
                self._held_for_credits(self.stores.credits.take_probe())  # a due probe is taken here, before X
                notes = self.stores.own_sends.notes(dm.sender_id, message, dm.dm_id, index)  # before X: its echo
                slot = self.stores.ledger.reserve(
                    dm.dm_id, index, from_reserve=planned.uses_reserve, along=(*along, *notes)
                )
                if slot is Slot.ALONG_REFUSED:  # an attempt running at the same time stored its plan first
                    along = ()
                    return self._send_plan(dm, self.stores.records.stored_plan(dm.dm_id) or planned, created_at)
                if slot is Slot.RESERVED:
                    along = ()
                cut = {Slot.DAILY_LIMIT: Rule.DAILY_LIMIT, Slot.MESSAGE_LIMIT: Rule.MESSAGE_LIMIT}.get(slot)
                if cut:
                    break
                self.checkpoint(Checkpoint.RESERVED, dm.dm_id)
                if not self.stores.ledger.claim(dm.dm_id, index):
                    delivered += 1  # an earlier (or concurrent) attempt sent it, or called X for it: never twice
                    continue
                if not self._send(dm, index, message):
                    cut = Rule.X_REFUSED
                    break
                if index == 0 and planned.rule is not Rule.RESENT:
                    count(Metric.ANSWER_LATENCY, (self.clock() - created_at) * 1000, MetricUnit.Milliseconds)
                sent += 1
                delivered += 1
        finally:
            if along:  # no reservation took the plan's writes: they are made alone (the plan is kept all the same)
                write_together(self.stores.ledger.dynamodb, list(along))
        logger.thread_safe_remove_keys(["reply_index"])
        outcome = Outcome.ANSWERED if delivered or not plan else Outcome.UNANSWERED
        fate = Fate(outcome, cut or planned.rule, dropped=len(plan) - delivered if cut else 0)
        elapsed_ms = int((time.perf_counter() - self._started) * 1000)
        return fate, {"replies_sent": sent, "replies_planned": len(plan), "elapsed_ms": elapsed_ms}

    def _send(self, dm: QueuedDM, index: int, message: OutboundMessage) -> bool:
        """Send one claimed reply; False when X refused it (no more replies then), Ended when the DM must wait."""
        ledger = self.stores.ledger
        try:
            sent = self._send_with_backoff(dm.sender_id, message)
        except XApiError as error:
            count_by(Metric.X_API_ERRORS, "code", _error_code(error))
            status, codes = error.status, list(error.codes)
            if error.kind is ErrorKind.AMBIGUOUS:
                # X may have the DM: keep the slot and the record, so that it is never sent twice.
                logger.error("X did not answer; the reply is not sent again", status=status, codes=codes)
                raise retry_later(str(error)) from error
            ledger.release(dm.dm_id, index)
            if error.kind in (ErrorKind.UNAUTHORIZED, ErrorKind.OUT_OF_CREDITS):
                raise
            if error.kind is ErrorKind.RATE_LIMITED:
                self.stores.window.observe(0, error.retry_at)
                raise hold(error.retry_at) from error
            if error.kind is ErrorKind.PERMANENT:
                logger.error("X refused the reply", status=status, codes=codes)
                return False
            raise retry_later(str(error)) from error
        self.checkpoint(Checkpoint.SENT, dm.dm_id)  # a crash here leaves the reply "sending": never sent again
        ledger.record_sent(dm.dm_id, index, sent.event_id)
        if self.stores.credits.accepted():
            logger.info("X takes sends again: the credits hold is over")
            count(Metric.X_CREDITS_RESTORED)
        if sent.remaining == 0 and sent.reset:
            self.stores.window.observe(0, sent.reset)  # the next DM waits for the reset instead of meeting a 429
        count(Metric.REPLIES_SENT)
        return True

    def _send_with_backoff(self, recipient_id: str, message: OutboundMessage) -> Sent:
        """Send, retrying transient failures while the function has time for another attempt."""
        waits = iter(BACKOFF_SECONDS)
        while True:
            try:
                return self.x.send_dm(recipient_id, message)
            except XApiError as error:
                wait = next(waits, None)
                if error.kind is not ErrorKind.TRANSIENT or wait is None:
                    raise
                if self.remaining_seconds() < wait + self._send_seconds():
                    raise
                time.sleep(wait)


def handover_notice(dm: QueuedDM) -> str:
    """What the operator is told of a handover: who, on which account, and where (never the DM's text)."""
    ids = sorted((dm.sender_id, dm.account_id), key=int)
    who = f"@{dm.sender_screen_name}" if dm.sender_screen_name else f"the user {dm.sender_id}"
    return (
        f"{who} asked for a person on the account {dm.account_id}: https://x.com/messages/{'-'.join(ids)} "
        f"(the bot stays quiet there; give it back with: x-dm-channel conversations resume "
        f"--account {dm.account_id} --user {dm.sender_id})"
    )


def _error_code(error: XApiError) -> str:
    """The XApiErrors dimension: X's first error code, else the HTTP status, else the kind."""
    return str(error.codes[0]) if error.codes else str(error.status or error.kind.value)
