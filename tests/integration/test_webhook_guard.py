"""The scheduled webhook check, against the fake X (which runs real CRCs on the live webhook)."""

from collections.abc import Callable
from dataclasses import replace
from types import ModuleType
from typing import Any

import boto3
import pytest

from devstack.dev_credentials import DEV_CREDENTIALS
from devstack.fake_x import FakeX
from devstack.lambda_runtime import LocalLambdaContext
from devstack.provision import LocalStack


@pytest.fixture
def guard(
    load_function: Callable[..., ModuleType], live_webhook: str, fake_x: tuple[FakeX, str]
) -> Callable[[], dict[str, Any]]:
    module = load_function(
        "webhook_guard",
        "WebhookGuardFunction",
        WEBHOOK_URL=live_webhook,
        X_API_BASE_URL=fake_x[1],
        X_ENV_LABEL="dev",
        X_WEBHOOK_API="v1.1",
    )
    return lambda: module.lambda_handler({"source": "aws.events"}, LocalLambdaContext())


def register(fake: FakeX, url: str, valid: bool) -> dict[str, Any]:
    hook = {"url": url, "valid": valid, "env": "dev"}
    fake.account_activity.webhooks["7"] = hook
    return hook


def test_healthy_webhook(
    guard: Callable[[], dict[str, Any]],
    fake_x: tuple[FakeX, str],
    live_webhook: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    register(fake_x[0], live_webhook, valid=True)
    assert guard() == {"healthy": True, "detail": "webhook 7 is valid", "subscription_gaps": []}
    assert '"WebhookHealthy":[1.0]' in capsys.readouterr().out


def test_invalid_webhook_is_revalidated_by_a_crc(
    guard: Callable[[], dict[str, Any]], fake_x: tuple[FakeX, str], live_webhook: str
) -> None:
    hook = register(fake_x[0], live_webhook, valid=False)
    assert guard()["healthy"] is True
    assert hook["valid"] is True


def test_failing_crc_is_reported_for_the_alarm(
    guard: Callable[[], dict[str, Any]],
    fake_x: tuple[FakeX, str],
    live_webhook: str,
    stack: LocalStack,
    capsys: pytest.CaptureFixture[str],
) -> None:
    register(fake_x[0], live_webhook, valid=False)
    wrong = replace(DEV_CREDENTIALS, consumer_secret="rotated-but-not-on-x")
    fake_x[0].account_activity.credentials = wrong  # X now expects another app secret
    result = guard()
    assert result["healthy"] is False and "CRC failed" in result["detail"]
    assert '"WebhookHealthy":[0.0]' in capsys.readouterr().out


def test_missing_webhook_is_unhealthy(guard: Callable[[], dict[str, Any]]) -> None:
    result = guard()
    assert result["healthy"] is False and "no webhook is registered" in result["detail"]


def test_subscriptions_missing_or_on_another_webhook_are_counted_for_the_alarm(
    load_function: Callable[..., ModuleType],
    live_webhook: str,
    fake_x: tuple[FakeX, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = fake_x[0].account_activity
    fake.page_size = 1  # X pages its list: every page is read
    fake.webhooks["8"] = {"url": live_webhook, "valid": True, "env": None}
    fake.webhooks["9"] = {"url": "https://old.example/webhook", "valid": True, "env": None}
    primary = DEV_CREDENTIALS.bot_user_id
    fake.activity["1"] = {"id": "1", "event_type": "dm.received", "filter": {"user_id": primary}, "webhook_id": "8"}
    fake.activity["2"] = {"id": "2", "event_type": "dm.sent", "filter": {"user_id": primary}, "webhook_id": "9"}
    guard = load_function(
        "webhook_guard", "WebhookGuardFunction", WEBHOOK_URL=live_webhook, X_API_BASE_URL=fake_x[1], X_WEBHOOK_API="v2"
    )
    checked = guard.lambda_handler({"source": "aws.events"}, LocalLambdaContext())
    assert checked["healthy"] is True
    assert checked["subscription_gaps"] == [
        f"account {primary}: no dm.sent subscription on webhook 8",  # a person answering by hand would go unseen
        f"account {primary}: its dm.sent subscription 2 goes to webhook 9, not 8",
    ]
    assert '"SubscriptionsMissing":[2.0]' in capsys.readouterr().out
    bot = "1960000000000000001"  # a Bots API bot, on XChat alone: its chat events are all it needs
    for number, event in ((3, "chat.received"), (4, "chat.sent")):
        fake.activity[str(number)] = {
            "id": str(number),
            "event_type": event,
            "filter": {"user_id": bot},
            "webhook_id": "8",
        }
    boto3.client("secretsmanager").create_secret(Name=f"x-dm-channel/accounts/{bot}", SecretString="{}")
    gaps = guard.lambda_handler({"source": "aws.events"}, LocalLambdaContext())["subscription_gaps"]
    assert not [gap for gap in gaps if bot in gap]
    del fake.activity["1"]  # deleted at X
    checked = guard.lambda_handler({"source": "aws.events"}, LocalLambdaContext())
    assert f"account {primary}: no dm.received subscription on webhook 8" in checked["subscription_gaps"]
