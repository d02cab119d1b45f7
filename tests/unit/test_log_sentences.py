"""Log lines, and `make run`'s chat lines made of them, are sentences: each starts with a capital letter."""

import ast
from pathlib import Path

from devstack.chat_log import chat_line
from tests.conftest import ROOT

LEVELS = {"debug", "info", "warning", "error", "exception", "critical"}
SOURCES = ("layers/shared", "functions", "devstack", "xdm_cli", "scripts")


def _first_words(path: Path) -> list[tuple[int, str]]:
    """Each logger call's message in the file, as it starts (a constant, or an f-string's leading text)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
            continue
        message = node.args[0]
        if isinstance(message, ast.JoinedStr) and message.values:
            message = message.values[0]
        if node.func.attr in LEVELS and isinstance(message, ast.Constant) and isinstance(message.value, str):
            found.append((node.lineno, message.value))
    return found


def test_every_log_message_starts_with_a_capital_letter() -> None:
    lowercase = [
        f"{path.relative_to(ROOT)}:{line}: {text}"
        for source in SOURCES
        for path in sorted((ROOT / source).rglob("*.py"))
        for line, text in _first_words(path)
        if text[:1].islower()
    ]
    assert lowercase == []


def test_the_scan_reads_logger_calls() -> None:
    handling = ROOT / "layers/shared/dmchannel/webhook/handling.py"
    assert {"CRC token refused", "DMs not queued"} <= {text for _, text in _first_words(handling)}


def test_a_chat_line_keeps_the_message_as_written() -> None:
    line = chat_line({"timestamp": "2026-01-01 10:11:12,000", "level": "WARNING", "message": "CRC token refused"})
    assert line == "10:11:12 ! CRC token refused"


def test_a_dms_chat_line_names_it_then_says_what_became_of_it() -> None:
    entry = {"timestamp": "2026-01-01 10:11:12,000", "level": "ERROR", "dm_id": "1234567890", "sender_id": "42"}
    assert chat_line(entry | {"message": "DMs not queued"}) == "10:11:12 ✗ DM 567890 from 42: DMs not queued"
    answered = entry | {
        "level": "INFO",
        "outcome": "answered",
        "replies_sent": 1,
        "replies_planned": 2,
        "elapsed_ms": 9,
    }
    assert chat_line(answered) == "10:11:12 · DM 567890 from 42: Answered with 1 of 2 replies in 9 ms"
    assert chat_line({"timestamp": "", "queued": 2, "message": "x"}) == "· Queued 2 DM(s) from the webhook"
