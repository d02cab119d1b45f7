"""The files in events/: API Gateway events for `sam local invoke`, signed with the dev credentials.

Run ``python -m devstack.sample_events`` to write them again; a test keeps them in step. The
files are written at a fixed moment (``SAMPLE_CREATED_MS``); a test that feeds one to a
function that judges a DM's age stamps it at its own "now" with ``sample_events(written_at_ms)``.
"""

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from devstack.apigw import http_api_event
from devstack.deliveries import BOT_USER, USER, activity_delivery, dm_delivery, dm_event, encode
from devstack.dev_credentials import DEV_CREDENTIALS
from devstack.fake_xchat import ChatEvent, chat_delivery, conversation_of
from devstack.sqs_events import sqs_event
from dmchannel.webhook.account_activity import dms_to_answer
from dmchannel.webhook.signature import SIGNATURE_HEADER, sign
from dmchannel.xchat.envelope import BOOL, STRING, STRUCT, encode_struct

EVENTS_DIR = Path(__file__).resolve().parent.parent / "events"
CRC_TOKEN = "Q0hBTExFTkdFLXRva2VuLWZyb20tWA"
BOT_ID, USER_ID = BOT_USER["id"], USER["id"]
SAMPLE_CREATED_MS = 1795521600000  # when the committed samples say their DMs were written


def _post(body: bytes, *, signature: str | None = None, base64_body: bool = False) -> dict[str, Any]:
    headers = {
        "content-type": "application/json; charset=utf-8",
        "user-agent": "Twitter-Webhooks/1.0",
        SIGNATURE_HEADER: signature or sign(DEV_CREDENTIALS.consumer_secret, body),
    }
    return http_api_event("POST", "/webhook", headers=headers, body=body, base64_body=base64_body)


def sample_events(written_at_ms: int = SAMPLE_CREATED_MS) -> dict[str, dict[str, Any]]:
    """File name -> event, its DMs written at written_at_ms (epoch milliseconds)."""
    at = written_at_ms

    def event(event_id: str, sender_id: str, recipient_id: str, text: str, **extra: Any) -> dict[str, Any]:
        return dm_event(event_id, sender_id, recipient_id, text, created_ms=at, **extra)

    dm = encode(dm_delivery([event("1795521600000000001", USER_ID, BOT_ID, "Hi! What can you do?")], [USER, BOT_USER]))
    tap = encode(
        dm_delivery(
            [
                event(
                    "1795521600000000002",
                    USER_ID,
                    BOT_ID,
                    "What limits apply?",
                    quick_reply_metadata="intent:limits",
                )
            ],
            [USER, BOT_USER],
        )
    )
    activity = encode(
        activity_delivery(
            [event("1795521600000000004", USER_ID, BOT_ID, "Hello from the X Activity API")], [USER, BOT_USER]
        )
    )
    xchat = encode(chat_delivery(BOT_ID, USER_ID, _encrypted_event(at), "", at))
    echo = encode(
        dm_delivery([event("1795521600000000003", BOT_ID, USER_ID, "Hello Jordan & welcome")], [USER, BOT_USER])
    )
    return {
        "webhook-crc.json": http_api_event(
            "GET",
            "/webhook",
            query={"crc_token": CRC_TOKEN, "nonce": "MTc5NTUyMTYwMA"},
            headers={"user-agent": "Twitter-CRC"},
        ),
        "webhook-dm.json": _post(dm),
        "webhook-quick-reply.json": _post(tap, base64_body=True),
        "webhook-echo.json": _post(echo),
        "webhook-activity-dm.json": _post(activity),
        "webhook-xchat.json": _post(xchat),
        "webhook-forged.json": _post(dm, signature=sign("not-the-consumer-secret", dm)),
        "responder-dm.json": _queued(dm, 1, at),
        "responder-quick-reply.json": _queued(tap, 2, at),
    }


def _encrypted_event(at: int) -> ChatEvent:
    """An XChat message as X delivers it, with placeholder ciphertext and signature (the webhook never opens it)."""
    create = {100: (STRING, bytes(48)), 101: (STRING, str(at)), 102: (BOOL, True)}
    signature = {1: (STRING, "c2lnbmF0dXJlLXBsYWNlaG9sZGVy"), 2: (STRING, "1"), 3: (STRING, "7")}
    event = {
        1: (STRING, "1000"),
        2: (STRING, "7f0c2b6e-4a1d-4c2e-9a51-5d3b2f1e0a01"),
        3: (STRING, USER_ID),
        4: (STRING, conversation_of(BOT_ID, USER_ID)),
        6: (STRING, str(at)),
        7: (STRUCT, {1: (STRUCT, create)}),
        9: (STRUCT, signature),
    }
    encoded = base64.b64encode(encode_struct(event)).decode()
    return ChatEvent("1000", "7f0c2b6e-4a1d-4c2e-9a51-5d3b2f1e0a01", USER_ID, encoded, False, str(at))


def _queued(delivery: bytes, sequence: int, queued_at_ms: int) -> dict[str, Any]:
    """The SQS event the responder gets for the DM of a delivery (as the webhook queued it)."""
    (dm,) = dms_to_answer(json.loads(delivery))
    body = dm.to_body()
    message = {
        "MessageId": f"00000000-0000-4000-8000-{sequence:012d}",
        "ReceiptHandle": f"local-receipt-{sequence}",
        "Body": body,
        "MD5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "Attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": str(queued_at_ms),
            "SequenceNumber": f"{18_000_000_000_000_000_000 + sequence}",
            "MessageGroupId": dm.conversation_id,
            "SenderId": "AIDAEXAMPLE",
            "MessageDeduplicationId": dm.deduplication_id,
            "ApproximateFirstReceiveTimestamp": str(queued_at_ms),
        },
    }
    return sqs_event([message], "arn:aws:sqs:us-east-1:123456789012:DmQueue.fifo")


def render(event: dict[str, Any]) -> str:
    """The file's text."""
    return json.dumps(event, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    """Write every sample event into events/."""
    for name, event in sample_events().items():
        (EVENTS_DIR / name).write_text(render(event), encoding="utf-8")


if __name__ == "__main__":
    main()
