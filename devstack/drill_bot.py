"""A scriptable bot for the drills (Rasa REST protocol): slow, down or flapping, and every answer traceable.

Each answer quotes the user's text and names the call that made it ("call 7, part 2/3"), so a
drill can tell whether a DM's replies all come from one call to the bot.
"""

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from devstack.local_http import LocalHTTPServer, LocalRequestHandler, serve_in_background, write_answer


@dataclass
class DrillBot:
    """What the bot does: how long it thinks, which calls fail (503), how many parts each answer has."""

    delay: float = 0.0
    fails: Callable[[int], bool] = lambda _call: False
    parts: int = 2
    calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next_call(self) -> int:
        """Count one call; return its number (from 1)."""
        with self._lock:
            self.calls += 1
            return self.calls


def _handler(bot: DrillBot) -> type[BaseHTTPRequestHandler]:
    class Handler(LocalRequestHandler):
        def answer(self, method: str, body: bytes) -> None:
            call = bot.next_call()
            time.sleep(bot.delay)
            if bot.fails(call):
                write_answer(self, 503, {"Content-Type": "application/json"}, b'{"error": "down"}')
                return
            message = str(json.loads(body or b"{}").get("message", ""))
            replies = [{"text": f"re: {message} | call {call}, part {n}/{bot.parts}"} for n in range(1, bot.parts + 1)]
            write_answer(self, 200, {"Content-Type": "application/json"}, json.dumps(replies).encode())

    return Handler


def serve_drill_bot(bot: DrillBot, host: str = "127.0.0.1") -> LocalHTTPServer:
    """Start the bot on a free loopback port; stop it with shutdown()."""
    return serve_in_background(LocalHTTPServer((host, 0), _handler(bot)))
