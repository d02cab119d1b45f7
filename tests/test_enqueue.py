"""SendMessageBatch chunks, per-entry retry and failures, on moto's FIFO queue and botocore's Stubber."""

import json
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from devstack.deliveries import BOT_USER, USER, dm_delivery, dm_event
from devstack.provision import LocalStack
from dmchannel.delivery import InboundDM, dms_to_answer
from dmchannel.enqueue import EnqueueError, enqueue
from tests.conftest import drain

QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/DmQueue.fifo"


def make_dms(count: int, sender_id: str = USER["id"]) -> list[InboundDM]:
    events = [dm_event(str(1000 + index), sender_id, BOT_USER["id"], f"m{index}") for index in range(count)]
    return dms_to_answer(dm_delivery(events, [USER]))


def test_25_dms_go_in_order_in_three_batches(stack: LocalStack) -> None:
    queue_url = stack.refs["DmQueue"]
    enqueue(boto3.client("sqs"), queue_url, make_dms(25))
    messages = drain(queue_url)
    assert [json.loads(m["Body"])["event"]["id"] for m in messages] == [str(1000 + i) for i in range(25)]
    attributes = messages[0]["Attributes"]
    assert attributes["MessageGroupId"] == f"{BOT_USER['id']}-{USER['id']}"
    assert attributes["MessageDeduplicationId"] == "1000"


def test_redelivered_dm_is_dropped_by_the_queue(stack: LocalStack) -> None:
    queue_url = stack.refs["DmQueue"]
    sqs = boto3.client("sqs")
    enqueue(sqs, queue_url, make_dms(2))
    enqueue(sqs, queue_url, make_dms(2))
    assert len(drain(queue_url)) == 2


def stubbed_sqs() -> tuple[Any, Stubber]:
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url="https://sqs.us-east-1.amazonaws.com")
    return sqs, Stubber(sqs)


def batch_answer(successful: list[str], failed: list[str]) -> dict[str, Any]:
    return {
        "Successful": [
            {"Id": entry_id, "MessageId": f"m-{entry_id}", "MD5OfMessageBody": "0" * 32} for entry_id in successful
        ],
        "Failed": [{"Id": entry_id, "SenderFault": False, "Code": "InternalError"} for entry_id in failed],
    }


def test_failed_entries_are_retried_once_and_only_them() -> None:
    sqs, stubber = stubbed_sqs()
    dms = make_dms(3)
    stubber.add_response("send_message_batch", batch_answer(["0", "2"], ["1"]))
    stubber.add_response(
        "send_message_batch",
        batch_answer(["0"], []),
        {
            "QueueUrl": QUEUE_URL,
            "Entries": [
                {
                    "Id": "0",
                    "MessageBody": dms[1].to_message(),
                    "MessageGroupId": ANY,
                    "MessageDeduplicationId": "1001",
                }
            ],
        },
    )
    with stubber:
        enqueue(sqs, QUEUE_URL, dms)
    stubber.assert_no_pending_responses()


def test_entries_failing_twice_raise_with_their_dms() -> None:
    sqs, stubber = stubbed_sqs()
    dms = make_dms(3)
    stubber.add_response("send_message_batch", batch_answer(["0"], ["1", "2"]))
    stubber.add_response("send_message_batch", batch_answer(["0"], ["1"]))  # retry: 1001, 1002
    with stubber, pytest.raises(EnqueueError) as raised:
        enqueue(sqs, QUEUE_URL, dms)
    assert [dm.event_id for dm in raised.value.failed] == ["1002"]
    assert "InternalError" in str(raised.value)


def test_a_failed_call_counts_as_every_entry_failed() -> None:
    sqs, stubber = stubbed_sqs()
    stubber.add_client_error("send_message_batch", "AWS.SimpleQueueService.NonExistentQueue", http_status_code=400)
    stubber.add_client_error("send_message_batch", "AWS.SimpleQueueService.NonExistentQueue", http_status_code=400)
    with stubber, pytest.raises(EnqueueError) as raised:
        enqueue(sqs, QUEUE_URL, make_dms(2))
    assert len(raised.value.failed) == 2
