"""What the local HTTP servers share: a quiet threaded server, serving it in the background, writing an answer."""

import json
import math
import sys
import threading
import time
from collections.abc import Mapping
from http import HTTPStatus
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
    """Hands every GET, POST, PUT and DELETE to answer(method, body); logs nothing (the servers record calls).

    As API Gateway, a length that is not a number is 400 and one over its payload limit 413 (the
    body is dropped as it comes, for at most body_seconds, so that a client still sending reads the
    answer); a body slower than body_seconds is 408. Each closes the connection: no request hangs,
    and none leaves a traceback.
    """

    disable_nagle_algorithm = True  # an answer's headers and body go as they are written, not 40 ms apart
    max_body_bytes = 10 * 1024 * 1024  # API Gateway's payload limit (an HTTP API's 10 MB)
    body_seconds = 10.0  # how long a body may take to arrive once its headers have
    CHUNK_BYTES = 65_536

    def answer(self, method: str, body: bytes) -> None:
        """Answer one request; subclasses say how."""
        raise NotImplementedError

    def _refuse(self, status: HTTPStatus) -> None:
        self.close_connection = True
        body = json.dumps({"message": status.phrase}).encode()
        write_answer(self, status, {"content-type": "application/json", "connection": "close"}, body)

    def _drop(self, length: float) -> None:
        """Read and drop up to length bytes of body, for at most body_seconds."""
        deadline = time.monotonic() + self.body_seconds
        try:
            while length > 0 and time.monotonic() < deadline and (chunk := self.rfile.read1(self.CHUNK_BYTES)):
                length -= len(chunk)
        except TimeoutError:
            return

    def _body(self) -> bytes | None:
        """The request's body, or None when it cannot be read (the request is then answered, or its client gone)."""
        length = self.headers.get("Content-Length") or "0"
        if not (length.isascii() and length.isdigit()):
            self._refuse(HTTPStatus.BAD_REQUEST)
            return None
        size = int(length) if len(length) <= len(str(self.max_body_bytes)) else math.inf
        self.connection.settimeout(self.body_seconds)
        try:
            if size > self.max_body_bytes:
                self._drop(size)
                self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
                return None
            body = self.rfile.read(int(size))
        except TimeoutError:
            self._refuse(HTTPStatus.REQUEST_TIMEOUT)
            return None
        finally:
            self.connection.settimeout(self.timeout)
        if len(body) < size:  # the client closed the connection before the end of its body
            self.close_connection = True
            return None
        return body

    def _dispatch(self, method: str) -> None:
        body = self._body()
        if body is not None:
            self.answer(method, body)

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
