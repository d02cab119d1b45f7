"""The scheduled webhook check, against the fake X (which runs real CRCs on the live webhook)."""

from collections.abc import Callable
from dataclasses import replace
from types import ModuleType
from typing import Any

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
        "webhook_guard", "WebhookGuardFunction", WEBHOOK_URL=live_webhook, X_API_BASE_URL=fake_x[1], X_ENV_LABEL="dev"
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
    assert guard() == {"healthy": True, "detail": "webhook 7 is valid"}
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
