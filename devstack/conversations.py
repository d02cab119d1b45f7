"""The simulator's conversations, kept by the local stack: what each user wrote, and what became of it.

The user's DMs are read from the deliveries the webhook accepted (with the channel's own
parsers); what became of each is read from the functions' log lines: answered, or left
unanswered and why. So a reload, or a second browser, shows the whole thread.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from devstack.log_capture import LogCapture
from dmchannel.queued_dm import Surface
from dmchannel.webhook.surfaces import dms_in

# The responder's log lines that mean no answer will come (or not yet), and how the simulator says it.
OUTCOMES = (
    ("Unanswered: the conversation is muted", "muted: you wrote faster than a person does"),
    ("Conversation muted", "muted: you wrote faster than a person does"),
    ("Unanswered: the user opted out", "not answered: you opted out (send START)"),
    ("Unanswered: the daily DM limit is reached", "not answered: the account's daily limit is reached"),
    ("Replies dropped: the per-message limit is reached", "the per-message limit stopped the answer"),
    ("Unanswered: the DM is more than 24 hours old", "not answered: more than 24 hours old"),
    ("X's send window is spent", "waiting for X's rate limit to reset"),
    ("Unanswered: a person has this conversation", "left to the person who took the conversation"),
)
BOT_DOWN = "The bot could not answer"


@dataclass
class Conversations:
    """Every thread of the local stack, by (account, user)."""

    logs: LogCapture | None = None
    _messages: list[dict[str, Any]] = field(default_factory=list)
    _cleared: dict[tuple[str, str], float] = field(default_factory=dict)  # (account, user) -> cleared at (ms)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, body: bytes, status: int) -> None:
        """Keep the DMs of a delivery the webhook was given, with how it answered."""
        try:
            delivery = json.loads(body)
        except ValueError:
            return
        if not isinstance(delivery, dict):
            return
        with self._lock:
            for dm in dms_in(delivery):
                if dm.surface is Surface.XCHAT:
                    continue  # encrypted: record_xchat keeps what the person typed
                self._messages.append(
                    {
                        "id": dm.dm_id,
                        "account_id": dm.account_id,
                        "user_id": dm.recipient_id or dm.sender_id,
                        "person": dm.from_account,  # written as the account, by a person
                        "text": dm.text,
                        "at": dm.created_at_ms or int(time.time() * 1000),
                        "status": "sent" if status == 200 else f"webhook answered {status}",
                    }
                )

    def record_xchat(self, account_id: str, user_id: str, message_id: str, text: str, status: int) -> None:
        """Keep a person's XChat message: the webhook saw it encrypted, so the simulator keeps what was typed."""
        with self._lock:
            self._messages.append(
                {
                    "id": message_id,
                    "account_id": account_id,
                    "user_id": user_id,
                    "person": False,
                    "text": text,
                    "at": int(time.time() * 1000),
                    "status": "sent" if status == 200 else f"webhook answered {status}",
                    "encrypted": True,
                }
            )

    def clear(self, account_id: str, user_id: str) -> None:
        """Start the thread afresh (what was said stays with X; the simulator shows it no more)."""
        with self._lock:
            self._cleared[(account_id, user_id)] = time.time() * 1000

    def since(self, account_id: str, user_id: str) -> float:
        """When the thread was last cleared (ms), or 0."""
        return self._cleared.get((account_id, user_id), 0.0)

    def thread(self, account_id: str, user_id: str) -> list[dict[str, Any]]:
        """The user's DMs to the account since the last clear, each with its outcome, if it has one."""
        since = self.since(account_id, user_id)
        outcomes = self._outcomes()
        with self._lock:
            return [
                {**message, "outcome": outcomes.get(message["id"], "")}
                for message in self._messages
                if (message["account_id"], message["user_id"]) == (account_id, user_id) and message["at"] >= since
            ]

    def _outcomes(self) -> dict[str, str]:
        """The last word of the functions' logs on each DM that will get no answer (or not yet)."""
        said: dict[str, str] = {}
        for line in list(self.logs.records) if self.logs else []:
            dm_id, message = line.get("dm_id"), str(line.get("message", ""))
            if not dm_id:
                continue
            if message == "DM answered":
                said.pop(dm_id, None)
            elif message.startswith(BOT_DOWN) and line.get("retry"):
                said[dm_id] = "the bot is down: trying again"
            else:
                outcome = next((outcome for start, outcome in OUTCOMES if message.startswith(start)), None)
                if outcome:
                    said[dm_id] = outcome
        return said
