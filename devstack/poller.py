"""Feeds a function from an SQS queue the way Lambda's event source mapping does."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from devstack.lambda_runtime import FunctionDied
from devstack.sqs_events import sqs_event

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

logger = logging.getLogger(__name__)
Handler = Callable[[dict[str, Any], Any], Any]
MAX_BATCH = 10


@dataclass
class BatchResult:
    """What one poll did: the messages handed over, and those the function reported failed."""

    delivered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    receipts: dict[str, str] = field(default_factory=dict)  # message id -> receipt handle
    bodies: dict[str, str] = field(default_factory=dict)  # message id -> body


def poll_once(
    sqs: "SQSClient", queue_url: str, queue_arn: str, handler: Handler, context: Any, *, wait_seconds: int = 0
) -> BatchResult:
    """Receive up to 10 messages, invoke the handler, delete those it did not report failed.

    Failed messages stay on the queue and come back after the visibility timeout (then go
    to the dead-letter queue after maxReceiveCount receives), as with Lambda. A handler that
    raises fails the whole batch.
    """
    messages = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=MAX_BATCH, AttributeNames=["All"], WaitTimeSeconds=wait_seconds
    ).get("Messages", [])
    result = BatchResult(
        delivered=[m["MessageId"] for m in messages],
        receipts={m["MessageId"]: m["ReceiptHandle"] for m in messages},
        bodies={m["MessageId"]: m["Body"] for m in messages},
    )
    if not messages:
        return result
    try:
        answer = handler(sqs_event(messages, queue_arn), context) or {}
        result.failed = [failure["itemIdentifier"] for failure in answer.get("batchItemFailures", [])]
    except FunctionDied:  # the whole batch comes back after its visibility timeout, as with Lambda
        logger.info("The function died; the batch goes back to the queue")
        result.failed = list(result.delivered)
    except BatchProcessingError:  # every record failed, each already logged: the batch goes back, as with Lambda
        logger.info("Every DM of the batch goes back to the queue")
        result.failed = list(result.delivered)
    except Exception:  # a function error fails the whole batch, as with Lambda
        logger.exception("The function failed; the batch goes back to the queue")
        result.failed = list(result.delivered)
    done = [m for m in messages if m["MessageId"] not in result.failed]
    if done:
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
        )
    return result
