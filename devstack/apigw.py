"""Builds API Gateway HTTP API (payload format 2.0) events as the deployed API hands them to Lambda."""

import base64
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

REQUEST_TIME = "24/Nov/2026:12:00:00 +0000"
REQUEST_EPOCH_MS = 1795521600000


def http_api_event(
    method: str,
    path: str,
    *,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    base64_body: bool = False,
    request_id: str = "local-request",
) -> dict[str, Any]:
    """An HTTP API event; header names are lowercased as HTTP API does."""
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": {name.lower(): value for name, value in (headers or {}).items()},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": (headers or {}).get("user-agent", "local"),
            },
            "requestId": request_id,
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": REQUEST_TIME,
            "timeEpoch": REQUEST_EPOCH_MS,
        },
        "isBase64Encoded": base64_body,
    }
    if query:
        event["queryStringParameters"] = dict(query)
    if body is not None:
        event["body"] = base64.b64encode(body).decode("ascii") if base64_body else body.decode("utf-8")
    return event
