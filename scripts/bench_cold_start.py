"""Cold start of the functions: import plus init, against a bare `import boto3` plus one SQS client.

Each sample is a fresh Python process (as a Lambda cold start is); prints the median and
the 90th percentile over the runs, and the peak resident memory of the process. The functions
are measured as `sam build` ships them: each function's folder built by its own Makefile, the
channel's code compiled to bytecode (so that no sample compiles sources the floor's boto3 has
compiled already).
"""

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from scripts.measured import record

ROOT = Path(__file__).resolve().parent.parent
FLOOR = "`import boto3` + one SQS client (the floor)"

BASELINE = """
import time; start = time.perf_counter()
import boto3
boto3.client("sqs")
"""

FUNCTION = """
import time; start = time.perf_counter()
import importlib.util
spec = importlib.util.spec_from_file_location("app", "{built}/{name}/app.py")
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
        **{name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"},
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


def summary(name: str, samples: list[dict[str, float]], floor: float) -> dict[str, float | str]:
    """Median and p90 time, its ratio to the floor's median, memory and module count."""
    times = sorted(s["ms"] for s in samples)
    median = statistics.median(times)
    return {
        "name": name,
        "median_ms": median,
        "p90_ms": times[min(len(times) - 1, int(len(times) * 0.9))],
        "ratio": median / floor,
        "rss_mb": statistics.median(s["rss_mb"] for s in samples),
        "modules": int(statistics.median(s["modules"] for s in samples)),
    }


def build(name: str, built: Path) -> None:
    """The function's folder as `sam build` makes it: its Makefile's target, with ARTIFACTS_DIR (this Python first)."""
    artifacts = built / name
    artifacts.mkdir()
    target = "build-" + "".join(part.title() for part in name.split("_")) + "Function"
    make = shutil.which("make")
    assert make, "make is needed to build the functions as sam build does"
    subprocess.run(
        [make, "--no-print-directory", "-f", "Makefile", target, f"ARTIFACTS_DIR={artifacts}"],
        cwd=ROOT / "functions" / name,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"},
        stdout=subprocess.DEVNULL,
        check=True,
    )


def main() -> None:
    """Alternate the measurements so that machine noise hits them alike."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        built = Path(folder)
        for name in ("webhook", "responder"):
            build(name, built)
        measure(runs, built)


def measure(runs: int, built: Path) -> None:
    """Sample every program runs times, and print and record what they took."""
    programs = {
        FLOOR: BASELINE,
        "webhook import + init": FUNCTION.format(built=built, name="webhook"),
        "responder import + init": FUNCTION.format(built=built, name="responder"),
        # The first XChat DM of a warm-started responder also loads X's SDK and the account's keys.
        "responder, plus X's SDK and one account's keys (its first XChat DM)": FUNCTION.format(
            built=built, name="responder"
        )
        + XCHAT_FIRST_DM,
    }
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in programs}
    for code_dir in (ROOT / "layers" / "shared", built):
        compileall.compile_dir(code_dir, quiet=1)
    for code in programs.values():
        sample(code)  # warm the file system cache
    for _ in range(runs):
        for name, code in programs.items():
            samples[name].append(sample(code))
    python = sys.version.split()[0]
    print(f"Python {python}, {runs} fresh processes each")
    floor = statistics.median(s["ms"] for s in samples[FLOOR])
    rows = [summary(name, measured, floor) for name, measured in samples.items()]
    for row in rows:
        print(
            f"{row['name']:<30.30} median {row['median_ms']:7.1f} ms   p90 {row['p90_ms']:7.1f} ms"
            f"   rss {row['rss_mb']:6.1f} MB   {row['modules']} modules   {row['ratio']:.2f}x the floor"
        )
    record("cold_start", {"python": python, "runs": runs, "rows": rows})


if __name__ == "__main__":
    main()
