"""Webhook Lambda: answers X's CRC (GET /webhook) and queues verified DMs (POST /webhook)."""

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from dmchannel import webhook
from dmchannel.credentials import load_credentials
from dmchannel.signature import SIGNATURE_HEADER

QUEUE_URL = os.environ["QUEUE_URL"]
SECRET_ID = os.environ["SECRET_ID"]

logger = Logger()
app = APIGatewayHttpResolver()
sqs = boto3.client("sqs")


def consumer_secret() -> str:
    """The app's consumer secret, from the cached secret."""
    return load_credentials(SECRET_ID).consumer_secret


@app.get("/webhook")
def crc() -> webhook.Answer:
    """X's challenge-response check."""
    return webhook.answer_crc(app.current_event.get_query_string_value("crc_token"), consumer_secret)


@app.post("/webhook")
def delivery() -> webhook.Answer:
    """An Account Activity delivery."""
    event = app.current_event
    return webhook.answer_delivery(
        event.body,
        bool(event.is_base64_encoded),
        event.headers.get(SIGNATURE_HEADER),
        consumer_secret=consumer_secret,
        sqs=sqs,
        queue_url=QUEUE_URL,
    )


@app.not_found
def not_found(error: NotFoundError) -> Response[str]:
    """Only /webhook exists."""
    return Response(404, content_types.APPLICATION_JSON, '{"error": "not found"}')


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def internal_error(error: Exception) -> Response[str]:
    """Answer 500 (X delivers again) and log why."""
    logger.exception("Webhook request failed")
    return Response(500, content_types.APPLICATION_JSON, '{"error": "internal error"}')


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """API Gateway (HTTP API, payload 2.0) entry point."""
    return app.resolve(event, context)
