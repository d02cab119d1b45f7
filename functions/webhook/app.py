"""Webhook Lambda: answers X's CRC (GET /webhook) and queues verified DMs (POST /webhook)."""

import json
from http import HTTPStatus
from typing import Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from dmchannel.accounts import AccountDirectory
from dmchannel.credentials import load_credentials
from dmchannel.observability import logger
from dmchannel.settings import WebhookSettings
from dmchannel.webhook.errors import (
    BadCrcTokenError,
    BadSignatureError,
    MalformedDeliveryError,
    QueueRefusedError,
    WebhookError,
)
from dmchannel.webhook.handling import accept_delivery, answer_crc
from dmchannel.webhook.signature import SIGNATURE_HEADER

settings = WebhookSettings.from_env()
app = APIGatewayHttpResolver()
sqs = boto3.client("sqs")
accounts = AccountDirectory(settings.secret_id, settings.accounts_secret_prefix)

# Every refusal's HTTP status. A 5xx makes X deliver again, so no DM is lost.
STATUS_OF_ERROR: dict[type[WebhookError], HTTPStatus] = {
    BadCrcTokenError: HTTPStatus.BAD_REQUEST,
    MalformedDeliveryError: HTTPStatus.BAD_REQUEST,
    BadSignatureError: HTTPStatus.UNAUTHORIZED,
    QueueRefusedError: HTTPStatus.INTERNAL_SERVER_ERROR,
}


def consumer_secret() -> str:
    """The app's consumer secret, from the cached secret."""
    return load_credentials(settings.secret_id).consumer_secret


def _error(status: HTTPStatus, message: str) -> Response[str]:
    return Response(status, content_types.APPLICATION_JSON, json.dumps({"error": message}))


@app.get("/webhook")
def crc() -> dict[str, str]:
    """X's challenge-response check."""
    return answer_crc(app.current_event.get_query_string_value("crc_token"), consumer_secret)


@app.post("/webhook")
def delivery() -> dict[str, int]:
    """A delivery of X's events."""
    event = app.current_event
    queued = accept_delivery(
        event.body,
        bool(event.is_base64_encoded),
        event.headers.get(SIGNATURE_HEADER),
        consumer_secret=consumer_secret,
        is_served=accounts.is_served,
        sqs=sqs,
        queue_url=settings.queue_url,
    )
    return {"queued": queued}


@app.exception_handler(WebhookError)  # type: ignore[untyped-decorator]
def refused(error: WebhookError) -> Response[str]:
    """A request the webhook does not take, answered with its kind's status."""
    return _error(STATUS_OF_ERROR[type(error)], str(error))


@app.not_found
def not_found(error: NotFoundError) -> Response[str]:
    """Only /webhook exists."""
    return _error(HTTPStatus.NOT_FOUND, "not found")


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def internal_error(error: Exception) -> Response[str]:
    """Answer 500 (X delivers again) and log why."""
    logger.exception("Webhook request failed")
    return _error(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """API Gateway (HTTP API, payload 2.0) entry point."""
    return app.resolve(event, context)
