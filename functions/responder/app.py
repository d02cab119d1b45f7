"""Responder Lambda: answers the DMs on the FIFO queue through the bot and the X API (the layer's wiring)."""

from functools import cache
from pathlib import Path
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from dmchannel.accounts import AccountDirectory
from dmchannel.observability import logger, metrics, tracer
from dmchannel.responder.settings import ResponderSettings
from dmchannel.responder.settling import Queues, settle_batch
from dmchannel.responder.wiring import Wiring

FUNCTION_DIR = Path(__file__).resolve().parent
settings = ResponderSettings.from_env(FUNCTION_DIR)
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


@logger.inject_lambda_context
@tracer().capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, list[dict[str, str]]]:
    """SQS (FIFO) event source entry point: each DM answered in order, the ones that stay reported."""
    return settle_batch(wiring, queues, event, lambda: context.get_remaining_time_in_millis() / 1000)
