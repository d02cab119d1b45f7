"""Answers one queued DM: guards, the bot, the composer, then each reply through its slot and X."""

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from aws_lambda_powertools.metrics import MetricUnit

from dmchannel.bots.base import Bot, BotError, Reply, Turn
from dmchannel.observability import Metric, count, count_by, logger
from dmchannel.queued_dm import QueuedDM
from dmchannel.responder.composer import MORE_OPTIONS_PREFIX, compose
from dmchannel.responder.numbered_choices import chosen_payload, render_choices
from dmchannel.settings import ResponderSettings
from dmchannel.storage.conversation_state import ConversationState
from dmchannel.storage.ledger import Ledger, Slot
from dmchannel.x.direct_messages import XClient
from dmchannel.x.errors import ErrorKind, XApiError
from dmchannel.x.message import OutboundMessage
from dmchannel.x.transport import CONNECT_TIMEOUT

BACKOFF_SECONDS = (0.5, 2.0)  # waits between the attempts of a send that failed transiently
SAFETY_MARGIN_SECONDS = 1.0
LOG_KEYS = ("dm_id", "sender_id", "reply_index")


class RetryLaterError(Exception):
    """The DM goes back to the queue; retry_at (epoch seconds) when X said when, else 0."""

    def __init__(self, reason: str, retry_at: float = 0) -> None:
        super().__init__(reason)
        self.retry_at = retry_at


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
    x: XClient
    ledger: Ledger
    state: ConversationState
    settings: ResponderSettings
    remaining_seconds: Callable[[], float]

    def handle(self, dm: QueuedDM, receive_count: int = 1) -> None:
        """Answer one queued DM, received receive_count times (raises RetryLaterError to come back later)."""
        logger.append_keys(dm_id=dm.dm_id, sender_id=dm.sender_id)
        try:
            self._answer(dm, receive_count)
        finally:
            logger.remove_keys(list(LOG_KEYS))

    def _answer(self, dm: QueuedDM, receive_count: int) -> None:
        count(Metric.DIRECT_MESSAGES_RECEIVED)
        if self.state.is_looping(dm.sender_id, self.settings.loop_max_per_minute, self.settings.loop_quiet_seconds):
            logger.warning("Conversation muted: DMs come faster than a person writes")
            count(Metric.CONVERSATION_MUTED)
            return
        replies = self._replies(dm, receive_count)
        if replies is None:
            return
        if self.settings.x_dm_api == "v2":
            replies, offered = render_choices(replies)
            if offered:
                self.state.save_buttons(f"offered#{dm.sender_id}", offered)
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
        sent = self._send_all(dm, composition.messages)
        logger.info("DM answered", replies_sent=sent, replies_planned=len(composition.messages))

    def _replies(self, dm: QueuedDM, receive_count: int) -> list[Reply] | None:
        """The replies to send, or None when the user must not be answered."""
        turn, keyword = turn_of(dm), _keyword(dm.text)
        if keyword in self.settings.stop_keywords:
            self.state.set_opted_out(dm.sender_id, True)
            logger.info("User opted out")
            count(Metric.OPT_OUTS)
            return [Reply(self.settings.stop_reply)]
        if keyword in self.settings.start_keywords:
            self.state.set_opted_out(dm.sender_id, False)
            logger.info("User opted in")
            return [Reply(self.settings.start_reply)]
        if self.state.is_opted_out(dm.sender_id):
            logger.info("Not answered: the user opted out")
            count(Metric.OPTED_OUT_MESSAGES)
            return None
        if turn.button_payload and turn.button_payload.startswith(MORE_OPTIONS_PREFIX):
            buttons = self.state.buttons("more#" + turn.button_payload.removeprefix(MORE_OPTIONS_PREFIX))
            return [Reply(self.settings.more_options_text, tuple(buttons))] if buttons else []
        if self.settings.x_dm_api == "v2" and turn.button_payload is None:
            payload = chosen_payload(turn.text, self.state.buttons(f"offered#{dm.sender_id}"))
            turn = replace(turn, button_payload=payload)
        else:
            self._courtesy(dm)  # read receipts and typing exist on v1.1 only
        return self._ask_bot(turn, receive_count)

    def _ask_bot(self, turn: Turn, receive_count: int) -> list[Reply]:
        """The bot's replies; when it cannot answer, retry through the queue, then apologise."""
        started = time.perf_counter()
        try:
            replies = self.bot.answer(turn)
        except BotError as error:
            count(Metric.BOT_ERRORS)
            retry = error.retryable and receive_count < self.settings.bot_attempts
            logger.warning("The bot could not answer", error=str(error), attempt=receive_count, retry=retry)
            if retry:
                raise RetryLaterError(str(error)) from error
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

    def _send_all(self, dm: QueuedDM, messages: list[OutboundMessage]) -> int:
        """Send the replies in order, each through its slot; return how many were sent now."""
        sent = 0
        for index, message in enumerate(messages):
            logger.append_keys(reply_index=index)
            slot = self.ledger.reserve(dm.dm_id, index)
            if slot is Slot.ALREADY_RECORDED:
                # Reserved by an earlier attempt. If that attempt crashed between the reservation and
                # X's answer, this reply may never have gone out: at most once, never twice.
                logger.info("Reply already recorded, not sent again")
                continue
            if slot is Slot.DAILY_LIMIT:
                logger.warning("Unanswered: the daily DM limit is reached")
                count(Metric.UNANSWERED_DAILY_LIMIT)
                break
            if slot is Slot.MESSAGE_LIMIT:
                logger.warning("Replies dropped: the per-message limit is reached")
                count(Metric.REPLIES_DROPPED, len(messages) - index)
                break
            if not self._send(dm, index, message):
                break
            sent += 1
        logger.remove_keys(["reply_index"])
        return sent

    def _send(self, dm: QueuedDM, index: int, message: OutboundMessage) -> bool:
        """Send one reserved reply; False when the DM must not get more replies."""
        try:
            x_event_id = self._send_with_backoff(dm.sender_id, message)
        except XApiError as error:
            count_by(Metric.X_API_ERRORS, "code", _error_code(error))
            status, codes = error.status, list(error.codes)
            if error.kind is ErrorKind.AMBIGUOUS:
                # X may have the DM: keep the slot and the record, so that it is never sent twice.
                logger.error("X did not answer; the reply is not sent again", status=status, codes=codes)
                raise RetryLaterError(str(error)) from error
            self.ledger.release(dm.dm_id, index)
            if error.kind is ErrorKind.PERMANENT:
                logger.error("X refused the reply", status=status, codes=codes)
                return False
            logger.warning("X failed; the DM goes back to the queue", status=status, codes=codes)
            raise RetryLaterError(str(error), error.retry_at) from error
        # A crash here leaves the reply "reserved": a redelivery does not send it again.
        self.ledger.record_sent(dm.dm_id, index, x_event_id)
        count(Metric.REPLIES_SENT)
        return True

    def _send_with_backoff(self, recipient_id: str, message: OutboundMessage) -> str:
        """Send, retrying transient failures while the function has time for another attempt."""
        waits = iter(BACKOFF_SECONDS)
        while True:
            try:
                return self.x.send_dm(recipient_id, message)
            except XApiError as error:
                wait = next(waits, None)
                if error.kind is not ErrorKind.TRANSIENT or wait is None:
                    raise
                if self.remaining_seconds() < wait + CONNECT_TIMEOUT + self.x.read_timeout + SAFETY_MARGIN_SECONDS:
                    raise
                time.sleep(wait)


def _error_code(error: XApiError) -> str:
    """The XApiErrors dimension: X's first error code, else the HTTP status, else the kind."""
    return str(error.codes[0]) if error.codes else str(error.status or error.kind.value)
