"""Settles each queue message with its DM's fate: deleted, back at once, back later, or dead-lettered.

What the queue does with each ``lifecycle.Outcome`` is one table (``QUEUE_ACTIONS``). A
message that comes back is hidden for as long as it should wait (at most SQS's 12 hours:
a longer hold comes back and waits again). A message that cannot be answered by trying
again goes to the dead-letter queue here, with its reason, rather than by the queue's
receive count: waiting for X's send window or for time costs no attempt. A batch's
conversations (FIFO's message groups) are settled side by side, each in order
(``settle_batch``): a conversation whose DM stays on the queue keeps its later DMs there
too, so FIFO's order holds; the others go on.
"""

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from dmchannel.observability import Metric, count, logger
from dmchannel.queued_dm import REASON_ATTRIBUTE, MalformedQueuedDMError, QueuedDM
from dmchannel.responder.answering import announce, unforeseen
from dmchannel.responder.lifecycle import Ended, Fate, Outcome, Rule, after_failure
from dmchannel.responder.wiring import Wiring

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import ChangeMessageVisibilityBatchRequestEntryTypeDef

# SQS's limit, 12 hours counted from when the message was received, less the longest an invocation may have run.
MAX_VISIBILITY_SECONDS = 43_200 - 900
# A batch's conversations (up to 10) are answered up to 5 at a time: waits on X, the bot and AWS overlap, and the
# function's sixth of a vCPU (256 MB) is not fought over by more (locally, 5 answered a burst faster than 1 or 10).
# The threads last as long as the container: none is made per batch.
_SIDE_BY_SIDE = ThreadPoolExecutor(max_workers=5, thread_name_prefix="conversation")


@dataclass(frozen=True)
class QueueMessage:
    """What the settling needs of one SQS record."""

    body: str
    receipt_handle: str
    group_id: str
    deduplication_id: str
    queued_at: float  # epoch seconds
    message_id: str = ""  # SQS's: one chain of attempts (a redrive is another message)
    receive_count: int = 1  # SQS's count of receives, the attempts' stand-in when the table fails

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "QueueMessage":
        """One record of Lambda's SQS event."""
        attributes = record.get("attributes", {})
        return cls(
            body=record["body"],
            receipt_handle=record["receiptHandle"],
            group_id=attributes.get("MessageGroupId", ""),
            deduplication_id=attributes.get("MessageDeduplicationId") or record["messageId"],
            queued_at=int(attributes.get("SentTimestamp", "0")) / 1000,
            message_id=record["messageId"],
            receive_count=int(attributes.get("ApproximateReceiveCount", "1")),
        )


@dataclass
class Queues:
    """The DM queue and its dead-letter queue."""

    sqs: "SQSClient"
    queue_url: str
    dead_letter_queue_url: str

    def hide(self, message: QueueMessage, seconds: float) -> None:
        """Bring the message back after that long (0 to almost 12 hours: a longer wait comes back and waits again)."""
        timeout = max(0, min(MAX_VISIBILITY_SECONDS, int(seconds) + 1 if seconds > 0 else 0))
        self.sqs.change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=message.receipt_handle, VisibilityTimeout=timeout
        )

    def bring_back(self, untried: list[QueueMessage]) -> None:
        """Messages never tried (behind a DM their conversation keeps waiting) come back at once.

        FIFO keeps their order: SQS delivers none of a conversation's messages while one is in flight.
        """
        entries: list[ChangeMessageVisibilityBatchRequestEntryTypeDef] = [
            {"Id": str(index), "ReceiptHandle": message.receipt_handle, "VisibilityTimeout": 0}
            for index, message in enumerate(untried)
        ]
        for start in range(0, len(entries), 10):
            self.sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=entries[start : start + 10])

    def dead_letter(self, message: QueueMessage, reason: str) -> None:
        """Put the message on the dead-letter queue with its reason (the caller then lets the queue delete it)."""
        self.sqs.send_message(
            QueueUrl=self.dead_letter_queue_url,
            MessageBody=message.body,
            MessageGroupId=message.group_id,
            MessageDeduplicationId=message.deduplication_id,
            MessageAttributes={REASON_ATTRIBUTE: {"DataType": "String", "StringValue": reason[:1000]}},
        )
        logger.error("DM dead-lettered", reason=reason)
        count(Metric.DEAD_LETTERED)


class QueueAction(Enum):
    """What the queue does with a message once its DM's attempt has ended."""

    DELETE = "delete"  # the DM needs nothing more
    BACK_NOW = "back_now"  # visible again at once (nothing was tried)
    BACK_AT = "back_at"  # hidden until the fate's time: X's send window resets, or the backed-off retry
    DEAD_LETTER = "dead_letter"  # to the dead-letter queue, with its reason


QUEUE_ACTIONS: dict[Outcome, QueueAction] = {
    Outcome.ANSWERED: QueueAction.DELETE,
    Outcome.UNANSWERED: QueueAction.DELETE,
    Outcome.OBSERVED: QueueAction.DELETE,
    Outcome.DUPLICATE: QueueAction.DELETE,
    Outcome.NOT_STARTED: QueueAction.BACK_NOW,
    Outcome.HELD: QueueAction.BACK_AT,
    Outcome.RETRY_LATER: QueueAction.BACK_AT,
    Outcome.FAILED: QueueAction.DEAD_LETTER,
    Outcome.DEAD_LETTERED: QueueAction.DEAD_LETTER,
}


class KeptOnQueueError(Exception):
    """The message stays on the queue (a batch item failure), hidden for as long as its DM waits."""


def fate_of(wiring: Wiring, dm: QueuedDM, message: QueueMessage, remaining_seconds: Callable[[], float]) -> Fate:
    """Answer the DM as its account, or end it by the rule that forbids it."""
    account = wiring.accounts.account(dm.account_id)
    if account is None:  # checked again: never answer with another account's token
        return _left(wiring, dm, Rule.ACCOUNT_NOT_SERVED)
    try:
        if dm.from_account:  # the account's own message: the channel's, or a person's taking over
            return wiring.responder(account, dm, remaining_seconds).observe_own(dm)
        if wiring.accounts.listed_as_served(dm.sender_id):  # answering would have two bots talk to each other
            return _left(wiring, dm, Rule.FROM_SERVED_ACCOUNT)
        responder = wiring.responder(account, dm, remaining_seconds)
    except Ended as ended:  # the surface could not be opened (XChat without keys)
        return _end(wiring, dm, ended.fate)
    return responder.handle(dm, message.queued_at, message.message_id)


def _left(wiring: Wiring, dm: QueuedDM, rule: Rule) -> Fate:
    return _end(wiring, dm, Fate(Outcome.UNANSWERED, rule))


def _end(wiring: Wiring, dm: QueuedDM, fate: Fate) -> Fate:
    """A fate decided before a responder could decide it: written on the DM's record, and announced."""
    wiring.records(dm.account_id).end(dm.dm_id, fate, surface=dm.surface.value)
    announce(fate, dm_id=dm.dm_id, account_id=dm.account_id)
    return fate


def settle(
    wiring: Wiring, queues: Queues, message: QueueMessage, remaining_seconds: Callable[[], float]
) -> Fate | None:
    """Answer the message's DM, and do with the message what its fate says (KeptOnQueueError: it comes back)."""
    try:
        dm = QueuedDM.from_body(message.body)
    except MalformedQueuedDMError as error:
        queues.dead_letter(message, str(error))
        return None
    try:
        fate = fate_of(wiring, dm, message, remaining_seconds)
    except Exception as error:
        fate = failed_before_counting(wiring, dm, message, unforeseen(error))
    action = QUEUE_ACTIONS[fate.outcome]
    if action is QueueAction.DEAD_LETTER:
        queues.dead_letter(message, str(fate))
    elif action is not QueueAction.DELETE:
        queues.hide(message, fate.until - wiring.now() if action is QueueAction.BACK_AT else 0)
        raise KeptOnQueueError(str(fate))
    return fate


def settle_batch(
    wiring: Wiring, queues: Queues, event: Mapping[str, Any], remaining_seconds: Callable[[], float]
) -> dict[str, list[dict[str, str]]]:
    """Settle an SQS batch, its conversations side by side; the messages that stay, as Lambda's partial batch response.

    A message that stays (its DM waits, or settling it failed: it comes back when its visibility
    ends) keeps its conversation's later messages of the batch on the queue too, untried: they come
    back at once, in order. A function that dies in one conversation dies once the others have ended.
    """
    conversations: dict[str, list[QueueMessage]] = {}
    for record in event.get("Records", []):
        message = QueueMessage.from_record(record)
        conversations.setdefault(message.group_id, []).append(message)

    def settle_in_order(messages: list[QueueMessage]) -> list[QueueMessage]:
        """Settle a conversation's messages in order; the ones that stay: the first that stays, and all after it."""
        for index, message in enumerate(messages):
            try:
                settle(wiring, queues, message, remaining_seconds)
            except Exception as error:
                if not isinstance(error, KeptOnQueueError):
                    logger.exception("The queue message could not be settled: it comes back")
                return messages[index:]
        return []

    if len(conversations) == 1:  # one conversation: answered in the handler's own thread
        stays = [settle_in_order(messages) for messages in conversations.values()]
    else:
        running = [_SIDE_BY_SIDE.submit(settle_in_order, messages) for messages in conversations.values()]
        wait(running)
        stays = [conversation.result() for conversation in running]
    queues.bring_back([message for stay in stays for message in stay[1:]])
    return {"batchItemFailures": [{"itemIdentifier": message.message_id} for stay in stays for message in stay]}


def failed_before_counting(wiring: Wiring, dm: QueuedDM, message: QueueMessage, fate: Fate) -> Fate:
    """Count the attempt on the record (or, if the table fails too, by SQS's receive count); back off, or fail.

    The other surface's copy of a DM whose dead letter waits is let go, as the responder lets it go.
    """
    records = wiring.records(dm.account_id)
    try:
        record = records.read(dm.dm_id)
        if record is not None and record.copy_of_dead_letter(message.message_id, dm.surface.value):
            return Fate(Outcome.DUPLICATE)
        attempts = records.end(dm.dm_id, fate, attempts=1)
    except Exception as error:
        logger.warning("The DM's record could not be written", error=type(error).__name__)
        attempts = message.receive_count
    fate = after_failure(fate, attempts, wiring.now())
    if fate.outcome is Outcome.FAILED:  # its end on its record too, where the table takes it
        with suppress(Exception):
            _end(wiring, dm, fate)
    return fate
