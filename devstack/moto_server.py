"""moto's server for SQS, DynamoDB and Secrets Manager, answering one request at a time.

AWS applies each request atomically (a DynamoDB transaction, a conditional update);
moto's backends do not guard against concurrent requests, so this server serializes
them. Clients can still race each other, exactly as they do against AWS.
"""

import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from devstack.local_http import serve_in_background

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _serialized(app: WsgiApp) -> WsgiApp:
    lock = threading.Lock()

    def serialized_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with lock:
            return list(app(environ, start_response))

    return serialized_app


def start_moto(host: str = "127.0.0.1", port: int = 0) -> BaseWSGIServer:
    """Start the server in a background thread; stop it with shutdown()."""
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(host, port, _serialized(app), threaded=True, request_handler=MotoRequestHandler)
    return serve_in_background(server)
