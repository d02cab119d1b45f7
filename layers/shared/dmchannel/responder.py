"""Answers one queued DM: guards, the bot, the composer, then each reply through its slot and X."""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from dmchannel.bot import Bot, BotError, Reply, Turn
from dmchannel.composer import MORE_OPTIONS_PREFIX, OutboundMessage, compose
from dmchannel.conversation_state import ConversationState
from dmchannel.inbound import InboundTurn, read_queued_dm
from dmchannel.ledger import Ledger, Slot
from dmchannel.numbered_choices import chosen_payload, render_choices
from dmchannel.settings import ResponderSettings
from dmchannel.x_api import CONNECT_TIMEOUT, ErrorKind, XApiError, XClient

logger = Logger(child=True)

BACKOFF_SECONDS = (0.5, 2.0)  # waits between the attempts of a send that failed transiently
SAFETY_MARGIN_SECONDS = 1.0


class RetryLaterError(Exception):
    """The DM goes back to the queue; retry_at (epoch seconds) when X said when, else 0."""

    def __init__(self, reason: str, retry_at: float = 0) -> None:
        super().__init__(reason)
        self.retry_at = retry_at


def _keyword(text: str) -> str:
    return text.strip().strip(".!").casefold()


@dataclass
class Responder:
    """Answers the DMs of one bot account."""

    bot: Bot
    x: XClient
    ledger: Ledger
    state: ConversationState
    settings: ResponderSettings
    metrics: Metrics
    remaining_seconds: Callable[[], float]

    def _count(self, name: str, value: float = 1, unit: MetricUnit = MetricUnit.Count) -> None:
        self.metrics.add_metric(name=name, unit=unit, value=value)

    def handle(self, message: Mapping[str, Any], receive_count: int = 1) -> None:
        """Answer one queued DM, received receive_count times (raises RetryLaterError to come back later)."""
        inbound = read_queued_dm(message)
        turn = inbound.turn
        log = {"event_id": inbound.event_id, "sender_id": turn.sender_id}
        self._count("DirectMessagesReceived")
        if self.state.is_looping(turn.sender_id, self.settings.loop_max_per_minute, self.settings.loop_quiet_seconds):
            logger.warning("Conversation muted: DMs come faster than a person writes", extra=log)
            self._count("ConversationMuted")
            return
        replies = self._replies(inbound, log, receive_count)
        if replies is None:
            return
        if self.settings.x_dm_api == "v2":
            replies, offered = render_choices(replies)
            if offered:
                self.state.save_buttons(f"offered#{turn.sender_id}", offered)
        composition = compose(replies, self.settings.replies_per_message, more_key=inbound.event_id)
        if composition.dropped_messages or composition.dropped_buttons:
            logger.warning(
                "Replies did not fit X's limits",
                extra={
                    **log,
                    "dropped_messages": composition.dropped_messages,
                    "dropped_buttons": composition.dropped_buttons,
                },
            )
            self._count("RepliesDropped", composition.dropped_messages)
        if composition.more_buttons:
            self.state.save_buttons(f"more#{inbound.event_id}", composition.more_buttons)
        sent = self._send_all(inbound, composition.messages, log)
        logger.info("DM answered", extra={**log, "replies_sent": sent, "replies_planned": len(composition.messages)})

    def _replies(self, inbound: InboundTurn, log: dict[str, str], receive_count: int) -> list[Reply] | None:
        """The replies to send, or None when the user must not be answered."""
        turn, keyword = inbound.turn, _keyword(inbound.turn.text)
        if keyword in self.settings.stop_keywords:
            self.state.set_opted_out(turn.sender_id, True)
            logger.info("User opted out", extra=log)
            self._count("OptOuts")
            return [Reply(self.settings.stop_reply)]
        if keyword in self.settings.start_keywords:
            self.state.set_opted_out(turn.sender_id, False)
            logger.info("User opted in", extra=log)
            return [Reply(self.settings.start_reply)]
        if self.state.is_opted_out(turn.sender_id):
            logger.info("Not answered: the user opted out", extra=log)
            self._count("OptedOutMessages")
            return None
        if turn.button_payload and turn.button_payload.startswith(MORE_OPTIONS_PREFIX):
            buttons = self.state.buttons("more#" + turn.button_payload.removeprefix(MORE_OPTIONS_PREFIX))
            return [Reply(self.settings.more_options_text, tuple(buttons))] if buttons else []
        if self.settings.x_dm_api == "v2" and turn.button_payload is None:
            payload = chosen_payload(turn.text, self.state.buttons(f"offered#{turn.sender_id}"))
            turn = replace(turn, button_payload=payload)
        else:
            self._courtesy(inbound)  # read receipts and typing exist on v1.1 only
        return self._ask_bot(turn, log, receive_count)

    def _ask_bot(self, turn: Turn, log: dict[str, str], receive_count: int) -> list[Reply]:
        """The bot's replies; when it cannot answer, retry through the queue, then apologise."""
        started = time.perf_counter()
        try:
            replies = self.bot.answer(turn)
        except BotError as error:
            self._count("BotErrors")
            retry = error.retryable and receive_count < self.settings.bot_attempts
            logger.warning(
                "The bot could not answer", extra={**log, "error": str(error), "attempt": receive_count, "retry": retry}
            )
            if retry:
                raise RetryLaterError(str(error)) from error
            return [Reply(self.settings.bot_apology)]
        finally:
            self._count("BotLatency", (time.perf_counter() - started) * 1000, MetricUnit.Milliseconds)
        return replies

    def _courtesy(self, inbound: InboundTurn) -> None:
        """Mark the DM read and show the typing indicator; a failure here never blocks the answer."""
        sender = inbound.turn.sender_id
        calls: list[Callable[[], None]] = []
        if self.settings.mark_read:
            calls.append(lambda: self.x.mark_read(sender, inbound.event_id))
        if self.settings.typing_indicator:
            calls.append(lambda: self.x.indicate_typing(sender))
        for call in calls:
            try:
                call()
            except XApiError as error:
                logger.info("Read receipt or typing indicator failed", extra={"error": str(error)})

    def _send_all(self, inbound: InboundTurn, messages: list[OutboundMessage], log: dict[str, str]) -> int:
        """Send the replies in order, each through its slot; return how many were sent now."""
        sent = 0
        for index, message in enumerate(messages):
            slot = self.ledger.reserve(inbound.event_id, index)
            if slot is Slot.ALREADY_RECORDED:
                # Reserved by an earlier attempt. If that attempt crashed between the reservation and
                # X's answer, this reply may never have gone out: at most once, never twice.
                logger.info("Reply already recorded, not sent again", extra={**log, "index": index})
                continue
            if slot is Slot.DAILY_LIMIT:
                logger.warning("Unanswered: the daily DM limit is reached", extra={**log, "index": index})
                self._count("UnansweredDailyLimit")
                break
            if slot is Slot.MESSAGE_LIMIT:
                logger.warning("Replies dropped: the per-message limit is reached", extra={**log, "index": index})
                self._count("RepliesDropped", len(messages) - index)
                break
            if not self._send(inbound, index, message, log):
                break
            sent += 1
        return sent

    def _send(self, inbound: InboundTurn, index: int, message: OutboundMessage, log: dict[str, str]) -> bool:
        """Send one reserved reply; False when the DM must not get more replies."""
        try:
            x_event_id = self._send_with_backoff(inbound.turn.sender_id, message)
        except XApiError as error:
            self._count_x_error(error)
            log_error = {**log, "index": index, "status": error.status, "codes": list(error.codes)}
            if error.kind is ErrorKind.AMBIGUOUS:
                # X may have the DM: keep the slot and the record, so that it is never sent twice.
                logger.error("X did not answer; the reply is not sent again", extra=log_error)
                raise RetryLaterError(str(error)) from error
            self.ledger.release(inbound.event_id, index)
            if error.kind is ErrorKind.PERMANENT:
                logger.error("X refused the reply", extra=log_error)
                return False
            logger.warning("X failed; the DM goes back to the queue", extra=log_error)
            raise RetryLaterError(str(error), error.retry_at) from error
        # A crash here leaves the reply "reserved": a redelivery does not send it again.
        self.ledger.record_sent(inbound.event_id, index, x_event_id)
        self._count("RepliesSent")
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

    def _count_x_error(self, error: XApiError) -> None:
        code = str(error.codes[0]) if error.codes else str(error.status or error.kind.value)
        with single_metric(name="XApiErrors", unit=MetricUnit.Count, value=1) as metric:
            metric.add_dimension(name="code", value=code)
