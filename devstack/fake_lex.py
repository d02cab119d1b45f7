"""A stand-in for Amazon Lex V2's RecognizeText on loopback, with a small scripted coffee-shop bot.

The responder's boto3 client reaches it through AWS_ENDPOINT_URL_LEX_RUNTIME_V2.
"""

import json
import re
from http.server import BaseHTTPRequestHandler
from typing import Any

from devstack.local_http import LocalHTTPServer, LocalRequestHandler, serve_in_background, write_answer

RECOGNIZE_TEXT = re.compile(r"/bots/([^/]+)/botAliases/([^/]+)/botLocales/([^/]+)/sessions/([^/]+)/text")
MENU_CARD: dict[str, Any] = {
    "contentType": "ImageResponseCard",
    "imageResponseCard": {
        "title": "What would you like?",
        "subtitle": "Coffee Shop (Lex)",
        "buttons": [
            {"text": "Order a coffee", "value": "order coffee"},
            {"text": "Opening hours", "value": "opening hours"},
        ],
    },
}


def lex_answer(text: str, session_id: str) -> dict[str, Any]:
    """The scripted bot's RecognizeText answer, in Lex V2's response shape."""
    lowered = text.casefold()
    messages: list[dict[str, Any]]
    if "coffee" in lowered:
        intent, messages = "OrderCoffee", [{"contentType": "PlainText", "content": "One coffee coming up."}]
    elif "hours" in lowered:
        intent, messages = "OpeningHours", [{"contentType": "PlainText", "content": "We are open from 8 am to 6 pm."}]
    else:
        intent, messages = "Welcome", [{"contentType": "PlainText", "content": "Hello from Lex!"}, MENU_CARD]
    state = {"dialogAction": {"type": "Close"}, "intent": {"name": intent, "state": "Fulfilled", "slots": {}}}
    interpretation = {"intent": state["intent"], "nluConfidence": {"score": 0.95}}
    return {"messages": messages, "sessionState": state, "interpretations": [interpretation], "sessionId": session_id}


def _handler() -> type[BaseHTTPRequestHandler]:
    class Handler(LocalRequestHandler):
        def answer(self, method: str, raw: bytes) -> None:
            body = json.loads(raw or b"{}")
            match = RECOGNIZE_TEXT.fullmatch(self.path)
            status, answer = (
                (200, lex_answer(str(body.get("text", "")), match[4])) if match else (404, {"message": "Not Found"})
            )
            write_answer(self, status, {"Content-Type": "application/json"}, json.dumps(answer).encode())

    return Handler


def serve_lex(host: str = "127.0.0.1", port: int = 0) -> LocalHTTPServer:
    """Start the fake Lex in a background thread; stop it with shutdown()."""
    server = LocalHTTPServer((host, port), _handler())
    return serve_in_background(server)
