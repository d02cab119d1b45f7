"""`make run`'s console: one short line per event, as a chat log (LOG_FORMAT=json keeps the functions' JSON).

Lines are told apart by their fields (a DM's ``outcome``, a delivery's ``queued``), never by their wording.
"""

import io
import json
import logging
import os
import sys
from typing import Any, TextIO

# The fields worth a glance, in the order they read best.
SHOWN = (
    "account_id",
    "rule",
    "detail",
    "replies_sent",
    "replies_planned",
    "elapsed_ms",
    "status",
    "codes",
    "error",
    "retry",
    "reason",
)


def chat_line(entry: dict[str, Any]) -> str:
    """One line for one of the functions' JSON log entries."""
    clock = str(entry.get("timestamp", ""))[11:19]
    message = str(entry.get("message", ""))
    who = f"DM {str(entry['dm_id'])[-6:]} from {entry.get('sender_id', '?')}" if entry.get("dm_id") else ""
    if entry.get("outcome") == "answered" and "replies_sent" in entry:
        text = f"Answered with {entry['replies_sent']} of {entry.get('replies_planned')} replies in {entry.get('elapsed_ms')} ms"
    elif "queued" in entry:
        text = f"Queued {entry['queued']} DM(s) from the webhook"
    else:
        details = ", ".join(f"{key} {entry[key]}" for key in SHOWN if key in entry)
        text = message[:1].upper() + message[1:] + (f" ({details})" if details else "")
    mark = {"WARNING": "!", "ERROR": "✗", "CRITICAL": "✗"}.get(str(entry.get("level")), "·")
    return " ".join(part for part in (clock, mark, f"{who}:" if who else "", text) if part)


class ChatStream(io.TextIOBase):
    """The console: each JSON log line becomes a chat line, metric lines are dropped, anything else passes."""

    def __init__(self, out: TextIO) -> None:
        super().__init__()
        self.out = out

    def write(self, text: str) -> int:
        """Translate whole JSON lines."""
        for line in text.splitlines(keepends=True):
            try:
                entry = json.loads(line)
            except ValueError:
                self.out.write(line)
                continue
            if isinstance(entry, dict) and "_aws" in entry:
                continue  # a metric, in CloudWatch's embedded format: for CloudWatch, not the console
            self.out.write(chat_line(entry) + "\n" if isinstance(entry, dict) else line)
        return len(text)

    def flush(self) -> None:
        """Flush the console."""
        self.out.flush()


def install(service: str) -> None:
    """Once the functions have loaded: chat lines on the service's handlers; the tracer's own logging off."""
    if os.environ.get("LOG_FORMAT", "").lower() == "json":
        return
    logging.getLogger("aws_lambda_powertools.tracing").setLevel(logging.CRITICAL)
    console = ChatStream(sys.stdout)
    for handler in logging.getLogger(service).handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(console)
    sys.stdout = console  # metrics written with print()
