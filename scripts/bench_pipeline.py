"""End-to-end latency and throughput of the local pipeline (`make run`): webhook, queue, responder, X.

Starts the local stack, then measures (1) one DM at a time: from the POST to the webhook to the
answer recorded by the fake X; (2) a burst of DMs from many users: how long until all are answered.
The numbers include the local stand-ins (moto, the fake X) and the poller's 0.2 s idle wait.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared")]

from devstack.deliveries import BOT_USER, dm_delivery, dm_event, encode  # noqa: E402
from devstack.dev_credentials import DEV_CREDENTIALS  # noqa: E402
from dmchannel.signature import SIGNATURE_HEADER, sign  # noqa: E402

PORT = int(os.environ.get("BENCH_PORT", "3999"))
BASE = f"http://127.0.0.1:{PORT}"


def post_dm(user_id: str, event_id: str, text: str) -> None:
    """POST one signed DM delivery to the webhook."""
    user = {"id": user_id, "name": f"User {user_id}", "screen_name": f"user{user_id}"}
    body = encode(dm_delivery([dm_event(event_id, user_id, BOT_USER["id"], text)], [user, BOT_USER]))
    headers = {"content-type": "application/json", SIGNATURE_HEADER: sign(DEV_CREDENTIALS["consumer_secret"], body)}
    requests.post(f"{BASE}/webhook", data=body, headers=headers, timeout=10).raise_for_status()


def answers(user_id: str) -> int:
    """How many DMs the fake X recorded for a user."""
    state = requests.get(f"{BASE}/simulator/state", params={"user_id": user_id}, timeout=10).json()
    return len(state["bot_messages"])


def wait_for(user_id: str, count: int, timeout: float = 60) -> None:
    """Wait until a user has count answers."""
    deadline = time.monotonic() + timeout
    while answers(user_id) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"user {user_id} got {answers(user_id)} answers, not {count}")
        time.sleep(0.01)


def main() -> None:
    """Start the stack, measure, stop it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sequential", type=int, default=20)
    parser.add_argument("--burst", type=int, default=50)
    options = parser.parse_args()
    env = {
        **os.environ,
        "LOCAL_PORT": str(PORT),
        "PYTHONPATH": f"{ROOT / 'layers' / 'shared'}{os.pathsep}{ROOT}",
        "LOG_LEVEL": "WARNING",
        "LOOP_MAX_PER_MINUTE": "1000",
    }
    stack = subprocess.Popen(
        [sys.executable, "-m", "devstack.run"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert stack.stdout is not None
        for line in stack.stdout:
            if line.startswith("Ctrl-C"):
                break
        # Keep reading its logs, or a full pipe would block the stack.
        threading.Thread(target=stack.stdout.read, daemon=True).start()
        latencies = []
        for n in range(options.sequential):
            started = time.perf_counter()
            post_dm("5000", str(1_796_000_000_000_000_000 + n), "what are the limits")
            wait_for("5000", n + 1)
            latencies.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        users = [str(6000 + n) for n in range(options.burst)]
        for n, user in enumerate(users):
            post_dm(user, str(1_797_000_000_000_000_000 + n), "hello")
        posted = time.perf_counter() - started
        for user in users:
            wait_for(user, 1)
        elapsed = time.perf_counter() - started
        latencies.sort()
        print(
            f"one DM at a time ({options.sequential}): median {statistics.median(latencies):.0f} ms, "
            f"p90 {latencies[int(len(latencies) * 0.9) - 1]:.0f} ms from webhook POST to the answer at X"
        )
        print(
            f"burst of {options.burst} DMs from {options.burst} users: webhook took them in {posted:.2f} s, "
            f"all answered after {elapsed:.2f} s ({options.burst / elapsed:.1f} DMs/s)"
        )
    finally:
        stack.send_signal(signal.SIGTERM)
        stack.wait(timeout=15)


if __name__ == "__main__":
    main()
