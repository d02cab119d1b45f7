"""Puts inbound DMs on the FIFO queue: SendMessageBatch by ten, failed entries tried once more."""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from dmchannel.queued_dm import QueuedDM
from dmchannel.webhook.errors import QueueRefusedError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

MAX_BATCH_SIZE = 10  # SQS's limit for SendMessageBatch
ATTEMPTS = 2


def _send_batch(sqs: "SQSClient", queue_url: str, dms: Sequence[QueuedDM]) -> tuple[list[QueuedDM], str]:
    """Send one batch; return the DMs that failed and why."""
    entries: list[SendMessageBatchRequestEntryTypeDef] = [
        {
            "Id": str(index),
            "MessageBody": dm.to_body(),
            "MessageGroupId": dm.conversation_id,
            "MessageDeduplicationId": dm.deduplication_id,
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


def enqueue(sqs: "SQSClient", queue_url: str, dms: Sequence[QueuedDM]) -> None:
    """Queue every DM, or raise QueueRefusedError naming those that are not on the queue."""
    failed: list[QueuedDM] = []
    detail = ""
    for start in range(0, len(dms), MAX_BATCH_SIZE):
        pending: list[QueuedDM] = list(dms[start : start + MAX_BATCH_SIZE])
        for _ in range(ATTEMPTS):
            pending, detail = _send_batch(sqs, queue_url, pending)
            if not pending:
                break
        failed.extend(pending)
    if failed:
        raise QueueRefusedError(failed, detail)
