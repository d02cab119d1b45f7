"""The local poller on moto's FIFO queue: batches, order per group, partial failures, redrive."""

import json
from typing import Any

import boto3

from devstack.poller import poll_once
from devstack.provision import LocalStack


def send(stack: LocalStack, group: str, body: str, dedup: str) -> None:
    boto3.client("sqs").send_message(
        QueueUrl=stack.refs["DmQueue"], MessageBody=body, MessageGroupId=group, MessageDeduplicationId=dedup
    )


def poll(stack: LocalStack, handler: Any) -> Any:
    return poll_once(boto3.client("sqs"), stack.refs["DmQueue"], stack.attributes[("DmQueue", "Arn")], handler, None)


def test_batches_of_ten_in_order_and_successes_deleted(stack: LocalStack) -> None:
    for n in range(12):
        send(stack, "g1", json.dumps(n), str(n))
    seen: list[int] = []

    def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        seen.extend(json.loads(record["body"]) for record in event["Records"])
        return {"batchItemFailures": []}

    assert len(poll(stack, handler).delivered) == 10
    assert len(poll(stack, handler).delivered) == 2
    assert seen == list(range(12))
    assert poll(stack, handler).delivered == []


def test_failed_messages_stay_and_are_redriven_after_max_receives(stack: LocalStack) -> None:
    sqs = boto3.client("sqs")
    dead_letter_arn = stack.attributes[("DmDeadLetterQueue", "Arn")]
    redrive = json.dumps({"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": 5})
    sqs.set_queue_attributes(
        QueueUrl=stack.refs["DmQueue"], Attributes={"VisibilityTimeout": "0", "RedrivePolicy": redrive}
    )
    send(stack, "g1", "bad", "1")
    send(stack, "g2", "good", "2")

    def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        return {
            "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "bad"]
        }

    first = poll(stack, handler)
    assert (len(first.delivered), len(first.failed)) == (2, 1)
    for _ in range(6):
        poll(stack, handler)
    dead = sqs.receive_message(QueueUrl=stack.refs["DmDeadLetterQueue"], MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in dead] == ["bad"]


def test_a_crashing_function_fails_the_whole_batch(stack: LocalStack) -> None:
    boto3.client("sqs").set_queue_attributes(QueueUrl=stack.refs["DmQueue"], Attributes={"VisibilityTimeout": "0"})
    send(stack, "g1", "a", "1")

    def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        raise RuntimeError("boom")

    result = poll(stack, handler)
    assert result.failed == result.delivered and len(result.failed) == 1
    assert len(poll(stack, lambda e, c: {"batchItemFailures": []}).delivered) == 1
