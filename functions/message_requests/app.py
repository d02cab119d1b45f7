"""Message-request Lambda (scheduled): accepts each account's pending XChat message requests and queues their messages."""

import time
from typing import Any

import boto3
import requests
from aws_lambda_powertools.utilities.typing import LambdaContext

from dmchannel.accounts import account_secrets
from dmchannel.credentials import load_credentials
from dmchannel.observability import logger, metrics
from dmchannel.scheduled_settings import MessageRequestSettings
from dmchannel.storage.dm_records import DmRecords
from dmchannel.webhook.enqueue import enqueue
from dmchannel.xchat.api import ChatApi
from dmchannel.xchat.message_requests import AcceptPolicy, RequestPicker, pick_up_all

settings = MessageRequestSettings.from_env()
secrets, sqs, dynamodb = boto3.client("secretsmanager"), boto3.client("sqs"), boto3.client("dynamodb")
http = requests.Session()
picker = RequestPicker(
    lambda account_id: DmRecords(dynamodb, settings.table_name, account_id),
    lambda dms: enqueue(sqs, settings.queue_url, dms),
    AcceptPolicy(settings.accept_requests),
    time.time,
)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    """Pick up every account's message requests; say what became of each account."""
    prefix = settings.accounts_secret_prefix
    primary = load_credentials(settings.secret_id).bot_user_id
    stack_secret, *own = account_secrets(secrets, settings.secret_id, prefix)
    # Each account's own secret first; the primary account's XChat material may be in the stack's, as set up before.
    accounts = [(name.removeprefix(prefix), name) for name in own] + [(primary, stack_secret)]
    return pick_up_all(
        picker,
        accounts,
        lambda token: ChatApi(settings.x_api_base_url, http, token),
        lambda: context.get_remaining_time_in_millis() / 1000,
    )
