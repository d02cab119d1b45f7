"""Settles one queue message with what answering its DM came to: answered, back soon, held, or dead-lettered.

A message that comes back is hidden for as long as it should wait (at most SQS's 12
hours: a longer hold comes back and waits again). A message that cannot be answered
by trying again goes to the dead-letter queue here, with its reason, rather than by
the queue's receive count: waiting for X's send window or for time costs no attempt.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dmchannel.accounts import Account, AccountDirectory
from dmchannel.observability import Metric, count, logger
from dmchannel.queued_dm import MalformedQueuedDMError, QueuedDM
from dmchannel.responder.answering import Responder
from dmchannel.responder.outcomes import DeadLetterError, HeldError, NotStartedError, RetryLaterError, UnreadableError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import ChangeMessageVisibilityBatchRequestEntryTypeDef

MAX_VISIBILITY_SECONDS = 43_200  # SQS's limit: 12 hours
RETRY_AFTER_SECONDS = 30  # after a failed attempt (the bot or X could not answer)
REASON_ATTRIBUTE = "reason"


@dataclass(frozen=True)
class QueueMessage:
    """What the settling needs of one SQS record."""

    body: str
    receipt_handle: str
    group_id: str
    deduplication_id: str
    queued_at: float  # epoch seconds


@dataclass
class Queues:
    """The DM queue and its dead-letter queue."""

    sqs: "SQSClient"
    queue_url: str
    dead_letter_queue_url: str
    _hidden: set[str] = field(default_factory=set)  # receipt handles given a visibility in this invocation

    def hide(self, message: QueueMessage, seconds: float) -> None:
        """Bring the message back after that long (0 to 12 hours)."""
        timeout = max(0, min(MAX_VISIBILITY_SECONDS, int(seconds) + 1 if seconds > 0 else 0))
        self.sqs.change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=message.receipt_handle, VisibilityTimeout=timeout
        )
        self._hidden.add(message.receipt_handle)

    def bring_back_skipped(self, event: Mapping[str, Any], answer: Mapping[str, Any]) -> None:
        """Failed records that were never tried (behind a failure in their conversation) come back at once.

        FIFO keeps their order: SQS delivers none of a conversation's messages while one is in flight.
        """
        failed = {failure["itemIdentifier"] for failure in answer.get("batchItemFailures", [])}
        skipped: list[ChangeMessageVisibilityBatchRequestEntryTypeDef] = [
            {"Id": str(index), "ReceiptHandle": record["receiptHandle"], "VisibilityTimeout": 0}
            for index, record in enumerate(event.get("Records", []))
            if record["messageId"] in failed and record["receiptHandle"] not in self._hidden
        ]
        self._hidden.clear()
        for start in range(0, len(skipped), 10):
            self.sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=skipped[start : start + 10])

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


def settle(
    accounts: AccountDirectory,
    responder_for: Callable[[Account, QueuedDM], Responder],
    queues: Queues,
    message: QueueMessage,
) -> None:
    """Answer the message's DM as its account; raise (a batch item failure) when it must come back to the queue."""
    try:
        dm = QueuedDM.from_body(message.body)
    except MalformedQueuedDMError as error:
        queues.dead_letter(message, str(error))
        return
    account = accounts.account(dm.account_id)
    if account is None:  # checked again: never answer with another account's token
        logger.warning(
            "Not answered: the DM is for an account this deployment does not serve", account_id=dm.account_id
        )
        count(Metric.DIRECT_MESSAGES_FOR_UNKNOWN_ACCOUNT)
        return
    if dm.from_account:  # the account's own message: the channel's, or a person's taking over
        responder_for(account, dm).observe_own(dm)
        return
    if accounts.is_served(dm.sender_id):
        # One of our accounts wrote to another: answering would have the bots talk to each other.
        logger.info("Not answered: the sender is another account this deployment serves", account_id=dm.account_id)
        return
    try:
        responder = responder_for(account, dm)
        responder.handle(dm, message.queued_at)
    except UnreadableError as error:  # never answered; logged without its content
        logger.warning("XChat message not answered", reason=str(error), dm_id=dm.dm_id, verified=error.verified)
        count(Metric.XCHAT_NOT_ANSWERED if error.verified else Metric.XCHAT_UNREADABLE)
    except NotStartedError:
        count(Metric.DIRECT_MESSAGES_DEFERRED)
        queues.hide(message, 0)
        raise
    except HeldError as held:
        count(Metric.DIRECT_MESSAGES_HELD)
        queues.hide(message, held.until - responder.clock())
        raise
    except RetryLaterError:
        queues.hide(message, RETRY_AFTER_SECONDS)
        raise
    except DeadLetterError as error:
        queues.dead_letter(message, str(error))
