"""Integration tier: a moto server for SQS, DynamoDB and Secrets Manager, the fake X, and the functions' handlers."""

import io
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
import requests
from aws_lambda_powertools.utilities import parameters

from devstack.deliveries import BOT_USER, USER, dm_delivery, dm_event
from devstack.dev_credentials import DEV_CREDENTIALS
from devstack.fake_x import FakeX, serve
from devstack.lambda_runtime import LocalFunction, LocalLambdaContext, import_function
from devstack.local_api import make_server
from devstack.local_http import serve_in_background
from devstack.moto_server import start_moto
from devstack.provision import LocalStack, provision
from dmchannel.bots.base import Bot
from dmchannel.queued_dm import QueuedDM
from dmchannel.responder.answering import Responder
from dmchannel.responder.settings import ResponderSettings
from dmchannel.storage.conversation_state import ConversationState
from dmchannel.storage.dm_records import DmRecords
from dmchannel.storage.ledger import Ledger
from dmchannel.storage.send_window import SendWindow
from dmchannel.webhook.account_activity import dms_to_answer
from dmchannel.x.direct_messages import XClient


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """A moto server on loopback; boto3 reaches it through AWS_ENDPOINT_URL."""
    server = start_moto()
    url = f"http://127.0.0.1:{server.server_port}"
    os.environ["AWS_ENDPOINT_URL"] = url
    yield url
    os.environ.pop("AWS_ENDPOINT_URL", None)
    server.shutdown()


@pytest.fixture
def stack(moto_url: str) -> LocalStack:
    """A fresh copy of the template's resources, the secret holding the dev credentials."""
    requests.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()
    parameters.clear_caches()
    return provision(secret_values={"XCredentialsSecret": json.dumps(DEV_CREDENTIALS.secret_values())})


@pytest.fixture
def lambda_context() -> LocalLambdaContext:
    return LocalLambdaContext()


@pytest.fixture
def load_function(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> Callable[..., ModuleType]:
    """Import a function with the environment the template gives it (resolved against moto), plus overrides."""

    def load(name: str, logical_id: str, **overrides: str) -> ModuleType:
        for key, value in {**stack.function_environment(logical_id), **overrides}.items():
            monkeypatch.setenv(key, value)
        return import_function(name)

    return load


@pytest.fixture
def fake_x() -> Iterator[tuple[FakeX, str]]:
    """The fake X API on loopback, accepting the dev credentials; yields it and its base URL."""
    fake = FakeX(DEV_CREDENTIALS)
    server = serve(fake)
    yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def live_webhook(load_function: Callable[..., ModuleType]) -> Iterator[str]:
    """The webhook function behind the local endpoint (as `make run` serves it); yields its URL."""
    webhook = LocalFunction("webhook", load_function("webhook", "WebhookFunction"))
    server = make_server("127.0.0.1", 0, webhook, lambda _: {}, {})
    serve_in_background(server)
    yield f"http://127.0.0.1:{server.server_address[1]}/webhook"
    server.shutdown()


def capture_service_logs(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """What the service's Powertools logger writes from now on (call it after loading the function)."""
    logger = logging.getLogger(os.environ["POWERTOOLS_SERVICE_NAME"])
    handlers = [h for h in logger.handlers if isinstance(h, logging.StreamHandler)]
    assert handlers, "load the function before capturing its logs"
    buffer = io.StringIO()
    for handler in handlers:
        monkeypatch.setattr(handler, "stream", buffer)
    return buffer


@pytest.fixture
def service_logs(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """The service's logs (request it after the function's fixture)."""
    return capture_service_logs(monkeypatch)


def drain(queue_url: str) -> list[dict[str, Any]]:
    """Receive and delete every message (FIFO holds a group back while a batch of it is in flight)."""
    sqs = boto3.client("sqs")
    messages: list[Any] = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
        "Messages", []
    ):
        messages.extend(batch)
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
        )
    return messages


def queued(event_id: str, text: str = "hi", metadata: str | None = None) -> QueuedDM:
    """One DM from the sample user, written now, as the webhook queues it."""
    now_ms = int(time.time() * 1000)
    delivery = dm_delivery(
        [dm_event(event_id, USER["id"], BOT_USER["id"], text, created_ms=now_ms, quick_reply_metadata=metadata)], [USER]
    )
    (dm,) = dms_to_answer(delivery)
    return dm


@pytest.fixture
def make_responder(stack: LocalStack, fake_x: tuple[FakeX, str]) -> Callable[..., Responder]:
    """Makes a Responder for the sample bot account, on moto and the fake X."""

    def make(bot: Bot, read_timeout: float = 10.0, **overrides: Any) -> Responder:
        table, dynamodb = stack.refs["StateTable"], boto3.client("dynamodb")
        settings = ResponderSettings(
            table_name=table,
            queue_url=stack.refs["DmQueue"],
            secret_id="",
            **{"mark_read": False, "typing_indicator": False, **overrides},
        )
        x = XClient(DEV_CREDENTIALS, fake_x[1], read_timeout=read_timeout, api_version=settings.x_dm_api)
        return Responder(
            bot=bot,
            x=x,
            ledger=Ledger(dynamodb, table, BOT_USER["id"], 1000, 5),
            records=DmRecords(dynamodb, table, BOT_USER["id"]),
            window=SendWindow(dynamodb, table, BOT_USER["id"]),
            state=ConversationState(dynamodb, table, BOT_USER["id"]),
            settings=settings,
            remaining_seconds=lambda: 60.0,
        )

    return make
