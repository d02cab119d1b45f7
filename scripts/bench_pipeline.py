"""End-to-end latency and throughput of the local pipeline (`make run`): webhook, queue, responder, X.

Starts the local stack, then measures (1) one DM at a time: from the POST to the webhook to the
answer recorded by the fake X; (2) a burst of DMs from many users: how long until all are answered,
three times (new users each time), the median burst recorded with the rate of each. The numbers
include the local stand-ins (moto, the fake X) and the poller's 0.2 s idle wait.
Run it with `make bench` (which puts the project's packages on PYTHONPATH).
"""

import argparse
import statistics
import time
from collections.abc import Callable

from devstack.stack_process import LocalStackProcess
from scripts.measured import record


def user(user_id: str) -> dict[str, str]:
    """A user of the benchmark."""
    return {"id": user_id, "name": f"User {user_id}", "screen_name": f"user{user_id}"}


def answered(stack: LocalStackProcess, user_id: str, count: int, interval: float = 0.01) -> None:
    """Wait until a user has count answers (XChat's as the user decrypts them), looking every interval seconds."""
    stack.wait_until(lambda: len(stack.state(user_id)["bot_messages"]) >= count, timeout=60, interval=interval)


def sequential(stack: LocalStackProcess, runs: int, send: Callable[[], object], user_id: str) -> list[float]:
    """One DM at a time: the milliseconds from sending it to its answer, each."""
    latencies = []
    for n in range(runs):
        started = time.perf_counter()
        send()
        answered(stack, user_id, n + 1)
        latencies.append((time.perf_counter() - started) * 1000)
    return sorted(latencies)


def spread(latencies: list[float]) -> dict[str, float]:
    """The median and p90 of some latencies (sorted), and how many there were."""
    p90 = latencies[int(len(latencies) * 0.9) - 1]
    return {"median_ms": statistics.median(latencies), "p90_ms": p90, "runs": len(latencies)}


def line(what: str, measured: dict[str, float]) -> str:
    """One line of the report."""
    return f"{what} ({measured['runs']:.0f}): median {measured['median_ms']:.0f} ms, p90 {measured['p90_ms']:.0f} ms"


def burst(stack: LocalStackProcess, users: list[str]) -> dict[str, float]:
    """DMs from each user at once: how long the webhook took them, and how long until all were answered."""
    started = time.perf_counter()
    for user_id in users:
        stack.post_dm("hello", user(user_id)).raise_for_status()
    posted = time.perf_counter() - started
    # Looked at through X's record alone: a look at the simulator's state would read the table and the queues.
    stack.wait_until(lambda: all(stack.answered().get(user_id) for user_id in users), timeout=60, interval=0.02)
    return {"dms": len(users), "posted_s": posted, "answered_s": time.perf_counter() - started}


def main() -> None:
    """Start the stack, measure, stop it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sequential", type=int, default=20)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--bursts", type=int, default=3)
    options = parser.parse_args()
    with LocalStackProcess(LOG_LEVEL="WARNING", LOOP_MAX_PER_MINUTE="1000") as stack:
        latencies = sequential(
            stack, options.sequential, lambda: stack.post_dm("what are the limits", user("5000")), "5000"
        )
        # XChat: the simulated user encrypts and posts to the fake X, which frames it and delivers chat.received;
        # the time includes the user's encryption and, at the end, the user's fetch and decryption of the answer.
        encrypted = sequential(
            stack, options.sequential, lambda: stack.post_xchat("what are the limits", "5001"), "5001"
        )
        bursts = [
            burst(stack, [str(6000 + round_ * options.burst + n) for n in range(options.burst)])
            for round_ in range(options.bursts)
        ]
    one, xchat = spread(latencies), spread(encrypted)
    print(line("one DM at a time", one) + " from webhook POST to the answer at X")
    print(
        line("one XChat DM at a time", xchat)
        + f" ({xchat['median_ms'] / one['median_ms']:.2f}x), from the user's encryption to the answer decrypted"
    )
    middle = sorted(bursts, key=lambda one_burst: one_burst["answered_s"])[len(bursts) // 2]
    rates = [one_burst["dms"] / one_burst["answered_s"] for one_burst in bursts]
    print(
        f"burst of {options.burst} DMs from {options.burst} users, the median of {len(bursts)}: webhook took them "
        f"in {middle['posted_s']:.2f} s, all answered after {middle['answered_s']:.2f} s "
        f"({options.burst / middle['answered_s']:.1f} DMs/s; each: {', '.join(f'{rate:.1f}' for rate in rates)})"
    )
    record("pipeline", {"one_dm": one, "one_xchat_dm": xchat, "burst": {**middle, "rates": rates}})


if __name__ == "__main__":
    main()
