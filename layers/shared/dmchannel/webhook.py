"""The webhook's answers: X's CRC on GET, verify-and-queue on POST."""

import base64
import binascii
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from dmchannel.delivery import dms_to_answer
from dmchannel.enqueue import EnqueueError, enqueue
from dmchannel.signature import is_crc_token, is_valid_signature, sign

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

logger = Logger(child=True)

Answer = tuple[dict[str, Any], int]
SecretSource = Callable[[], str]


def answer_crc(token: str | None, consumer_secret: SecretSource) -> Answer:
    """Answer X's challenge-response check for a ``crc_token``."""
    if not token:
        return {"error": "crc_token is required"}, 400
    if not is_crc_token(token):
        logger.warning("CRC token refused", token_length=len(token))
        return {"error": "crc_token is not a valid token"}, 400
    return {"response_token": sign(consumer_secret(), token.encode("ascii"))}, 200


def raw_body(body: str | None, is_base64_encoded: bool) -> bytes:
    """The request body's bytes as X sent them (API Gateway may base64-encode them)."""
    if body is None:
        return b""
    if is_base64_encoded:
        return base64.b64decode(body, validate=True)
    return body.encode("utf-8")


def answer_delivery(
    body: str | None,
    is_base64_encoded: bool,
    signature: str | None,
    *,
    consumer_secret: SecretSource,
    sqs: "SQSClient",
    queue_url: str,
) -> Answer:
    """Verify a POSTed delivery and queue each DM in it that needs an answer."""
    if not signature:
        logger.warning("Delivery refused: no signature")
        return {"error": "missing signature"}, 401
    try:
        payload = raw_body(body, is_base64_encoded)
    except binascii.Error:
        return {"error": "body is not valid base64"}, 400
    if not is_valid_signature(consumer_secret(), payload, signature):
        logger.warning("Delivery refused: wrong signature", body_bytes=len(payload))
        return {"error": "invalid signature"}, 401
    try:
        delivery = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        delivery = None
    if not isinstance(delivery, dict):
        return {"error": "body is not a JSON object"}, 400
    dms = dms_to_answer(delivery)
    if not dms:
        logger.info("Delivery needs no answer", keys=sorted(delivery))
        return {"queued": 0}, 200
    try:
        enqueue(sqs, queue_url, dms)
    except EnqueueError as error:
        # X delivers again when it does not get a 200: no DM is lost.
        logger.error("DMs not queued", error=str(error), event_ids=[dm.event_id for dm in error.failed])
        return {"error": "could not queue the delivery, please retry"}, 500
    logger.info("DMs queued", count=len(dms), event_ids=[dm.event_id for dm in dms])
    return {"queued": len(dms)}, 200
