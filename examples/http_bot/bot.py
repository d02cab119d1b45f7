"""A minimal bot for the channel's HTTP connector (the Rasa REST channel protocol), standard library only.

Run it with `python examples/http_bot/bot.py` (port 5005, or PORT), then
`BOT_KIND=http BOT_URL=http://127.0.0.1:5005/webhooks/rest/webhook make run`.

It receives {"sender": ..., "message": ..., "metadata": {...}} and answers a JSON
list of messages, each with "text" and optional "buttons" [{"title", "payload"}].
"""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PATH = "/webhooks/rest/webhook"


def answer(message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """The whole bot: a greeting with two buttons, and an answer for each button."""
    if message == "/pizza":
        return [{"text": "Margherita or pepperoni?"}, {"text": "Pizzas take 20 minutes."}]
    if message == "/joke":
        return [{"text": "I would tell you a UDP joke, but you might not get it."}]
    name = metadata.get("name") or "there"
    return [
        {
            "text": f"Hello {name}, I am an HTTP bot. You said: {message}",
            "buttons": [
                {"title": "Order a pizza", "payload": "/pizza"},
                {"title": "Tell me a joke", "payload": "/joke"},
            ],
        }
    ]


class Handler(BaseHTTPRequestHandler):
    """POST /webhooks/rest/webhook."""

    def do_POST(self) -> None:
        """Answer one message."""
        if self.path != PATH:
            self.send_error(404)
            return
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        body = json.dumps(answer(str(request.get("message", "")), request.get("metadata") or {})).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "5005"))
    print(f"HTTP bot listening on http://127.0.0.1:{port}{PATH}", flush=True)
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
