"""The webhook's use case: X's CRC on GET; on POST, verify the signature and queue each DM to answer.

It raises a WebhookError of the right kind for every request it refuses; the
function turns the kind into an HTTP status.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from dmchannel.observability import Metric, count_now, logger
from dmchannel.queued_dm import QueuedDM
from dmchannel.webhook.body import delivery_of, raw_body
from dmchannel.webhook.enqueue import enqueue
from dmchannel.webhook.errors import (
    BadCrcTokenError,
    BadSignatureError,
    DeliveryTooLargeError,
    MalformedDeliveryError,
    QueueRefusedError,
)
from dmchannel.webhook.signature import is_crc_token, is_valid_signature, sign
from dmchannel.webhook.surfaces import dms_in
from dmchannel.x.limits import MAX_TEXT

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

SecretSource = Callable[[], str]


def answer_crc(token: str | None, consumer_secret: SecretSource) -> dict[str, str]:
    """Answer X's challenge-response check for a ``crc_token``."""
    if not token:
        raise BadCrcTokenError("crc_token is required")
    if not is_crc_token(token):
        logger.warning("CRC token refused", token_length=len(token))
        raise BadCrcTokenError("crc_token is not a valid token")
    return {"response_token": sign(consumer_secret(), token.encode("ascii"))}


def _too_long(dm: QueuedDM) -> bool:
    """Whether a DM's text is longer than X lets anyone send (logged by id, never its text, and counted)."""
    if len(dm.text) <= MAX_TEXT:
        return False
    logger.warning(
        "DM dropped: its text is over X's DM limit",
        limit=MAX_TEXT,
        dm_id=dm.dm_id,
        account_id=dm.account_id,
        sender_id=dm.sender_id,
    )
    count_now(Metric.DIRECT_MESSAGES_TOO_LONG)
    return True


def accept_delivery(
    body: str | None,
    is_base64_encoded: bool,
    signature: str | None,
    *,
    consumer_secret: SecretSource,
    is_served: Callable[[str], bool],
    sqs: "SQSClient",
    queue_url: str,
) -> int:
    """Verify a POSTed delivery and queue each DM in it that needs an answer; return how many were queued.

    A body too large is refused before its signature is checked, a malformed one after: neither is read further.
    DMs for an account the deployment does not serve, and DMs longer than X allows, are acknowledged but not
    queued (logged by id, counted); the rest of the delivery is queued.
    """
    try:
        payload = raw_body(body, is_base64_encoded)
        if not signature:
            logger.warning("Delivery refused: no signature")
            raise BadSignatureError("missing signature")
        if not is_valid_signature(consumer_secret(), payload, signature):
            logger.warning("Delivery refused: wrong signature", body_bytes=len(payload))
            raise BadSignatureError("invalid signature")
        delivery = delivery_of(payload)
    except (DeliveryTooLargeError, MalformedDeliveryError) as error:
        logger.warning("Delivery refused", reason=str(error), body_characters=len(body or ""))
        raise
    dms = dms_in(delivery)
    for account_id in sorted({dm.account_id for dm in dms if not is_served(dm.account_id)}):
        unknown = [dm for dm in dms if dm.account_id == account_id]
        logger.warning("DMs for an account this deployment does not serve", account_id=account_id, count=len(unknown))
        count_now(Metric.DIRECT_MESSAGES_FOR_UNKNOWN_ACCOUNT, len(unknown))
        dms = [dm for dm in dms if dm.account_id != account_id]
    dms = [dm for dm in dms if not _too_long(dm)]
    if not dms:
        logger.info("Delivery needs no answer", keys=sorted(delivery))
        return 0
    try:
        enqueue(sqs, queue_url, dms)
    except QueueRefusedError as error:
        # X delivers again when it does not get a 200: no DM is lost.
        logger.error("DMs not queued", error=error.detail, dm_ids=[dm.dm_id for dm in error.failed])
        raise
    logger.info("DMs queued", queued=len(dms), dm_ids=[dm.dm_id for dm in dms])
    return len(dms)
