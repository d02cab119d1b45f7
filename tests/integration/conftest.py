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

from devstack.apigw import http_api_event
from devstack.deliveries import BOT_USER, USER, activity_delivery, dm_delivery, dm_event, encode
from devstack.dev_credentials import DEV_CREDENTIALS
from devstack.fake_x import FakeX, serve
from devstack.lambda_runtime import LocalFunction, LocalLambdaContext, import_function
from devstack.local_api import make_server
from devstack.local_http import serve_in_background
from devstack.moto_server import start_moto
from devstack.poller import BatchResult, poll_once
from devstack.provision import LocalStack, provision
from dmchannel import credentials
from dmchannel.accounts import AccountDirectory
from dmchannel.bots.base import Bot
from dmchannel.queued_dm import QueuedDM
from dmchannel.responder.answering import Responder
from dmchannel.responder.settings import ResponderSettings
from dmchannel.responder.wiring import Wiring
from dmchannel.storage.conversation import Conversations, Seen
from dmchannel.storage.sealing import PLAIN
from dmchannel.storage.table import read_items
from dmchannel.webhook.account_activity import dms_to_answer
from dmchannel.webhook.signature import SIGNATURE_HEADER, sign
from dmchannel.x.direct_messages import XClient
from tests.conftest import ROOT

Loader = Callable[..., ModuleType]
BOT_ID, USER_ID = BOT_USER["id"], USER["id"]


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
    credentials.SECRETS.forget()
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
    while batch := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
    ).get("Messages", []):
        messages.extend(batch)
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
        )
    return messages


def looked(state: Conversations, user: str) -> Seen:
    """The conversation as a tap on the bot's own buttons reads it (with a DM's other reads): nothing counted."""
    return state.seen(user, read_items(state.dynamodb, state.table, state.keys_to_read(user)), "", 0.0, tap=True)


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
    """Makes a Responder for the sample bot account with a bot of the test's, on moto and the fake X."""

    def make(bot: Bot, read_timeout: float = 10.0, **overrides: Any) -> Responder:
        settings = ResponderSettings(
            table_name=stack.refs["StateTable"],
            queue_url=stack.refs["DmQueue"],
            secret_id="",
            **{"mark_read": False, "typing_indicator": False, "reserved_for_opt_outs": 0, **overrides},
        )
        accounts = AccountDirectory(settings.secret_id, "")
        wiring = Wiring(settings, boto3.client("dynamodb"), accounts, ROOT / "functions/responder", bot_override=bot)
        x = XClient(DEV_CREDENTIALS, fake_x[1], read_timeout=read_timeout, api_version=settings.x_dm_api)
        return wiring.assemble(BOT_USER["id"], settings, x, PLAIN, lambda: 60.0)

    return make


@pytest.fixture
def pipeline(
    load_function: Loader, stack: LocalStack, fake_x: tuple[FakeX, str], lambda_context: LocalLambdaContext
) -> Callable[..., "Pipeline"]:
    def make(**overrides: str) -> Pipeline:
        webhook = load_function("webhook", "WebhookFunction")
        responder = load_function("responder", "ResponderFunction", X_API_BASE_URL=fake_x[1], **overrides)
        return Pipeline(webhook, responder, stack, fake_x[0], lambda_context)

    return make


class Pipeline:
    """Webhook -> FIFO queue -> responder -> fake X, driven one step at a time."""

    def __init__(
        self, webhook: ModuleType, responder: ModuleType, stack: LocalStack, fake: FakeX, context: LocalLambdaContext
    ) -> None:
        self.webhook, self.responder, self.stack, self.fake, self.context = webhook, responder, stack, fake, context
        self.sqs = boto3.client("sqs")
        self._ids = iter(range(1_795_600_000_000_000_000, 1_795_700_000_000_000_000))

    def user_says(
        self, text: str, metadata: str | None = None, sender: dict[str, str] = USER, account: str = BOT_ID
    ) -> str:
        event_id = str(next(self._ids))
        created_ms = int(time.time() * 1000)
        event = dm_event(event_id, sender["id"], account, text, created_ms=created_ms, quick_reply_metadata=metadata)
        self.deliver(dm_delivery([event], [sender], for_user_id=account))
        return event_id

    def account_says(self, text: str, surface: str) -> None:
        """The account's own message to the user, as X delivers it back (an echo, or dm.sent)."""
        event = dm_event(str(next(self._ids)), BOT_ID, USER_ID, text, created_ms=int(time.time() * 1000))
        users = [USER, BOT_USER]
        delivery = (
            dm_delivery([event], users) if surface == "aa" else activity_delivery([event], users, event_type="dm.sent")
        )
        self.deliver(delivery)

    def deliver(self, delivery: dict[str, Any]) -> None:
        """POST a signed delivery to the webhook, as X does."""
        body = encode(delivery)
        event = http_api_event(
            "POST",
            "/webhook",
            headers={SIGNATURE_HEADER: sign(DEV_CREDENTIALS.consumer_secret, body)},
            body=body,
        )
        assert self.webhook.lambda_handler(event, self.context)["statusCode"] == 200

    def poll(self) -> BatchResult:
        queue = "DmQueue"
        return poll_once(
            self.sqs,
            self.stack.refs[queue],
            self.stack.attributes[(queue, "Arn")],
            self.responder.lambda_handler,
            self.context,
        )

    def answers(self) -> list[str]:
        return [dm.text for dm in self.fake.sent]

    def expire(self, result: BatchResult) -> None:
        """Make the failed messages visible again, as the end of their visibility timeout does."""
        for message_id in result.failed:
            self.sqs.change_message_visibility(
                QueueUrl=self.stack.refs["DmQueue"], ReceiptHandle=result.receipts[message_id], VisibilityTimeout=0
            )
