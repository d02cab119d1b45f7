"""Brings a queued DM back later than the queue's visibility timeout (for X's rate-limit reset)."""

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from dmchannel.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

MAX_VISIBILITY_SECONDS = 43_200  # SQS's limit: 12 hours


def delay_redelivery(sqs: "SQSClient", queue_url: str, receipt_handle: str, seconds: float) -> None:
    """Keep the message hidden for that long (at least 1 s, at most 12 h); best effort."""
    timeout = max(1, min(MAX_VISIBILITY_SECONDS, int(seconds) + 1))
    try:
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=timeout)
    except (BotoCoreError, ClientError) as error:
        logger.warning("Could not delay the redelivery", error=str(error))
