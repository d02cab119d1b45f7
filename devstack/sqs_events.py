"""Builds the SQS events Lambda's event source mapping hands to a function, from received messages."""

from collections.abc import Mapping, Sequence
from typing import Any


def sqs_record(message: Mapping[str, Any], queue_arn: str) -> dict[str, Any]:
    """One record, from a ReceiveMessage answer's message (received with AttributeNames=["All"])."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3],
    }


def sqs_event(messages: Sequence[Mapping[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event of one batch."""
    return {"Records": [sqs_record(message, queue_arn) for message in messages]}
