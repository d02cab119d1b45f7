"""Drives `make run` from outside, as a user would: starts `python -m devstack.run`, talks to it over HTTP only.

The end-to-end tests and the pipeline benchmark use it.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from itertools import count
from pathlib import Path
from typing import Any

import requests

from devstack.deliveries import BOT_USER, activity_delivery, dm_delivery, dm_event, encode
from devstack.dev_credentials import DEV_CREDENTIALS
from dmchannel.webhook.signature import SIGNATURE_HEADER, sign

ROOT = Path(__file__).resolve().parent.parent

_event_ids = count(1_795_800_000_000_000_000)


COMMAND = [sys.executable, "-m", "devstack.run"]


def free_port() -> int:
    """A loopback port that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def stack_environment(port: int, **extra: str) -> dict[str, str]:
    """A user's environment (without the caller's AWS and X API settings), with the stack's variables."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "POWERTOOLS_", "X_API"))}
    return {**env, "LOCAL_PORT": str(port), "PYTHONPATH": f"{ROOT / 'layers' / 'shared'}{os.pathsep}{ROOT}", **extra}


class LocalStackProcess:
    """One `make run` process."""

    def __init__(self, port: int | None = None, **environment: str) -> None:
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            COMMAND,
            cwd=ROOT,
            env=stack_environment(self.port, **environment),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.banner = self._read_banner()

    def _read_banner(self) -> str:
        lines = []
        assert self.process.stdout is not None
        for line in self.process.stdout:
            lines.append(line)
            if line.startswith("Ctrl-C stops everything."):
                # Keep reading its logs, or a full pipe would block the stack.
                self.output: list[str] = []
                threading.Thread(target=self.output.extend, args=(self.process.stdout,), daemon=True).start()
                return "".join(lines)
        raise AssertionError("the local stack did not start:\n" + "".join(lines))

    def __enter__(self) -> "LocalStackProcess":
        return self

    def __exit__(self, *_: object) -> None:
        assert self.stop() == 0, "the local stack did not stop cleanly"

    def stop(self) -> int:
        """SIGTERM, as a user's Ctrl-C or a service manager; return the exit status."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=15)

    def post_dm(
        self,
        text: str,
        user: dict[str, str],
        metadata: str | None = None,
        event_id: str | None = None,
        *,
        account: dict[str, str] = BOT_USER,
        surface: str = "account_activity",
    ) -> requests.Response:
        """POST a signed delivery of one DM from user to an account, as the Account Activity or X Activity API."""
        event_id = event_id or str(next(_event_ids))
        now_ms = int(time.time() * 1000)
        event = dm_event(event_id, user["id"], account["id"], text, created_ms=now_ms, quick_reply_metadata=metadata)
        users = [user, account]
        delivery = (
            activity_delivery([event], users, account["id"])
            if surface == "activity_api"
            else dm_delivery([event], users, for_user_id=account["id"])
        )
        body = encode(delivery)
        return self.post_body(body, sign(DEV_CREDENTIALS.consumer_secret, body))

    def post_body(self, body: bytes, signature: str) -> requests.Response:
        """POST raw bytes to the webhook with a signature header."""
        headers = {"content-type": "application/json", SIGNATURE_HEADER: signature}
        return requests.post(f"{self.base}/webhook", data=body, headers=headers, timeout=10)

    def state(self, user_id: str, last_event_id: str = "", account_id: str = BOT_USER["id"]) -> dict[str, Any]:
        """The simulator's view: an account's DMs to user_id (XChat's, decrypted), its counters, the queues, the calls."""
        query = {"user_id": user_id, "last_event_id": last_event_id, "account_id": account_id}
        answer = requests.get(f"{self.base}/simulator/state", params=query, timeout=10)
        answer.raise_for_status()
        state: dict[str, Any] = answer.json()
        return state

    def answered(self, account_id: str = BOT_USER["id"]) -> dict[str, int]:
        """How many answers X took from the account for each user (legacy DMs): cheap to poll, it reads no AWS."""
        answer = requests.get(f"{self.base}/simulator/answered", params={"account_id": account_id}, timeout=10)
        answer.raise_for_status()
        counts: dict[str, int] = answer.json()
        return counts

    def post_xchat(self, text: str, user_id: str, account_id: str = BOT_USER["id"]) -> dict[str, Any]:
        """A person's XChat message, encrypted by the stack's simulated user and delivered as chat.received."""
        body = {"account_id": account_id, "user_id": user_id, "text": text}
        answer = requests.post(f"{self.base}/simulator/xchat", json=body, timeout=10)
        answer.raise_for_status()
        sent: dict[str, Any] = answer.json()
        return sent

    def wait_until(self, check: Callable[[], bool], timeout: float = 20, interval: float = 0.1) -> None:
        """Poll check until it holds; fail after timeout seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(interval)
        raise AssertionError("timed out")

    def settled(self, user_id: str) -> dict[str, Any]:
        """The state once the queue is empty and nothing is in flight."""
        self.wait_until(lambda: _queue_empty(self.state(user_id)))
        time.sleep(0.3)
        return self.state(user_id)


def _queue_empty(state: dict[str, Any]) -> bool:
    return bool(state["queue"]["visible"] == 0 and state["queue"]["in_flight"] == 0)


def bot_texts(state: dict[str, Any]) -> list[str]:
    """The texts of the bot's DMs in a state."""
    return [message["text"] for message in state["bot_messages"]]


def to_json(response: requests.Response) -> Any:
    """A response's JSON body."""
    return json.loads(response.content)
