"""End-to-end latency and throughput of the local pipeline (`make run`): webhook, queue, responder, X.

Starts the local stack, then measures (1) one DM at a time: from the POST to the webhook to the
answer recorded by the fake X; (2) a burst of DMs from many users: how long until all are answered.
The numbers include the local stand-ins (moto, the fake X) and the poller's 0.2 s idle wait.
Run it with `make bench` (which puts the project's packages on PYTHONPATH).
"""

import argparse
import statistics
import time

from devstack.stack_process import LocalStackProcess


def user(user_id: str) -> dict[str, str]:
    """A user of the benchmark."""
    return {"id": user_id, "name": f"User {user_id}", "screen_name": f"user{user_id}"}


def answered(stack: LocalStackProcess, user_id: str, count: int) -> None:
    """Wait until a user has count answers."""
    stack.wait_until(lambda: len(stack.state(user_id)["bot_messages"]) >= count, timeout=60, interval=0.01)


def main() -> None:
    """Start the stack, measure, stop it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sequential", type=int, default=20)
    parser.add_argument("--burst", type=int, default=50)
    options = parser.parse_args()
    with LocalStackProcess(LOG_LEVEL="WARNING", LOOP_MAX_PER_MINUTE="1000") as stack:
        latencies = []
        for n in range(options.sequential):
            started = time.perf_counter()
            stack.post_dm("what are the limits", user("5000")).raise_for_status()
            answered(stack, "5000", n + 1)
            latencies.append((time.perf_counter() - started) * 1000)
        users = [str(6000 + n) for n in range(options.burst)]
        started = time.perf_counter()
        for user_id in users:
            stack.post_dm("hello", user(user_id)).raise_for_status()
        posted = time.perf_counter() - started
        for user_id in users:
            answered(stack, user_id, 1)
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


if __name__ == "__main__":
    main()
