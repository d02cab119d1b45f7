"""A stand-in for Amazon Bedrock's Converse API on loopback: a scripted assistant that answers with the reply tool.

The responder's boto3 client reaches it through AWS_ENDPOINT_URL_BEDROCK_RUNTIME. Scripted:
a DM mentioning "busy" is throttled (429, as Bedrock does); one mentioning "forbidden" meets
a guardrail; anything else is echoed with two options, and counted in tokens.
"""

import json
import re
from http.server import BaseHTTPRequestHandler
from typing import Any

from devstack.local_http import LocalHTTPServer, LocalRequestHandler, serve_in_background, write_answer

CONVERSE = re.compile(r"/model/([^/]+)/converse")
GUARDRAIL_MESSAGE = "Sorry, I can't talk about that."


def converse_answer(request: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
    """The scripted assistant's answer to a Converse request: status, headers, body."""
    messages = request.get("messages", [])
    said = " ".join(block.get("text", "") for block in (messages[-1].get("content", []) if messages else []))
    remembered = (len(messages) - 1) // 2  # the earlier exchanges it was given
    usage = {"inputTokens": len(json.dumps(request)) // 4, "outputTokens": 40, "totalTokens": 0}
    if "busy" in said.lower():
        return 429, {"x-amzn-ErrorType": "ThrottlingException"}, {"message": "Too many requests, please wait."}
    if "forbidden" in said.lower():
        message = {"role": "assistant", "content": [{"text": GUARDRAIL_MESSAGE}]}
        body = {"output": {"message": message}, "stopReason": "guardrail_intervened", "usage": usage}
        return 200, {}, {**body, "metrics": {"latencyMs": 5}}
    reply = {
        "text": f"I'm the channel's assistant (a stand-in for Bedrock). You said: {said}"
        + (f" (I remember {remembered} earlier exchange{'s' if remembered > 1 else ''})" if remembered else ""),
        "options": [{"title": "What is this?", "payload": "what is this"}, {"title": "How does it work?"}],
    }
    message = {"role": "assistant", "content": [{"toolUse": {"toolUseId": "tool-1", "name": "reply", "input": reply}}]}
    return (
        200,
        {},
        {"output": {"message": message}, "stopReason": "tool_use", "usage": usage, "metrics": {"latencyMs": 5}},
    )


def _handler() -> type[BaseHTTPRequestHandler]:
    class Handler(LocalRequestHandler):
        def answer(self, method: str, raw: bytes) -> None:
            if method != "POST" or not CONVERSE.fullmatch(self.path.split("?")[0]):
                write_answer(self, 404, {"Content-Type": "application/json"}, b'{"message": "Not Found"}')
                return
            status, headers, body = converse_answer(json.loads(raw or b"{}"))
            write_answer(self, status, {"Content-Type": "application/json", **headers}, json.dumps(body).encode())

    return Handler


def serve_bedrock(host: str = "127.0.0.1", port: int = 0) -> LocalHTTPServer:
    """Start the stand-in in a background thread; stop it with shutdown()."""
    return serve_in_background(LocalHTTPServer((host, port), _handler()))
