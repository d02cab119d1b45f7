"""Puts inbound DMs on the FIFO queue: SendMessageBatch by ten, failed entries tried once more."""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from dmchannel.delivery import InboundDM

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

MAX_BATCH_SIZE = 10  # SQS's limit for SendMessageBatch
ATTEMPTS = 2


class EnqueueError(Exception):
    """Some DMs could not be put on the queue."""

    def __init__(self, failed: Sequence[InboundDM], detail: str) -> None:
        super().__init__(f"{len(failed)} DM(s) not queued: {detail}")
        self.failed = list(failed)


def _send_batch(sqs: "SQSClient", queue_url: str, dms: Sequence[InboundDM]) -> tuple[list[InboundDM], str]:
    """Send one batch; return the DMs that failed and why."""
    entries: list[SendMessageBatchRequestEntryTypeDef] = [
        {
            "Id": str(index),
            "MessageBody": dm.to_message(),
            "MessageGroupId": dm.conversation_id,
            "MessageDeduplicationId": dm.event_id,
        }
        for index, dm in enumerate(dms)
    ]
    try:
        answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
    except (BotoCoreError, ClientError) as error:
        return list(dms), str(error)
    failures = answer.get("Failed", [])
    detail = ", ".join(sorted({failure.get("Code", "unknown") for failure in failures}))
    return [dms[int(failure["Id"])] for failure in failures], detail


def enqueue(sqs: "SQSClient", queue_url: str, dms: Sequence[InboundDM]) -> None:
    """Queue every DM, or raise EnqueueError naming those that are not on the queue."""
    failed: list[InboundDM] = []
    detail = ""
    for start in range(0, len(dms), MAX_BATCH_SIZE):
        pending: list[InboundDM] = list(dms[start : start + MAX_BATCH_SIZE])
        for _ in range(ATTEMPTS):
            pending, detail = _send_batch(sqs, queue_url, pending)
            if not pending:
                break
        failed.extend(pending)
    if failed:
        raise EnqueueError(failed, detail)
