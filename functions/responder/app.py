"""Responder Lambda: answers the DMs on the FIFO queue through the bot and the X API."""

import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import requests
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from dmchannel.accounts import Account, AccountDirectory
from dmchannel.bots.base import Bot
from dmchannel.bots.factory import build_bot
from dmchannel.credentials import load_bot_token
from dmchannel.observability import logger, metrics, tracer
from dmchannel.queued_dm import QueuedDM, Surface
from dmchannel.responder.answering import SAFETY_MARGIN_SECONDS, Responder
from dmchannel.responder.settings import ResponderSettings
from dmchannel.responder.settling import QueueMessage, Queues, settle
from dmchannel.storage.conversation_state import ConversationState
from dmchannel.storage.dm_records import DmRecords
from dmchannel.storage.ledger import Ledger
from dmchannel.storage.memory import ConversationMemory
from dmchannel.storage.sealing import PLAIN, Sealer
from dmchannel.storage.send_window import SendWindow
from dmchannel.storage.token_budget import TokenBudget
from dmchannel.x.direct_messages import XClient
from dmchannel.x.surface_client import SurfaceClient
from dmchannel.xchat.api import ChatApi, TokenSource
from dmchannel.xchat.session import xchat_session

FUNCTION_DIR = Path(__file__).resolve().parent
settings = ResponderSettings.from_env(FUNCTION_DIR)
# One conversation's failure holds back only that conversation's later DMs, keeping their order.
processor = SqsFifoPartialProcessor(skip_group_on_error=True)
# Short waits and few retries: no AWS call may outlast the invocation (boto3 waits 60 s by default).
aws_config = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})
dynamodb = boto3.client("dynamodb", config=aws_config)
queues = Queues(boto3.client("sqs", config=aws_config), settings.queue_url, settings.dead_letter_queue_url)
accounts = AccountDirectory(settings.secret_id, settings.accounts_secret_prefix)
http = requests.Session()
clock: Callable[[], float] = time.time  # the wall clock; `make drill` runs these handlers on a simulated one


@cache
def settings_for(own: frozenset[tuple[str, str]]) -> ResponderSettings:
    """The function's settings with an account's own over them (checked like the environment)."""
    return ResponderSettings.from_env(FUNCTION_DIR, overrides=dict(own)) if own else settings


@cache
def sns() -> Any:
    """The SNS client, made on the first handover."""
    return boto3.client("sns", config=aws_config)


def handover_notifier(topic_arn: str) -> Callable[[str], None] | None:
    """Publishes a handover to the operator's SNS topic, if there is one; a failure is logged, never blocking."""
    if not topic_arn:
        return None

    def publish(notice: str) -> None:
        try:
            sns().publish(TopicArn=topic_arn, Subject="A user asked for a person", Message=notice)
        except (BotoCoreError, ClientError) as error:
            logger.warning("The handover notice was not published", error=type(error).__name__)

    return publish


def token_budget(own: ResponderSettings, account_id: str) -> TokenBudget | None:
    """The account's daily token budget, where its bot is the Bedrock assistant and has one."""
    if own.bot_kind != "bedrock" or not own.daily_token_budget:
        return None
    return TokenBudget(dynamodb, own.table_name, account_id, own.daily_token_budget, clock)


@cache
def bot_for(account_settings: ResponderSettings, budget_account: str = "") -> Bot:
    """One bot per configuration (and per account whose tokens it counts), made on first use."""
    budget = token_budget(account_settings, budget_account) if budget_account else None
    return build_bot(
        account_settings, lambda: load_bot_token(account_settings.secret_id), budget.spend if budget else None
    )


bot_for(settings)  # at cold start: a broken bot configuration fails here, in one line


def responder_for(context: LambdaContext) -> Callable[[Account, QueuedDM], Responder]:
    """How this invocation answers a DM as an account: its token, its settings, its counters, its surface."""

    def remaining_seconds() -> float:
        return context.get_remaining_time_in_millis() / 1000

    def seconds_left() -> float:
        return remaining_seconds() - SAFETY_MARGIN_SECONDS

    def surface(account: Account, own: ResponderSettings, dm: QueuedDM) -> tuple[SurfaceClient, Sealer]:
        if dm.surface is not Surface.XCHAT:
            x = XClient(
                account.credentials,
                own.x_api_base_url,
                http,
                api_version=own.x_dm_api,
                read_timeout=own.x_read_timeout,
                seconds_left=seconds_left,
            )
            return x, PLAIN

        def api(token: TokenSource) -> ChatApi:
            return ChatApi(own.x_api_base_url, http, token, own.x_read_timeout, seconds_left)

        session = xchat_session(account.id, account.secret_id, api)
        return session, session  # an XChat conversation's kept menus and memory are sealed with its key

    def make(account: Account, dm: QueuedDM) -> Responder:
        own = settings_for(frozenset(account.settings.items()))
        table, account_id = own.table_name, account.id
        budget = token_budget(own, account_id)
        x, sealer = surface(account, own, dm)
        return Responder(
            bot=bot_for(own, account_id if budget else ""),
            x=x,
            ledger=Ledger(dynamodb, table, account_id, own.daily_limit, own.replies_per_message, clock),
            records=DmRecords(dynamodb, table, account_id, clock),
            window=SendWindow(dynamodb, table, account_id, clock),
            state=ConversationState(dynamodb, table, account_id, clock, sealer),
            settings=own,
            remaining_seconds=remaining_seconds,
            clock=clock,
            memory=ConversationMemory(
                dynamodb,
                table,
                account_id,
                own.memory_turns,
                ttl_seconds=own.memory_minutes * 60,
                clock=clock,
                sealer=sealer,
            )
            if own.bot_kind == "bedrock" and own.memory_turns
            else None,
            budget=budget,
            notify=handover_notifier(own.handover_topic_arn),
        )

    return make


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
    settle(accounts, responder_for(lambda_context), queues, message)


@logger.inject_lambda_context
@tracer().capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """SQS (FIFO) event source entry point, reporting partial batch failures."""
    answer = process_partial_response(event, record_handler, processor, context)
    queues.bring_back_skipped(event, answer)
    return answer
