"""SendMessageBatch's per-entry retry and failures, against botocore's Stubber."""

from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from devstack.deliveries import BOT_USER, queued_dms
from dmchannel.webhook.enqueue import batches, enqueue
from dmchannel.webhook.errors import QueueRefusedError

QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/DmQueue.fifo"


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
    dms = queued_dms(3)
    stubber.add_response("send_message_batch", batch_answer(["0", "2"], ["1"]))
    stubber.add_response(
        "send_message_batch",
        batch_answer(["0"], []),
        {
            "QueueUrl": QUEUE_URL,
            "Entries": [
                {
                    "Id": "0",
                    "MessageBody": dms[1].to_body(),
                    "MessageGroupId": ANY,
                    "MessageDeduplicationId": f"{BOT_USER['id']}-1001-account_activity",
                }
            ],
        },
    )
    with stubber:
        enqueue(sqs, QUEUE_URL, dms)
    stubber.assert_no_pending_responses()


def test_entries_failing_twice_raise_with_their_dms() -> None:
    sqs, stubber = stubbed_sqs()
    dms = queued_dms(3)
    stubber.add_response("send_message_batch", batch_answer(["0"], ["1", "2"]))
    stubber.add_response("send_message_batch", batch_answer(["0"], ["1"]))  # retry: 1001, 1002
    with stubber, pytest.raises(QueueRefusedError) as raised:
        enqueue(sqs, QUEUE_URL, dms)
    assert [dm.dm_id for dm in raised.value.failed] == ["1002"]
    assert "InternalError" in raised.value.detail


def test_a_failed_call_counts_as_every_entry_failed() -> None:
    sqs, stubber = stubbed_sqs()
    stubber.add_client_error("send_message_batch", "AWS.SimpleQueueService.NonExistentQueue", http_status_code=400)
    stubber.add_client_error("send_message_batch", "AWS.SimpleQueueService.NonExistentQueue", http_status_code=400)
    with stubber, pytest.raises(QueueRefusedError) as raised:
        enqueue(sqs, QUEUE_URL, queued_dms(2))
    assert len(raised.value.failed) == 2


def test_batches_keep_within_ten_dms_and_sqss_bytes_in_order() -> None:
    small = queued_dms(12)
    assert [len(batch) for batch in batches(small)] == [10, 2]
    big = [dm._replace(text="😀" * 10_000, text_with_links="😀" * 20_000) for dm in queued_dms(10)]  # ~120 KB each
    grouped = batches(big)
    assert all(sum(len(dm.to_body().encode()) for dm in batch) <= 1_000_000 for batch in grouped)
    assert [dm for batch in grouped for dm in batch] == big and len(grouped) > 1
