"""`x-dm-channel --local` rehearses the whole set-up against a running `make run`, as a user would, without AWS or X."""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from devstack.dev_credentials import DEV_CREDENTIALS, SECOND_ACCOUNT
from devstack.stack_process import LocalStackProcess, free_port
from tests.conftest import ROOT

COMMAND = str(Path(sys.executable).parent / "x-dm-channel")  # the installed command, as `make run` leaves it
BOT = DEV_CREDENTIALS.bot_user_id


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStackProcess]:
    """A local stack of its own: the rehearsal changes its webhook, subscriptions and secrets."""
    with LocalStackProcess() as running:
        yield running


def user_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A user's shell: no AWS settings or credentials at all, an empty home."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "X_", "OAUTHLIB_", "POWERTOOLS_"))}
    return {**kept, "HOME": str(tmp_path), **extra}


def run(environment: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    """One command, no terminal."""
    return subprocess.run(
        [COMMAND, *argv],
        cwd=ROOT,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_every_setup_step_runs_against_the_local_stack(stack: LocalStackProcess, tmp_path: Path) -> None:
    local = user_environment(tmp_path, X_DM_CHANNEL_LOCAL="1", LOCAL_PORT=str(stack.port))
    status = run(local, "status")
    assert status.returncode == 0, status.stderr
    assert (
        f"WebhookUrl: {stack.base}/webhook" in status.stdout
        and "AccountsSecretPrefix: x-dm-channel/accounts/" in status.stdout
    )

    keys = {"X_CONSUMER_KEY": "dev-consumer-key", "X_CONSUMER_SECRET": "dev-consumer-secret"}
    token = {
        "X_ACCESS_TOKEN": DEV_CREDENTIALS.access_token,
        "X_ACCESS_TOKEN_SECRET": DEV_CREDENTIALS.access_token_secret,
    }
    saved = run({**local, **keys, **token}, "credentials", "set")
    assert saved.returncode == 0 and "Saved consumer_key" in saved.stdout, saved.stderr
    checked = run(local, "credentials", "check")
    assert checked.returncode == 0 and f"(id {BOT}), checked from the stored secret" in checked.stdout, checked.stderr

    registered = run(local, "webhook", "register", "--api", "v2")  # the local X runs a real CRC on the local webhook
    assert registered.returncode == 0 and "X's CRC passed" in registered.stdout, registered.stderr
    assert "valid" in run(local, "webhook", "check", "--api", "v2").stdout
    subscribed = run(local, "subscribe", "--api", "xaa")
    assert subscribed.returncode == 0 and "dm.received" not in subscribed.stderr, subscribed.stderr

    second = {
        "X_ACCESS_TOKEN": SECOND_ACCOUNT.access_token,
        "X_ACCESS_TOKEN_SECRET": SECOND_ACCOUNT.access_token_secret,
    }
    assert run({**local, **second}, "accounts", "add").returncode == 0
    listing = run(local, "accounts", "list").stdout
    assert SECOND_ACCOUNT.bot_user_id in listing and "salesbot" in listing

    login = {**local, "X_OAUTH2_CLIENT_ID": "local-client"}
    asked = run(login, "xchat", "login")  # no terminal: it prints the address to open, then says what to set
    assert asked.returncode == 1 and "X_OAUTH2_REDIRECT" in asked.stderr
    (address,) = re.findall(r"^http://127\.0\.0\.1:\d+/i/oauth2/authorize\?\S+$", asked.stderr, flags=re.MULTILINE)
    consent = requests.get(address, allow_redirects=False, timeout=10)  # what a browser opening it would be sent to
    assert consent.status_code == 302 and consent.headers["Location"].startswith("http://127.0.0.1:8976/callback?code=")
    code = re.findall(r"code=([^&]+)", consent.headers["Location"])[0]
    logged_in = run({**login, "X_OAUTH2_REDIRECT": code}, "xchat", "login")
    assert logged_in.returncode == 0 and "Saved the OAuth 2.0 tokens" in logged_in.stdout, logged_in.stderr
    keys_registered = run(local, "xchat", "keys", "register")  # `make run` gave its accounts keys: X holds them
    assert keys_registered.returncode == 0 and "key is registered" in keys_registered.stdout, keys_registered.stderr
    chat = run(local, "subscribe", "--api", "xaa", "--event", "chat.received")
    assert chat.returncode == 0 and "XChat" in chat.stdout, chat.stderr
    assert "XChat: key version" in run(local, "accounts", "list").stdout


def test_the_flag_does_what_the_variable_does(stack: LocalStackProcess, tmp_path: Path) -> None:
    flagged = run(user_environment(tmp_path, LOCAL_PORT=str(stack.port)), "--local", "status")
    assert flagged.returncode == 0 and f"{stack.base}/webhook" in flagged.stdout, flagged.stderr
    after = run(user_environment(tmp_path, LOCAL_PORT=str(stack.port)), "status", "--local")
    assert after.returncode == 0 and f"{stack.base}/webhook" in after.stdout, after.stderr


def test_no_local_stack_is_one_line(tmp_path: Path) -> None:
    port = free_port()
    ran = run(user_environment(tmp_path, LOCAL_PORT=str(port)), "--local", "status")
    assert ran.returncode == 1
    assert ran.stderr.splitlines() == [
        f"error: no local stack answers at http://127.0.0.1:{port}/local/stack: start one with `make run` "
        "(LOCAL_PORT names another port)"
    ]
