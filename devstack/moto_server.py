"""moto's server for SQS, DynamoDB and Secrets Manager, answering one request at a time.

AWS applies each request atomically (a DynamoDB transaction, a conditional update);
moto's backends do not guard against concurrent requests, so this server serializes
them. Clients can still race each other, exactly as they do against AWS.
"""

import os
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


def start_local_aws(host: str = "127.0.0.1") -> BaseWSGIServer:
    """Start moto and point boto3 at it (AWS_ENDPOINT_URL), with dummy credentials and no profile."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_PROFILE", None)
    server = start_moto(host, 0)
    os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{server.server_port}"
    return server
