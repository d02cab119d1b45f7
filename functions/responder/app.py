"""Responder Lambda: answers the DMs on the FIFO queue through the bot and the X API."""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import requests
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from dmchannel.bots.factory import build_bot
from dmchannel.credentials import load_bot_token, load_credentials
from dmchannel.observability import logger, metrics, tracer
from dmchannel.responder.answering import SAFETY_MARGIN_SECONDS, Responder
from dmchannel.responder.settling import QueueMessage, Queues, settle
from dmchannel.settings import ResponderSettings
from dmchannel.storage.conversation_state import ConversationState
from dmchannel.storage.dm_records import DmRecords
from dmchannel.storage.ledger import Ledger
from dmchannel.storage.send_window import SendWindow
from dmchannel.x.direct_messages import XClient

settings = ResponderSettings.from_env(Path(__file__).resolve().parent)
# One conversation's failure holds back only that conversation's later DMs, keeping their order.
processor = SqsFifoPartialProcessor(skip_group_on_error=True)
# Short waits and few retries: no AWS call may outlast the invocation (boto3 waits 60 s by default).
aws_config = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})
dynamodb = boto3.client("dynamodb", config=aws_config)
queues = Queues(boto3.client("sqs", config=aws_config), settings.queue_url, settings.dead_letter_queue_url)
http = requests.Session()
bot = build_bot(settings, lambda: load_bot_token(settings.secret_id))
clock: Callable[[], float] = time.time  # the wall clock; `make drill` runs these handlers on a simulated one


def responder_for(context: LambdaContext) -> Responder:
    """The responder, with the current (cached) credentials and this invocation's time."""
    credentials = load_credentials(settings.secret_id)
    table, bot_id = settings.table_name, credentials.bot_user_id

    def remaining_seconds() -> float:
        return context.get_remaining_time_in_millis() / 1000

    return Responder(
        bot=bot,
        x=XClient(
            credentials,
            settings.x_api_base_url,
            http,
            api_version=settings.x_dm_api,
            read_timeout=settings.x_read_timeout,
            seconds_left=lambda: remaining_seconds() - SAFETY_MARGIN_SECONDS,
        ),
        ledger=Ledger(dynamodb, table, bot_id, settings.daily_limit, settings.replies_per_message, clock),
        records=DmRecords(dynamodb, table, bot_id, clock),
        window=SendWindow(dynamodb, table, bot_id, clock),
        state=ConversationState(dynamodb, table, bot_id, clock),
        settings=settings,
        remaining_seconds=remaining_seconds,
        clock=clock,
    )


def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    """Answer one queued DM; raising sends it back to the queue (see settling)."""
    attributes = record.attributes
    message = QueueMessage(
        body=record.body,
        receipt_handle=record.receipt_handle,
        group_id=attributes.message_group_id or "",
        deduplication_id=attributes.message_deduplication_id or record.message_id,
        queued_at=int(attributes.sent_timestamp) / 1000,
    )
    settle(responder_for(lambda_context), queues, message)


@logger.inject_lambda_context
@tracer().capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """SQS (FIFO) event source entry point, reporting partial batch failures."""
    answer = process_partial_response(event, record_handler, processor, context)
    queues.bring_back_skipped(event, answer)
    return answer
