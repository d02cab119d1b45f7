"""The local HTTP endpoint: /webhook as the deployed HTTP API, plus the DM simulator and its API."""

import base64
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from devstack.apigw import http_api_event
from devstack.conversations import Conversations
from devstack.lambda_runtime import LocalFunction
from devstack.local_http import LocalHTTPServer, LocalRequestHandler, write_answer

SIMULATOR_PAGE = Path(__file__).resolve().parent / "simulator.html"
WEBHOOK_ROUTES = {("GET", "/webhook"), ("POST", "/webhook")}
LOCAL_STACK_PATH = "/local/stack"  # where the stack's AWS stand-in and X are, for `x-dm-channel --local`

StateSource = Callable[[dict[str, list[str]]], dict[str, Any]]


@dataclass
class CallLog:
    """The last calls to the webhook, for the simulator's side panel."""

    calls: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=20))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, method: str, status: int) -> None:
        """Note one call."""
        with self._lock:
            self.calls.append({"method": method, "status": status, "at": int(time.time() * 1000)})

    def recent(self) -> list[dict[str, Any]]:
        """The last calls, oldest first."""
        with self._lock:
            return list(self.calls)


def api_gateway_answer(
    webhook: LocalFunction, method: str, path: str, *, query: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    """Hand a request to the webhook function as the HTTP API does (POST bodies base64-encoded)."""
    if (method, path) not in WEBHOOK_ROUTES:
        return 404, {"content-type": "application/json"}, b'{"message":"Not Found"}'
    values = parse_qs(query, keep_blank_values=True)
    event = http_api_event(
        method,
        path,
        query={name: ",".join(items) for name, items in values.items()},
        headers=headers,
        body=body if method == "POST" else None,
        base64_body=method == "POST",
    )
    event["rawQueryString"] = query
    answer = webhook.invoke(event)
    payload = answer.get("body") or ""
    raw = base64.b64decode(payload) if answer.get("isBase64Encoded") else payload.encode("utf-8")
    return int(answer["statusCode"]), {k.lower(): str(v) for k, v in (answer.get("headers") or {}).items()}, raw


def make_server(
    host: str,
    port: int,
    webhook: LocalFunction,
    state: StateSource,
    config: dict[str, Any],
    *,
    conversations: Conversations | None = None,
    xchat: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    local_stack: dict[str, str] | None = None,
    answered: StateSource | None = None,
) -> LocalHTTPServer:
    """The local endpoint's server (not started); conversations keeps what the webhook accepts, for the simulator.

    answered counts the answers X took for each user, reading nothing of AWS (a benchmark polls it).

    local_stack tells `x-dm-channel --local` where the stack's AWS stand-in and X are (GET /local/stack).
    """
    log = CallLog()
    local_hosts: set[str] = set()  # filled once the port is bound

    class Handler(LocalRequestHandler):
        protocol_version = "HTTP/1.1"

        def _json(self, value: Any) -> None:
            write_answer(
                self, 200, {"content-type": "application/json", "cache-control": "no-store"}, json.dumps(value).encode()
            )

        def answer(self, method: str, body: bytes) -> None:
            url = urlsplit(self.path)
            if url.path.startswith(("/simulator/", "/local/")) and self.headers.get("Host") not in local_hosts:
                # The config holds the consumer secret: only pages served from this machine get it
                # (a page of another site that rebinds its name to 127.0.0.1 sends its own Host).
                write_answer(self, 403, {"content-type": "application/json"}, b'{"error":"local pages only"}')
            elif method == "GET" and url.path == "/":
                write_answer(self, 200, {"content-type": "text/html; charset=utf-8"}, SIMULATOR_PAGE.read_bytes())
            elif method == "GET" and url.path == LOCAL_STACK_PATH and local_stack is not None:
                self._json(local_stack)
            elif method == "GET" and url.path == "/simulator/config":
                self._json(config)
            elif method == "GET" and url.path == "/simulator/state":
                self._json({**state(parse_qs(url.query)), "webhook_calls": log.recent()})
            elif method == "GET" and url.path == "/simulator/answered" and answered is not None:
                self._json(answered(parse_qs(url.query)))
            elif method == "POST" and url.path == "/simulator/xchat" and xchat is not None:
                self._json(xchat(json.loads(body or b"{}")))  # a person writes on XChat (encrypted by a simulated user)
            elif method == "POST" and url.path == "/simulator/clear" and conversations is not None:
                query = parse_qs(url.query)
                conversations.clear(query.get("account_id", [""])[0], query.get("user_id", [""])[0])
                self._json({"cleared": True})
            else:
                headers = {name.lower(): value for name, value in self.headers.items()}
                status, answer_headers, answer = api_gateway_answer(
                    webhook, method, url.path, query=url.query, headers=headers, body=body
                )
                if url.path == "/webhook":
                    log.add(method, status)
                    if method == "POST" and conversations is not None:
                        conversations.record(body, status)
                write_answer(self, status, answer_headers, answer)

    server = LocalHTTPServer((host, port), Handler)
    bound = server.server_address[1]
    local_hosts.update({f"127.0.0.1:{bound}", f"localhost:{bound}"})
    return server
