"""Webhook Lambda: answers X's CRC (GET /webhook) and queues verified DMs (POST /webhook).

Two routes need no router: a small explicit one keeps Powertools' event handler (which loads every
resolver it has, 47 ms) off the cold start, which is on X's CRC deadline.
"""

import json
from http import HTTPStatus
from typing import Any

import boto3
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from dmchannel.accounts import AccountDirectory
from dmchannel.credentials import load_credentials
from dmchannel.observability import logger
from dmchannel.settings import WebhookSettings
from dmchannel.webhook.errors import (
    BadCrcTokenError,
    BadSignatureError,
    DeliveryTooLargeError,
    MalformedDeliveryError,
    QueueRefusedError,
    WebhookError,
)
from dmchannel.webhook.handling import accept_delivery, answer_crc
from dmchannel.webhook.signature import SIGNATURE_HEADER

settings = WebhookSettings.from_env()
sqs = boto3.client("sqs")
accounts = AccountDirectory(settings.secret_id, settings.accounts_secret_prefix)
ROUTE = "/webhook"

# Every refusal's HTTP status. A 5xx makes X deliver again, so no DM is lost.
STATUS_OF_ERROR: dict[type[WebhookError], HTTPStatus] = {
    BadCrcTokenError: HTTPStatus.BAD_REQUEST,
    MalformedDeliveryError: HTTPStatus.BAD_REQUEST,
    DeliveryTooLargeError: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    BadSignatureError: HTTPStatus.UNAUTHORIZED,
    QueueRefusedError: HTTPStatus.INTERNAL_SERVER_ERROR,
}


def consumer_secret() -> str:
    """The app's consumer secret, from the cached secret."""
    return load_credentials(settings.secret_id).consumer_secret


def answer(status: HTTPStatus, body: dict[str, Any]) -> dict[str, Any]:
    """An HTTP API (payload 2.0) answer with a JSON body."""
    return {
        "statusCode": int(status),
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def crc(event: dict[str, Any]) -> dict[str, Any]:
    """X's challenge-response check."""
    token = (event.get("queryStringParameters") or {}).get("crc_token")
    return answer(HTTPStatus.OK, answer_crc(token, consumer_secret))


def delivery(event: dict[str, Any]) -> dict[str, Any]:
    """A delivery of X's events."""
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    queued = accept_delivery(
        event.get("body"),
        bool(event.get("isBase64Encoded")),
        headers.get(SIGNATURE_HEADER),
        consumer_secret=consumer_secret,
        is_served=accounts.is_served,
        sqs=sqs,
        queue_url=settings.queue_url,
    )
    return answer(HTTPStatus.OK, {"queued": queued})


ROUTES = {("GET", ROUTE): crc, ("POST", ROUTE): delivery}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """API Gateway (HTTP API, payload 2.0) entry point: each refusal answered with its kind's status."""
    route = ROUTES.get((event.get("requestContext", {}).get("http", {}).get("method", ""), event.get("rawPath", "")))
    if route is None:
        return answer(HTTPStatus.NOT_FOUND, {"error": "not found"})
    try:
        return route(event)
    except WebhookError as error:
        return answer(STATUS_OF_ERROR[type(error)], {"error": str(error)})
    except Exception:  # answer 500 (X delivers again) and log why
        logger.exception("Webhook request failed")
        return answer(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal error"})
