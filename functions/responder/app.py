"""Responder Lambda: answers the DMs on the FIFO queue through the bot and the X API (the layer's wiring)."""

from functools import cache
from pathlib import Path
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from dmchannel.accounts import AccountDirectory
from dmchannel.observability import logger, metrics, tracer
from dmchannel.responder.settings import ResponderSettings
from dmchannel.responder.settling import QueueMessage, Queues, settle
from dmchannel.responder.wiring import Wiring

FUNCTION_DIR = Path(__file__).resolve().parent
settings = ResponderSettings.from_env(FUNCTION_DIR)
# One conversation's failure holds back only that conversation's later DMs, keeping their order.
processor = SqsFifoPartialProcessor(skip_group_on_error=True)
# Short waits and few retries: no AWS call may outlast the invocation (boto3 waits 60 s by default).
aws_config = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})
queues = Queues(boto3.client("sqs", config=aws_config), settings.queue_url, settings.dead_letter_queue_url)
wiring = Wiring(
    settings,
    boto3.client("dynamodb", config=aws_config),
    AccountDirectory(settings.secret_id, settings.accounts_secret_prefix),
    FUNCTION_DIR,
    sns=cache(lambda: boto3.client("sns", config=aws_config)),
)
wiring.bot(settings, settings.secret_id)  # at cold start: a broken bot configuration fails here, in one line


def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    """Answer one queued DM; raising sends it back to the queue (see settling)."""
    attributes = record.attributes
    message = QueueMessage(
        body=record.body,
        receipt_handle=record.receipt_handle,
        group_id=attributes.message_group_id or "",
        deduplication_id=attributes.message_deduplication_id or record.message_id,
        queued_at=int(attributes.sent_timestamp) / 1000,
        message_id=record.message_id,
        receive_count=int(attributes.approximate_receive_count),
    )
    settle(wiring, queues, message, lambda: lambda_context.get_remaining_time_in_millis() / 1000)


@logger.inject_lambda_context
@tracer().capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """SQS (FIFO) event source entry point, reporting partial batch failures."""
    answer = process_partial_response(event, record_handler, processor, context)
    queues.bring_back_skipped(event, answer)
    return answer
