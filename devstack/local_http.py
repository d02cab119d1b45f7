"""What the local HTTP servers share: a quiet threaded server, serving it in the background, writing an answer."""

import json
import sys
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, TypeVar


class Serving(Protocol):
    """A server that serves until shutdown() (http.server's and werkzeug's)."""

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Serve until shutdown()."""

    def shutdown(self) -> None:
        """Stop serving."""


ServerT = TypeVar("ServerT", bound=Serving)


def serve_in_background(server: ServerT) -> ServerT:
    """Serve in a daemon thread; the caller stops it with shutdown()."""
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def json_or_none(body: bytes) -> Any:
    """A request body's JSON, or None when it has none (or is not JSON)."""
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def write_answer(handler: BaseHTTPRequestHandler, status: int, headers: Mapping[str, str], body: bytes) -> None:
    """Send the status, the headers (Content-Length computed here) and the body."""
    handler.send_response(status)
    for name, value in headers.items():
        if name.lower() != "content-length":
            handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class LocalHTTPServer(ThreadingHTTPServer):
    """A threaded server whose clients may go away mid-answer (timeouts) without a traceback."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that hung up; report anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LocalRequestHandler(BaseHTTPRequestHandler):
    """Hands every GET, POST, PUT and DELETE to answer(method, body); logs nothing (the servers record calls)."""

    def answer(self, method: str, body: bytes) -> None:
        """Answer one request; subclasses say how."""
        raise NotImplementedError

    def _dispatch(self, method: str) -> None:
        self.answer(method, self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def do_GET(self) -> None:
        """GET."""
        self._dispatch("GET")

    def do_POST(self) -> None:
        """POST."""
        self._dispatch("POST")

    def do_PUT(self) -> None:
        """PUT."""
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        """DELETE."""
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""
