"""Puts inbound DMs on the FIFO queue: SendMessageBatch by ten (or fewer, within SQS's bytes), failed ones tried again."""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from dmchannel.queued_dm import QueuedDM
from dmchannel.webhook.errors import QueueRefusedError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

MAX_BATCH_SIZE = 10  # SQS's limit for SendMessageBatch
MAX_BATCH_BYTES = 1_000_000  # SQS takes a batch of at most 1 MiB of bodies: this leaves room for the rest
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


def batches(dms: Sequence[QueuedDM]) -> list[list[QueuedDM]]:
    """The DMs in order, in batches of at most ten and at most MAX_BATCH_BYTES of bodies (a DM alone if it is more)."""
    grouped: list[list[QueuedDM]] = []
    size = 0
    for dm in dms:
        body = len(dm.to_body().encode())
        if not grouped or len(grouped[-1]) == MAX_BATCH_SIZE or size + body > MAX_BATCH_BYTES:
            grouped.append([])
            size = 0
        grouped[-1].append(dm)
        size += body
    return grouped


def enqueue(sqs: "SQSClient", queue_url: str, dms: Sequence[QueuedDM]) -> None:
    """Queue every DM, or raise QueueRefusedError naming those that are not on the queue."""
    failed: list[QueuedDM] = []
    detail = ""
    for batch in batches(dms):
        pending = batch
        for _ in range(ATTEMPTS):
            pending, detail = _send_batch(sqs, queue_url, pending)
            if not pending:
                break
        failed.extend(pending)
    if failed:
        raise QueueRefusedError(failed, detail)
