"""The Bedrock assistant's daily token budget, on moto's DynamoDB and the Bedrock stand-in."""

from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest

from devstack.deliveries import USER
from devstack.fake_bedrock import serve_bedrock
from devstack.fake_x import FakeX
from devstack.provision import LocalStack
from dmchannel.bots.base import BotKind
from dmchannel.bots.factory import build_bot
from dmchannel.responder.answering import Responder
from dmchannel.responder.settings import ResponderSettings
from dmchannel.storage.token_budget import DAY_SECONDS, TokenBudget
from tests.integration.conftest import queued

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "4337869213"


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The Bedrock stand-in, reached by boto3's bedrock-runtime clients."""
    server = serve_bedrock()
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", f"http://127.0.0.1:{server.server_address[1]}")
    yield
    server.shutdown()


def test_tokens_are_counted_per_account_and_utc_day(stack: LocalStack) -> None:
    clock = [20_000 * DAY_SECONDS + 3_600.0]
    budget = TokenBudget(
        boto3.client("dynamodb"), stack.refs["StateTable"], ACCOUNT, daily_tokens=100, clock=lambda: clock[0]
    )
    other = TokenBudget(
        boto3.client("dynamodb"), stack.refs["StateTable"], "1", daily_tokens=100, clock=lambda: clock[0]
    )
    budget.spend(60)
    assert not budget.exhausted()
    budget.spend(40)
    assert budget.spent_today() == 100 and budget.exhausted()
    assert other.spent_today() == 0
    clock[0] += DAY_SECONDS - 3_600  # 00:00 UTC the next day
    assert budget.spent_today() == 0 and not budget.exhausted()


@pytest.mark.usefixtures("bedrock")
def test_a_spent_budget_stops_model_calls_until_the_next_day(
    make_responder: Callable[..., Responder], stack: LocalStack, fake_x: tuple[FakeX, str]
) -> None:
    clock = [20_000 * DAY_SECONDS + 3_600.0]
    budget = TokenBudget(
        boto3.client("dynamodb"), stack.refs["StateTable"], ACCOUNT, daily_tokens=50, clock=lambda: clock[0]
    )
    settings = ResponderSettings(
        table_name="", queue_url="", secret_id="", bot_kind=BotKind.BEDROCK,
        assistant_prompt_path=ROOT / "functions/responder/assistant.md",
    )  # fmt: skip
    bot = build_bot(settings, lambda: None, budget.spend)
    responder = make_responder(bot)
    responder.budget = budget
    responder.handle(queued("1", "hello"))
    spent = budget.spent_today()
    assert spent > 50  # the first answer's tokens, counted after it
    responder.handle(queued("2", "and now?"))
    texts = [dm.text for dm in fake_x[0].sent]
    assert texts[0].startswith("I'm the channel's assistant") and texts[1] == responder.settings.bot_apology
    assert budget.spent_today() == spent  # no model call once spent
    clock[0] += DAY_SECONDS
    responder.handle(queued("3", "a new day"))
    assert fake_x[0].sent[-1].text.startswith("I'm the channel's assistant")
    assert fake_x[0].sent[-1].recipient_id == USER["id"]
