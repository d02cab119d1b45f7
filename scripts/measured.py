"""The numbers the docs quote, as `make bench` and `make drill` last measured them (docs/measured.json).

Each measurement records its own section and the docs' generated tables are written again from the
file: a table sits between ``<!-- measured: TABLE -->`` and ``<!-- /measured -->``, so a test holds
every page to the last measurement (``pages_as_measured``). Runs with the standard library alone: the
cold-start benchmark records from a virtual environment that holds only what Lambda has.
"""

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MEASURED = ROOT / "docs" / "measured.json"
PAGES = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
BLOCK = re.compile(r"(<!-- measured: (\w+) -->\n)(.*?)(<!-- /measured -->)", re.DOTALL)


def load() -> dict[str, Any]:
    """Every section last measured."""
    found: dict[str, Any] = json.loads(MEASURED.read_text(encoding="utf-8")) if MEASURED.exists() else {}
    return found


def record(section: str, value: Any) -> None:
    """Keep a section's new measurement, and write the docs' tables again from the file."""
    measured = load() | {section: value}
    MEASURED.write_text(json.dumps(measured, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        written = as_measured(text, measured)
        if written != text:
            page.write_text(written, encoding="utf-8")


def pages_as_measured() -> dict[Path, tuple[str, str]]:
    """Each page with a generated table: (as it is, as the last measurement writes it)."""
    measured = load()
    pages = {page: page.read_text(encoding="utf-8") for page in PAGES}
    return {page: (text, as_measured(text, measured)) for page, text in pages.items() if BLOCK.search(text)}


def as_measured(text: str, measured: dict[str, Any]) -> str:
    """A page with each generated table written from the measurement it names."""

    def table(match: re.Match[str]) -> str:
        section, render = TABLES[match.group(2)]
        if section not in measured:  # not measured yet: left as it is
            return match.group(0)
        return match.group(1) + render(measured[section]) + "\n" + match.group(4)

    return BLOCK.sub(table, text)


def markdown(head: list[str], rows: list[list[str]]) -> str:
    """A Markdown table, its columns padded to their widest cell."""
    widths = [max(len(cells[i]) for cells in [head, *rows]) for i in range(len(head))]
    line = "| " + " | ".join(f"{{:{width}}}" for width in widths) + " |"
    rule = "| " + " | ".join("-" * width for width in widths) + " |"
    return "\n".join([line.format(*head), rule, *(line.format(*cells) for cells in rows)])


def _cost(cost: dict[str, Any]) -> str:
    head = ["surface", "bot", "replies/DM", "Lambda calls/DM", "SQS req/DM", "DynamoDB req/DM"]
    head += ["DynamoDB RU/WU per DM", "Secrets calls/DM", "AWS $/M DMs", "X $/M DMs"]
    rows = [
        [
            row["surface"],
            row["bot"],
            f"{row['replies']:.1f}",
            f"{row['lambda_calls']:.2f}",
            f"{row['sqs']:.1f}",
            f"{row['dynamodb_requests']:.1f}",
            f"{row['read_units']:.1f} / {row['write_units']:.1f}",
            f"{row['secrets']:.2f}",
            f"{row['aws_usd']:,.0f}",
            f"{row['x_usd']:,.0f}",
        ]
        for row in cost["rows"]
    ]
    return f"At list prices of {cost['prices']}:\n\n" + markdown(head, rows)


def _requests(cost: dict[str, Any]) -> str:
    operations = sorted({name for row in cost["faq"] for name in row["operations"]})
    head = ["surface", "DynamoDB requests/DM", *operations, "AWS requests in series before the reply"]
    rows = [
        [
            row["surface"],
            f"{sum(row['operations'].values()):.2f}",
            *(f"{row['operations'].get(name, 0):.2f}" for name in operations),
            str(row["serial"]),
        ]
        for row in cost["faq"]
    ]
    return markdown(head, rows)


def _cold_start(cold: dict[str, Any]) -> str:
    rows = [
        [
            row["name"],
            f"{row['median_ms']:.0f} ms",
            f"{row['ratio']:.2f}x",
            f"{row['p90_ms']:.0f} ms",
            f"{row['rss_mb']:.0f} MB",
            str(row["modules"]),
        ]
        for row in cold["rows"]
    ]
    head = ["what", "median", "against the floor", "p90", "peak memory", "modules"]
    return f"Python {cold['python']}, {cold['runs']} fresh processes each:\n\n" + markdown(head, rows)


def _pipeline(pipe: dict[str, Any]) -> str:
    one, xchat, burst = pipe["one_dm"], pipe["one_xchat_dm"], pipe["burst"]
    rates = burst["rates"]
    rows = [
        [
            "one DM at a time, from the webhook POST to the answer at X",
            f"median {one['median_ms']:.0f} ms, p90 {one['p90_ms']:.0f} ms ({one['runs']} DMs)",
        ],
        [
            "one XChat DM at a time, from the simulated user's encryption to its reading of the decrypted answer",
            f"median {xchat['median_ms']:.0f} ms, p90 {xchat['p90_ms']:.0f} ms "
            f"({xchat['median_ms'] / one['median_ms']:.2f}x a legacy DM's)",
        ],
        [
            f"a burst of {burst['dms']} DMs from {burst['dms']} users (the median of {len(rates)})",
            f"the webhook takes them in {burst['posted_s']:.2f} s; all answered after {burst['answered_s']:.1f} s "
            f"({burst['dms'] / burst['answered_s']:.1f} DMs/s on one responder; each burst: "
            f"{', '.join(f'{rate:.1f}' for rate in rates)} DMs/s)",
        ],
    ]
    return markdown(["what", "result"], rows)


def _xchat_crypto(crypto: dict[str, Any]) -> str:
    floor = crypto["steps"][0]["ms"]
    rows = [[step["name"], f"{step['ms']:.2f} ms", f"{step['ms'] / floor:.1f}x"] for step in crypto["steps"]]
    return f"Median of {crypto['rounds']} rounds:\n\n" + markdown(["step", "median", "against signing"], rows)


def _drill(drill: dict[str, Any]) -> str:
    return f"The last full run took {drill['minutes']:.0f} minutes:\n\n" + markdown(drill["head"], drill["rows"])


# Each table a page may hold: the section it is written from, and how.
TABLES: dict[str, tuple[str, Callable[[dict[str, Any]], str]]] = {
    "cost": ("cost", _cost),
    "requests": ("cost", _requests),
    "cold_start": ("cold_start", _cold_start),
    "pipeline": ("pipeline", _pipeline),
    "xchat_crypto": ("xchat_crypto", _xchat_crypto),
    "drill": ("drill", _drill),
}
