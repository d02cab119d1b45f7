"""moto's server for SQS, DynamoDB and Secrets Manager, answering one request at a time.

`make run` starts it in a process of its own (``python -m devstack.moto_server``), as AWS is
another machine: the stand-in for AWS does not share an interpreter lock with the functions.

AWS applies each request atomically (a DynamoDB transaction, a conditional update);
moto's backends do not guard against concurrent requests, so this server serializes
them. Clients can still race each other, exactly as they do against AWS. Where moto slows
down as the state grows, which AWS does not, it is mended here: a DynamoDB transaction's
copy to roll back to holds copies of the items it names only (moto 5.2 copies the whole
table, once for each of the transaction's items); sending to a queue reads the one queue
attribute moto checks (moto counts every message of the queue, three times over, for
each message sent); each host's backend is looked up once (moto looks through its
package's folders for each request); each step of checking an update expression makes its
map of node kinds once (moto makes it again for every node, a quarter of an UpdateItem's
time); and connections are kept alive, as AWS keeps them
(werkzeug's server closes each after one answer: a new connection, and a new thread, for
every request).
"""

import copy
import io
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser  # type: ignore[attr-defined]
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.sqs import models as sqs_models

from devstack.local_http import LocalHTTPServer, LocalRequestHandler, serve_in_background, write_answer

# A described stack (provision.publish_stack) holds one resource moto creates nothing for, and moto says so.
warnings.filterwarnings("ignore", message="Tried to parse AWS::CloudFormation::WaitConditionHandle")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _RollbackCopies:
    """moto's DynamoDB models' ``copy`` module, for transactions: one copy of a table to roll back to, per table.

    It holds copies of the items the transaction names only, and the others as they are (it never changes them).
    """

    def __init__(self) -> None:
        self.named: set[str] = set()  # the keys (pk) the running transaction names
        self.copies: dict[int, Table] = {}

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        """A table's rollback copy; anything else is copied as usual."""
        if not isinstance(value, Table):
            return copy.deepcopy(value, memo)
        if id(value) not in self.copies:
            rollback = copy.copy(value)
            rollback.items = defaultdict(
                dict,
                {
                    key: copy.deepcopy(item) if str(key.value) in self.named else item
                    for key, item in value.items.items()
                },
            )
            self.copies[id(value)] = rollback
        return self.copies[id(value)]


_ROLLBACK = _RollbackCopies()
_transact_write_items = dynamodb_models.DynamoDBBackend.transact_write_items


def _transact_with_light_rollback(backend: Any, transact_items: list[dict[str, Any]]) -> None:
    operations = [next(iter(item.values())) for item in transact_items]
    _ROLLBACK.named = {str((op.get("Key") or op.get("Item") or {}).get("pk", {}).get("S")) for op in operations}
    _ROLLBACK.copies.clear()
    try:
        _transact_write_items(backend, transact_items)
    finally:
        _ROLLBACK.copies.clear()


setattr(dynamodb_models, "copy", _ROLLBACK)  # noqa: B010 - the module's own name for copy, replaced for it alone
setattr(dynamodb_models.DynamoDBBackend, "transact_write_items", _transact_with_light_rollback)  # noqa: B010


def _kept_processing_map(traverser: Any) -> dict[type, Callable[[Any], Any]]:
    """A traverser's processing map, made once (moto makes it anew for every node of every expression)."""
    kept: dict[type, Callable[[Any], Any]] | None = traverser.__dict__.get("_kept_map")
    if kept is None:
        kept = traverser.__dict__["_kept_map"] = traverser._processing_map()
    return kept


def _process(traverser: Any, node: Any) -> Any:
    """The node processed as moto does, through the kept map."""
    for kind, processor in _kept_processing_map(traverser).items():
        if isinstance(node, kind):
            return processor(node)
    return None


setattr(DepthFirstTraverser, "nodes_to_be_processed", lambda traverser: tuple(_kept_processing_map(traverser)))  # noqa: B010
setattr(DepthFirstTraverser, "process", _process)  # noqa: B010


class _QueueAttributes:
    """What moto reads of a queue's attributes: while a message is sent, the one it checks, not every count."""

    def __init__(self) -> None:
        self.all_of = vars(sqs_models.Queue)["attributes"].fget
        self.sending = 0  # sends under way (a batch's send calls the single send); one request at a time

    def of(self, queue: Any) -> dict[str, Any]:
        """The queue's attributes (while sending, the one moto's send checks)."""
        if self.sending:
            return {"ContentBasedDeduplication": str(queue.content_based_deduplication).lower()}
        return dict(self.all_of(queue))

    def while_sending(self, send: Callable[..., Any]) -> Callable[..., Any]:
        """The backend's send, reading the queue's attributes cheaply."""

        def sending(*args: Any, **kwargs: Any) -> Any:
            self.sending += 1
            try:
                return send(*args, **kwargs)
            finally:
                self.sending -= 1

        return sending


_QUEUE_ATTRIBUTES = _QueueAttributes()
sqs_models.Queue.attributes = property(_QUEUE_ATTRIBUTES.of)  # type: ignore[method-assign,assignment]
for _send in ("send_message", "send_message_batch"):
    setattr(sqs_models.SQSBackend, _send, _QUEUE_ATTRIBUTES.while_sending(getattr(sqs_models.SQSBackend, _send)))


class _Dispatcher(DomainDispatcherApplication):
    """moto's dispatcher, which learns each host's backend once."""

    def __init__(self, create_app: Callable[..., Any]) -> None:
        super().__init__(create_app)
        self._backends: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        """The backend that answers for the host (moto's answer, kept)."""
        if host not in self._backends:
            self._backends[host] = super().get_backend_for_host(host)
        return self._backends[host]


class RequestCounter:
    """Counts the AWS requests moto serves: (service, operation) -> requests, with their bodies' sizes."""

    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str]] = Counter()
        self.bodies: list[tuple[str, str, bytes]] = []

    def note(self, environ: dict[str, Any]) -> None:
        """Count one request (its body is read, then put back for moto)."""
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        service, _, operation = target.partition(".")
        key = (service.split("_")[0] or environ.get("PATH_INFO", ""), operation)
        self.requests[key] += 1
        self.bodies.append((key[0], key[1], body))


def _serialized(app: WsgiApp, counter: RequestCounter | None) -> WsgiApp:
    lock = threading.Lock()

    def serialized_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with lock:
            if counter is not None and not environ.get("PATH_INFO", "").startswith("/moto-api"):
                counter.note(environ)
            return list(app(environ, start_response))

    return serialized_app


class _WsgiServer(LocalHTTPServer):
    """Serves a WSGI app over HTTP/1.1 connections kept alive."""

    def __init__(self, address: tuple[str, int], app: WsgiApp) -> None:
        super().__init__(address, _WsgiHandler)
        self.app = app


class _WsgiHandler(LocalRequestHandler):
    """One request handed to the server's WSGI app, its answer written with its length (the connection stays)."""

    protocol_version = "HTTP/1.1"
    server: _WsgiServer

    def answer(self, method: str, body: bytes) -> None:
        """Call the app with the request's environ; write what it answers."""
        path, _, query = self.path.partition("?")
        headers = {name: value for name, value in self.headers.items() if name.lower() != "content-length"}
        environ = {
            **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()},
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, encoding="latin-1"),
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": self.server.server_address[0],
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
            started[:] = [status, headers]  # called again (with exc_info) when the app fails after calling it

        try:
            answer = b"".join(self.server.app(environ, start_response))
        except Exception as error:  # as werkzeug: a 500, the connection kept
            answer, started[:] = f"{type(error).__name__}: {error}".encode(), ["500 Internal Server Error", []]
        status, answer_headers = started
        write_answer(self, int(status.split()[0]), dict(answer_headers), answer)


def start_moto(host: str = "127.0.0.1", port: int = 0, counter: RequestCounter | None = None) -> LocalHTTPServer:
    """Start the server in a background thread; stop it with shutdown(). A counter counts what it serves."""
    return serve_in_background(_WsgiServer((host, port), _serialized(_Dispatcher(create_backend_app), counter)))


def _point_boto3_at(host: str, port: int) -> None:
    """boto3 talks to moto (AWS_ENDPOINT_URL), with dummy credentials and no profile."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_PROFILE", None)
    os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"


def start_local_aws(host: str = "127.0.0.1", counter: RequestCounter | None = None) -> LocalHTTPServer:
    """Start moto in this process (a counter counts what it serves) and point boto3 at it."""
    server = start_moto(host, 0, counter)
    _point_boto3_at(host, server.server_port)
    return server


class MotoProcess:
    """moto's server in a process of its own, which ends with this one; boto3 pointed at it."""

    def __init__(self, host: str) -> None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH", "")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devstack.moto_server", host, str(os.getpid())],
            cwd=root,
            env={**os.environ, "PYTHONPATH": path},
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.strip().isdigit():
            self.process.kill()
            raise OSError(f"moto did not start: {line.strip() or 'no port'}")
        self.server_port = int(line)
        _point_boto3_at(host, self.server_port)

    def shutdown(self) -> None:
        """Stop it (and wait for it)."""
        self.process.terminate()
        self.process.wait(timeout=10)


def serve_for(parent: int, host: str) -> None:
    """Serve until the parent process ends or terminates this one (Ctrl-C is the parent's to handle)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = start_moto(host)
    print(server.server_port, flush=True)
    while os.getppid() == parent:
        time.sleep(0.5)
    server.shutdown()


if __name__ == "__main__":
    serve_for(int(sys.argv[2]), sys.argv[1])
