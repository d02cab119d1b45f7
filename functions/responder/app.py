"""Responder Lambda: answers the DMs on the FIFO queue through the bot and the X API."""

import time
from pathlib import Path
from typing import Any

import boto3
import requests
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from dmchannel.bots.factory import build_bot
from dmchannel.credentials import load_bot_token, load_credentials
from dmchannel.observability import logger, metrics, tracer
from dmchannel.queued_dm import MalformedQueuedDMError, QueuedDM
from dmchannel.responder.answering import Responder, RetryLaterError
from dmchannel.responder.redelivery import delay_redelivery
from dmchannel.settings import ResponderSettings
from dmchannel.storage.conversation_state import ConversationState
from dmchannel.storage.ledger import Ledger
from dmchannel.x.direct_messages import XClient

settings = ResponderSettings.from_env(Path(__file__).resolve().parent)
# One conversation's failure holds back only that conversation's later DMs, keeping their order.
processor = SqsFifoPartialProcessor(skip_group_on_error=True)
dynamodb = boto3.client("dynamodb")
sqs = boto3.client("sqs")
http = requests.Session()
bot = build_bot(settings, lambda: load_bot_token(settings.secret_id))


def responder_for(context: LambdaContext) -> Responder:
    """The responder, with the current (cached) credentials."""
    credentials = load_credentials(settings.secret_id)
    table, bot_id = settings.table_name, credentials.bot_user_id
    return Responder(
        bot=bot,
        x=XClient(credentials, settings.x_api_base_url, http, api_version=settings.x_dm_api),
        ledger=Ledger(dynamodb, table, bot_id, settings.daily_limit, settings.replies_per_message),
        state=ConversationState(dynamodb, table, bot_id),
        settings=settings,
        remaining_seconds=lambda: context.get_remaining_time_in_millis() / 1000,
    )


def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    """Answer one queued DM; a failure sends it back to the queue (then to the dead-letter queue)."""
    try:
        dm = QueuedDM.from_body(record.body)
    except MalformedQueuedDMError:
        logger.exception("Not a queued DM: it goes to the dead-letter queue after the retries")
        raise
    try:
        responder_for(lambda_context).handle(dm, int(record.attributes.approximate_receive_count))
    except RetryLaterError as error:
        if error.retry_at:
            delay_redelivery(sqs, settings.queue_url, record.receipt_handle, error.retry_at - time.time())
        raise


@logger.inject_lambda_context
@tracer().capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """SQS (FIFO) event source entry point, reporting partial batch failures."""
    return process_partial_response(event, record_handler, processor, context)
