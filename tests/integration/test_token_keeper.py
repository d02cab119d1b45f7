"""The XChat token keeper against moto and the fake X: one refresh per token, the newest pair stored, alarms."""

import json
import threading
from collections.abc import Callable
from types import ModuleType

import boto3
import pytest

from devstack.fake_x import FakeX
from devstack.lambda_runtime import LocalLambdaContext
from devstack.provision import LocalStack
from devstack.xchat_user import bot_identity
from tests.integration.conftest import BOT_ID, capture_service_logs


@pytest.fixture
def keeper(
    load_function: Callable[..., ModuleType],
    stack: LocalStack,
    fake_x: tuple[FakeX, str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[ModuleType, str]:
    """The token keeper function, and the stack's secret holding an XChat token that expires in 10 minutes."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake X is plain HTTP on loopback
    fake, url = fake_x
    secrets, secret_id = boto3.client("secretsmanager"), stack.refs["XCredentialsSecret"]
    value = json.loads(secrets.get_secret_value(SecretId=secret_id)["SecretString"])
    identity = bot_identity(fake.xchat, BOT_ID) | {"expires_at": int(fake.clock()) + 600}  # expires in 10 minutes
    secrets.put_secret_value(SecretId=secret_id, SecretString=json.dumps(value | {"xchat": identity}))
    return load_function("token_keeper", "TokenKeeperFunction", X_API_BASE_URL=url), secret_id


def stored_token(secret_id: str) -> dict[str, str]:
    value = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])
    token: dict[str, str] = value["xchat"]
    return token


def test_two_concurrent_runs_refresh_once_and_store_the_newest_pair(
    keeper: tuple[ModuleType, str], fake_x: tuple[FakeX, str], lambda_context: LocalLambdaContext
) -> None:
    function, secret_id = keeper
    old = stored_token(secret_id)
    start, outcomes = threading.Barrier(2), []

    def run() -> None:
        start.wait()
        outcomes.append(function.lambda_handler({}, lambda_context)[secret_id])

    runs = [threading.Thread(target=run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join()
    assert sorted(outcomes) in (["busy", "refreshed"], ["fresh", "refreshed"])
    refreshes = [status for method, path, status in fake_x[0].xchat.calls if path == "/2/oauth2/token"]
    assert refreshes == [200]  # one refresh: the single-use token was never used twice
    new = stored_token(secret_id)
    assert new["refresh_token"] != old["refresh_token"] and new["access_token"] != old["access_token"]
    assert fake_x[0].xchat.user_of({"Authorization": f"Bearer {new['access_token']}"}) == BOT_ID
    assert fake_x[0].xchat.user_of({"Authorization": f"Bearer {old['access_token']}"}) is None  # rotated out
    assert function.lambda_handler({}, lambda_context) == {secret_id: "fresh"}


def test_a_failed_refresh_is_logged_and_counted_for_the_alarm(
    keeper: tuple[ModuleType, str],
    fake_x: tuple[FakeX, str],
    lambda_context: LocalLambdaContext,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    function, secret_id = keeper
    logs = capture_service_logs(monkeypatch)
    old = stored_token(secret_id)
    fake_x[0].xchat.fail_next("token", 400)
    assert function.lambda_handler({}, lambda_context) == {secret_id: "failed"}
    assert stored_token(secret_id) == old
    assert "The XChat token could not be refreshed" in logs.getvalue()
    assert old["refresh_token"] not in logs.getvalue()
    assert '"XChatTokenRefreshFailed"' in capsys.readouterr().out  # the alarm's metric


def test_a_broken_secret_never_keeps_the_next_accounts_token_from_being_kept(keeper: tuple[ModuleType, str]) -> None:
    function, secret_id = keeper
    broken = boto3.client("secretsmanager").create_secret(Name="x-dm-channel/accounts/1", SecretString="not json")
    outcome = function.keeper.keep([broken["ARN"], secret_id])
    assert outcome == {broken["ARN"]: "failed", secret_id: "refreshed"}


def test_a_run_stops_before_its_deadline(keeper: tuple[ModuleType, str]) -> None:
    function, secret_id = keeper
    assert function.keeper.keep([secret_id], lambda: 5.0) == {secret_id: "later"}  # the next run keeps it
