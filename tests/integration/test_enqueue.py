"""SendMessageBatch chunks and FIFO deduplication, on moto's FIFO queue."""

import json

import boto3

from devstack.deliveries import BOT_USER, USER, queued_dms
from devstack.provision import LocalStack
from dmchannel.webhook.enqueue import enqueue
from tests.integration.conftest import drain


def test_25_dms_go_in_order_in_three_batches(stack: LocalStack) -> None:
    queue_url = stack.refs["DmQueue"]
    enqueue(boto3.client("sqs"), queue_url, queued_dms(25))
    messages = drain(queue_url)
    assert [json.loads(m["Body"])["dm_id"] for m in messages] == [str(1000 + i) for i in range(25)]
    attributes = messages[0]["Attributes"]
    assert attributes["MessageGroupId"] == f"{BOT_USER['id']}-{USER['id']}"
    assert attributes["MessageDeduplicationId"] == f"{BOT_USER['id']}-1000-account_activity"


def test_redelivered_dm_is_dropped_by_the_queue(stack: LocalStack) -> None:
    queue_url = stack.refs["DmQueue"]
    sqs = boto3.client("sqs")
    enqueue(sqs, queue_url, queued_dms(2))
    enqueue(sqs, queue_url, queued_dms(2))
    assert len(drain(queue_url)) == 2
