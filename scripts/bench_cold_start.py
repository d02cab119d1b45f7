"""Cold start of the functions: import plus init, against a bare `import boto3` plus one SQS client.

Each sample is a fresh Python process (as a Lambda cold start is); prints the median and
the 90th percentile over the runs, and the peak resident memory of the process.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BASELINE = """
import time; start = time.perf_counter()
import boto3
boto3.client("sqs")
"""

FUNCTION = """
import time; start = time.perf_counter()
import importlib.util
spec = importlib.util.spec_from_file_location("app", "functions/{name}/app.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
"""

XCHAT_FIRST_DM = """
from chat_xdk import Chat
Chat().generate_keypairs()
"""

REPORT = """
elapsed = time.perf_counter() - start
import json, resource, sys
print(json.dumps({"ms": elapsed * 1000, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "modules": len(sys.modules)}))
"""


def sample(code: str) -> dict[str, float]:
    """Run one fresh interpreter and return what it measured."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "layers" / "shared"),
        "AWS_DEFAULT_REGION": "us-east-1",
        "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/DmQueue.fifo",
        "DEAD_LETTER_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/DmDeadLetterQueue.fifo",
        "SECRET_ID": "XCredentialsSecret",
        "ACCOUNTS_SECRET_PREFIX": "x-dm-channel/accounts/",
        "TABLE_NAME": "StateTable",
        # What Lambda sets: Powertools and the X-Ray SDK take their Lambda code paths.
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "LAMBDA_TASK_ROOT": str(ROOT),
        "POWERTOOLS_SERVICE_NAME": "x-dm-channel",
    }
    out = subprocess.run(
        [sys.executable, "-c", code + REPORT], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, float] = json.loads(out)
    return result


def summary(name: str, samples: list[dict[str, float]]) -> str:
    """One line: median and p90 time, memory and module count."""
    times = sorted(s["ms"] for s in samples)
    p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
    rss = statistics.median(s["rss_mb"] for s in samples)
    modules = int(statistics.median(s["modules"] for s in samples))
    return (
        f"{name:<28} median {statistics.median(times):7.1f} ms   p90 {p90:7.1f} ms"
        f"   rss {rss:6.1f} MB   {modules} modules"
    )


def main() -> None:
    """Alternate the measurements so that machine noise hits them alike."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    programs = {
        "import boto3 + SQS client": BASELINE,
        "webhook import + init": FUNCTION.format(name="webhook"),
        "responder import + init": FUNCTION.format(name="responder"),
        # The first XChat DM of a warm-started responder also loads X's SDK and the account's keys.
        "responder + XChat SDK + keys": FUNCTION.format(name="responder") + XCHAT_FIRST_DM,
    }
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in programs}
    for code in programs.values():
        sample(code)  # warm the file system cache
    for _ in range(runs):
        for name, code in programs.items():
            samples[name].append(sample(code))
    print(f"Python {sys.version.split()[0]}, {runs} fresh processes each")
    floor = statistics.median(s["ms"] for s in samples["import boto3 + SQS client"])
    for name, measured in samples.items():
        ratio = statistics.median(s["ms"] for s in measured) / floor
        print(summary(name, measured) + f"   {ratio:.2f}x the floor")


if __name__ == "__main__":
    main()
