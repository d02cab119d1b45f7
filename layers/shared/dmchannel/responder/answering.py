"""Answers one queued DM: decides its answer plan once, then sends the plan's replies, each through its slot.

Deciding: STOP and START first, always; then opt-out, the loop breaker and the
daily limit, so that a DM left unanswered gets no read receipt or typing
indicator; then the bot, and the composer. The plan is stored before anything is
sent, and every later attempt continues it without asking the bot again.
"""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from aws_lambda_powertools.metrics import MetricUnit

from dmchannel.bots.base import Bot, BotError, Button, Reply, Turn
from dmchannel.bots.bedrock import user_text
from dmchannel.observability import Metric, count, count_by, logger
from dmchannel.queued_dm import QueuedDM
from dmchannel.responder.composer import MORE_OPTIONS_PREFIX, compose
from dmchannel.responder.numbered_choices import chosen_payload, render_choices
from dmchannel.responder.outcomes import DeadLetterError, HeldError, NotStartedError, RetryLaterError
from dmchannel.responder.settings import ResponderSettings
from dmchannel.storage.conversation_state import ConversationState, Loop
from dmchannel.storage.dm_records import DmRecords
from dmchannel.storage.ledger import Ledger, Slot
from dmchannel.storage.memory import ConversationMemory
from dmchannel.storage.send_window import SendWindow
from dmchannel.storage.token_budget import TokenBudget
from dmchannel.x.errors import ErrorKind, XApiError
from dmchannel.x.message import OutboundMessage
from dmchannel.x.sent import Sent
from dmchannel.x.surface_client import Plan, SurfaceClient
from dmchannel.x.transport import CONNECT_TIMEOUT

BACKOFF_SECONDS = (0.5, 2.0)  # waits between the attempts of a send that failed transiently
SAFETY_MARGIN_SECONDS = 1.0
MAX_ATTEMPTS = 5  # attempts that failed (the bot or X) before the DM goes to the dead-letter queue
MAX_AGE_SECONDS = 24 * 3_600  # X allows replies within 24 hours of the user's DM
LOG_KEYS = ["dm_id", "sender_id", "attempt", "reply_index"]


def _keyword(text: str) -> str:
    return text.strip().strip(".!").casefold()


def turn_of(dm: QueuedDM) -> Turn:
    """What the bot sees of a queued DM."""
    return Turn(
        sender_id=dm.sender_id,
        text=dm.text,
        sender_name=dm.sender_name,
        sender_screen_name=dm.sender_screen_name,
        button_payload=dm.button_payload,
        attachment_type=dm.attachment_type,
        attachment_url=dm.attachment_url,
    )


@dataclass
class Responder:
    """Answers the DMs of one bot account."""

    bot: Bot
    x: SurfaceClient  # the surface the DM came through (legacy DMs or XChat)
    ledger: Ledger
    records: DmRecords
    window: SendWindow
    state: ConversationState
    settings: ResponderSettings
    remaining_seconds: Callable[[], float]
    clock: Callable[[], float] = time.time
    memory: ConversationMemory | None = None  # for a bot that keeps no state of its own (the Bedrock assistant)
    budget: TokenBudget | None = None  # the Bedrock assistant's daily tokens
    notify: Callable[[str], None] | None = None  # tells the operator a user asked for a person
    _started: float = 0.0  # when the DM being handled was taken up (perf_counter)

    def _send_seconds(self) -> float:
        return CONNECT_TIMEOUT + self.x.read_timeout + SAFETY_MARGIN_SECONDS

    def handle(self, dm: QueuedDM, queued_at: float | None = None) -> None:
        """Answer one queued DM (queued_at: when the webhook queued it, if X gave no creation time).

        Raises NotStartedError, HeldError, RetryLaterError or DeadLetterError when it is not answered now.
        """
        logger.thread_safe_append_keys(dm_id=dm.dm_id, sender_id=dm.sender_id)
        self._started = time.perf_counter()
        try:
            self._handle(dm, dm.created_at_ms / 1000 if dm.created_at_ms else queued_at or self.clock())
        finally:
            logger.thread_safe_remove_keys(LOG_KEYS)

    def observe_own(self, dm: QueuedDM) -> None:
        """The account's own message: one the channel did not send is a person's, who takes the conversation."""
        if self.state.sent_by_channel(dm.recipient_id, dm.text):
            return
        logger.info("A person answered from the account: the bot stays quiet in this conversation", dm_id=dm.dm_id)
        count(Metric.HUMAN_TAKEOVERS)
        self._step_back(dm.recipient_id)

    def _step_back(self, user_id: str) -> None:
        """A person has the conversation: the bot stays quiet in it for HumanTakeoverMinutes."""
        self.state.hand_to_person(user_id, self.settings.human_takeover_minutes * 60)

    def _handle(self, dm: QueuedDM, created_at: float) -> None:
        if self.remaining_seconds() < self.settings.bot_timeout + self._send_seconds():
            raise NotStartedError("too little time left to answer this DM")
        dm = self.x.open(dm)  # XChat: decrypted here, in memory only
        self._keep_opt_choice(dm)  # STOP holds from the moment it is seen, even if it cannot be answered now
        if self.clock() - created_at > MAX_AGE_SECONDS:
            logger.warning("Unanswered: the DM is more than 24 hours old", age_seconds=int(self.clock() - created_at))
            count(Metric.UNANSWERED_TOO_OLD)
            return
        held = self.window.held_until()
        if held:
            raise HeldError(held)
        record = self.records.start(dm.dm_id)
        logger.thread_safe_append_keys(attempt=record.attempts)
        if record.settled:
            logger.info("Already answered (a replay or a redrive): nothing more to do")
            return
        if record.attempts == 1:
            count(Metric.DIRECT_MESSAGES_RECEIVED)
        if record.attempts > MAX_ATTEMPTS:
            raise DeadLetterError(f"{MAX_ATTEMPTS} attempts failed, the last: {record.last_error or 'unknown'}")
        try:
            plan = record.plan if record.plan is not None else self._plan(dm, created_at, record.attempts)
            if plan is not None:
                self._send_plan(dm, plan, created_at)
            self.records.settle(dm.dm_id)
        except HeldError:
            self.records.give_back_attempt(dm.dm_id)
            raise
        except RetryLaterError as error:
            self.records.note_failure(dm.dm_id, str(error))
            raise

    def _plan(self, dm: QueuedDM, created_at: float, attempt: int) -> Plan | None:
        """Decide the answer (None: unanswered by rule) and store it before anything is sent."""
        decided = self._decide(dm, created_at, attempt)
        return None if decided is None else self.records.save_plan(dm.dm_id, self.x.seal(decided))

    def _keep_opt_choice(self, dm: QueuedDM) -> None:
        """Record STOP or START (idempotent: a redelivery records the same)."""
        keyword = _keyword(dm.text)
        if keyword in self.settings.stop_keywords or keyword in self.settings.start_keywords:
            self.state.set_opted_out(dm.sender_id, keyword in self.settings.stop_keywords)
        if self.memory and keyword in self.settings.stop_keywords | self.settings.start_over_keywords:
            self.memory.forget(dm.sender_id)

    def _decide(self, dm: QueuedDM, created_at: float, attempt: int) -> Plan | None:
        keyword = _keyword(dm.text)
        if keyword in self.settings.stop_keywords:  # before anything else: STOP always works
            logger.info("User opted out")
            count(Metric.OPT_OUTS)
            return self._compose(dm, [Reply(self.settings.stop_reply)])
        if keyword in self.settings.start_keywords:
            logger.info("User opted in")
            return self._compose(dm, [Reply(self.settings.start_reply)])
        if self.memory and keyword in self.settings.start_over_keywords:
            logger.info("The user started over")
            return self._compose(dm, [Reply(self.settings.start_over_reply)])
        if self.state.with_person(dm.sender_id):
            logger.info("Unanswered: a person has this conversation")
            count(Metric.LEFT_TO_PERSON)
            return None
        if self.state.is_opted_out(dm.sender_id):
            logger.info("Unanswered: the user opted out")
            count(Metric.OPTED_OUT_MESSAGES)
            return None
        settings = self.settings
        loop = self.state.loop_verdict(
            dm.sender_id, dm.dm_id, created_at, settings.loop_max_per_minute, settings.loop_quiet_seconds
        )
        if loop is not Loop.OK:
            count(Metric.CONVERSATION_MUTED)
            if loop is Loop.NOTICE:
                logger.warning("Conversation muted: DMs come faster than a person writes; the user is told once")
                return self._compose(dm, [Reply(settings.loop_notice)])
            logger.info("Unanswered: the conversation is muted")
            return None
        if keyword in settings.human_keywords:  # after opt-out and the loop breaker, so a flood notifies once
            return self._hand_over(dm)
        used, limit = self.ledger.used_in_24_hours(), self.ledger.daily_limit
        count(Metric.DAILY_LIMIT_USED, 100 * used / limit if limit else 100, MetricUnit.Percent)
        if used >= limit:
            logger.warning("Unanswered: the daily DM limit is reached")
            count(Metric.UNANSWERED_DAILY_LIMIT)
            return None
        return self._compose(dm, self._replies(dm, attempt))

    def _hand_over(self, dm: QueuedDM) -> Plan:
        """The user asked for a person: the bot says so once, stays quiet, and the operator is told."""
        logger.info("The user asked for a person: the conversation is handed over")
        count(Metric.HUMAN_HANDOVERS)
        self._step_back(dm.sender_id)
        if self.notify:
            self.notify(handover_notice(dm))
        return self._compose(dm, [Reply(self.settings.human_handover_text)])

    def _replies(self, dm: QueuedDM, attempt: int) -> list[Reply]:
        """The bot's replies (or the buttons behind "More options"); an answer will follow, so courtesy first."""
        turn = turn_of(dm)
        if turn.button_payload and turn.button_payload.startswith(MORE_OPTIONS_PREFIX):
            buttons = self.state.buttons("more#" + turn.button_payload.removeprefix(MORE_OPTIONS_PREFIX))
            return [Reply(self.settings.more_options_text, tuple(buttons))] if buttons else []
        if self.x.numbered_choices and turn.button_payload is None:
            turn = replace(turn, button_payload=chosen_payload(turn.text, self._menu(dm)))
        if self.x.courtesy:
            self._courtesy(dm)
        if self.budget and self.budget.exhausted():
            logger.warning("The assistant's daily token budget is spent: the user gets the apology")
            count(Metric.DAILY_TOKENS_SPENT)
            return [Reply(self.settings.bot_apology)]
        if self.memory is None:
            return self._ask_bot(turn, attempt)
        history = self.memory.recall(dm.sender_id)
        replies = self._ask_bot(replace(turn, history=history), attempt)
        self.memory.remember(dm.sender_id, history, user_text(turn), "\n\n".join(reply.text for reply in replies))
        return replies

    def _menu(self, dm: QueuedDM) -> list[Button]:
        return self.state.buttons(f"offered#{dm.sender_id}")

    def _compose(self, dm: QueuedDM, replies: list[Reply]) -> Plan:
        if self.x.numbered_choices:
            replies, offered = render_choices(replies, keep_buttons=self.x.quick_replies)
            # The menu a number answers is the last one offered: a new answer replaces it, or ends it.
            if offered:
                self.state.save_buttons(f"offered#{dm.sender_id}", offered)
            else:
                self.state.forget_buttons(f"offered#{dm.sender_id}")
        composition = compose(replies, self.settings.replies_per_message, more_key=dm.dm_id)
        if composition.dropped_messages or composition.dropped_buttons:
            logger.warning(
                "Replies did not fit X's limits",
                dropped_messages=composition.dropped_messages,
                dropped_buttons=composition.dropped_buttons,
            )
            count(Metric.REPLIES_DROPPED, composition.dropped_messages)
        if composition.more_buttons:
            self.state.save_buttons(f"more#{dm.dm_id}", composition.more_buttons)
        return tuple(composition.messages)

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
                raise RetryLaterError(f"the bot could not answer: {error}") from error
            return [Reply(self.settings.bot_apology)]
        finally:
            count(Metric.BOT_LATENCY, (time.perf_counter() - started) * 1000, MetricUnit.Milliseconds)
        return replies

    def _courtesy(self, dm: QueuedDM) -> None:
        """Mark the DM read and show the typing indicator; a failure here never blocks the answer."""
        calls: list[Callable[[], None]] = []
        if self.settings.mark_read:
            calls.append(lambda: self.x.mark_read(dm.sender_id, dm.dm_id))
        if self.settings.typing_indicator:
            calls.append(lambda: self.x.indicate_typing(dm.sender_id))
        for call in calls:
            try:
                call()
            except XApiError as error:
                logger.info("Read receipt or typing indicator failed", error=str(error))

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

    def _send_plan(self, dm: QueuedDM, plan: Plan, created_at: float) -> None:
        """Send the plan's replies in order, each through its slot; the ones already recorded are skipped."""
        sent = 0
        for index, message in enumerate(plan):
            logger.thread_safe_append_keys(reply_index=index)
            if self.remaining_seconds() < self._send_seconds():
                raise RetryLaterError("too little time left to send the next reply")
            if self.clock() - created_at > MAX_AGE_SECONDS:
                logger.warning("Replies unsent: the DM is now more than 24 hours old", unsent=len(plan) - index)
                count(Metric.UNANSWERED_TOO_OLD)
                break
            slot = self.ledger.reserve(dm.dm_id, index)
            if slot is Slot.DAILY_LIMIT:
                logger.warning("Unanswered: the daily DM limit is reached")
                count(Metric.UNANSWERED_DAILY_LIMIT)
                break
            if slot is Slot.MESSAGE_LIMIT:
                logger.warning("Replies dropped: the per-message limit is reached")
                count(Metric.REPLIES_DROPPED, len(plan) - index)
                break
            if not self.ledger.claim(dm.dm_id, index):
                continue  # an earlier (or concurrent) attempt sent it, or called X for it: never twice
            if not self._send(dm, index, message):
                break
            if index == 0:
                count(Metric.ANSWER_LATENCY, (self.clock() - created_at) * 1000, MetricUnit.Milliseconds)
            sent += 1
        logger.thread_safe_remove_keys(["reply_index"])
        elapsed_ms = int((time.perf_counter() - self._started) * 1000)
        logger.info("DM answered", replies_sent=sent, replies_planned=len(plan), elapsed_ms=elapsed_ms)

    def _send(self, dm: QueuedDM, index: int, message: OutboundMessage) -> bool:
        """Send one reserved reply; False when the DM must not get more replies."""
        if not message.sealed:  # XChat's own messages are not read back: nothing to recognise them by
            self.state.note_outgoing(dm.sender_id, message.text)  # before X: its echo may come back first
        try:
            sent = self._send_with_backoff(dm.sender_id, message)
        except XApiError as error:
            count_by(Metric.X_API_ERRORS, "code", _error_code(error))
            status, codes = error.status, list(error.codes)
            if error.kind is ErrorKind.AMBIGUOUS:
                # X may have the DM: keep the slot and the record, so that it is never sent twice.
                logger.error("X did not answer; the reply is not sent again", status=status, codes=codes)
                raise RetryLaterError(str(error)) from error
            self.ledger.release(dm.dm_id, index)
            if error.kind is ErrorKind.RATE_LIMITED:
                logger.warning("X's send window is spent; the DM waits for its reset", status=status, codes=codes)
                self.window.observe(0, error.retry_at)
                raise HeldError(error.retry_at) from error
            if error.kind is ErrorKind.PERMANENT:
                logger.error("X refused the reply", status=status, codes=codes)
                return False
            logger.warning("X failed; the DM goes back to the queue", status=status, codes=codes)
            raise RetryLaterError(str(error)) from error
        # A crash here leaves the reply "sending": a redelivery does not send it again.
        self.ledger.record_sent(dm.dm_id, index, sent.event_id)
        if sent.remaining == 0 and sent.reset:
            self.window.observe(0, sent.reset)  # the next DM waits for the reset instead of meeting a 429
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
