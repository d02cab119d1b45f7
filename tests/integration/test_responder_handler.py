"""The responder Lambda fed from the real FIFO queue (moto), answering through the fake X over HTTP."""

import json
import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import boto3
import pytest
import time_machine
from botocore.exceptions import ClientError

from devstack.deliveries import BOT_USER, USER, activity_delivery, dm_delivery, dm_event
from devstack.dev_credentials import DEV_CREDENTIALS, SECOND_ACCOUNT, account_secret
from devstack.fake_x import MARK_READ_PATH, SEND_PATH, TYPING_PATH
from devstack.lambda_runtime import FunctionDied
from devstack.provision import LocalStack
from devstack.sqs_events import sqs_event
from dmchannel import credentials
from dmchannel.bots.base import Reply, Turn
from dmchannel.credentials import SecretCache
from dmchannel.queued_dm import QueuedDM
from dmchannel.responder.lifecycle import Checkpoint, Fate, Outcome
from dmchannel.responder.settling import QueueMessage, failed_before_counting
from tests.conftest import EVENTS, event_written_now
from tests.integration.conftest import Pipeline, capture_service_logs, drain

Loader = Callable[..., ModuleType]
BOT_ID, USER_ID = BOT_USER["id"], USER["id"]


def table_item(stack: LocalStack, key: str) -> dict[str, Any]:
    item: dict[str, Any] = (
        boto3.client("dynamodb").get_item(TableName=stack.refs["StateTable"], Key={"pk": {"S": key}}).get("Item", {})
    )
    return item


def used_today(stack: LocalStack) -> int:
    items = boto3.client("dynamodb").scan(TableName=stack.refs["StateTable"])["Items"]
    return sum(int(i["used"]["N"]) for i in items if i["pk"]["S"].startswith(f"hour#{BOT_ID}#"))


@pytest.mark.parametrize("name", ["responder-dm.json", "responder-quick-reply.json"])
def test_sample_events(name: str, pipeline: Callable[..., Pipeline]) -> None:
    flow = pipeline()
    answer = flow.responder.lambda_handler(event_written_now(name), flow.context)
    assert answer == {"batchItemFailures": []}
    (dm,) = flow.fake.sent
    assert dm.recipient_id == USER_ID
    if name == "responder-dm.json":
        assert dm.text.startswith("Hi Jordan!")
        assert [o["metadata"] for o in dm.options] == ["intent:what", "intent:how", "intent:limits", "intent:own_bot"]
    else:
        assert dm.text.startswith("X allows an account 1,000 DMs a day")


def test_every_responder_event_is_covered() -> None:
    assert sorted(p.name for p in EVENTS.glob("responder-*.json")) == [
        "responder-dm.json",
        "responder-quick-reply.json",
    ]


def test_a_dm_is_read_typed_and_answered_with_buttons_that_work(pipeline: Callable[..., Pipeline]) -> None:
    flow = pipeline()
    flow.user_says("hello")
    assert flow.poll().failed == []
    assert [path for path, _ in flow.fake.calls] == [MARK_READ_PATH, TYPING_PATH, SEND_PATH]
    options = flow.fake.sent[0].options
    tapped = next(o for o in options if o["metadata"] == "intent:limits")
    flow.user_says(tapped["label"], metadata=tapped["metadata"])
    flow.poll()
    assert flow.answers()[1].startswith("X allows an account")
    assert used_today(flow.stack) == 2


def test_read_receipts_and_typing_can_be_turned_off_and_never_block(pipeline: Callable[..., Pipeline]) -> None:
    flow = pipeline(MARK_READ="false")
    flow.fake.fail_next(500, (131,), path=TYPING_PATH)
    flow.user_says("hello")
    assert flow.poll().failed == []
    assert [call for call in flow.fake.calls] == [(TYPING_PATH, 500), (SEND_PATH, 200)]


def test_the_same_delivery_twice_is_answered_once(pipeline: Callable[..., Pipeline]) -> None:
    flow = pipeline()
    event = event_written_now("webhook-dm.json")
    flow.webhook.lambda_handler(event, flow.context)
    flow.webhook.lambda_handler(event, flow.context)
    flow.poll()
    flow.poll()
    assert len(flow.fake.sent) == 1


def test_redelivery_after_a_crash_between_send_and_record_sends_nothing_twice(
    pipeline: Callable[..., Pipeline],
) -> None:
    flow = pipeline()
    crashes: list[str] = []

    def crash_after_x_took_it(checkpoint: Checkpoint, dm_id: str) -> None:
        if checkpoint is Checkpoint.SENT and not crashes:
            crashes.append(dm_id)
            raise FunctionDied("the function died here")

    flow.responder.wiring.checkpoint = crash_after_x_took_it
    dm_id = flow.user_says("hello")
    first = flow.poll()
    assert crashes == [dm_id] and len(first.failed) == 1 and len(flow.fake.sent) == 1
    flow.expire(first)
    second = flow.poll()
    assert second.delivered and second.failed == []
    assert len(flow.fake.sent) == 1
    assert used_today(flow.stack) == 1
    assert table_item(flow.stack, f"dm#{BOT_ID}#{dm_id}")["outcome"] == {"S": "answered"}


def test_permanent_x_error_is_not_retried_and_gives_the_slot_back(
    pipeline: Callable[..., Pipeline], capsys: pytest.CaptureFixture[str]
) -> None:
    flow = pipeline()
    flow.fake.fail_next(403, (349,))
    flow.user_says("hello")
    assert flow.poll().failed == []  # consumed: retrying cannot help
    assert flow.answers() == []
    assert used_today(flow.stack) == 0
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert {"code": "349", "XApiErrors": [1.0]}.items() <= emf[0].items()


def test_transient_x_error_is_retried_with_backoff(pipeline: Callable[..., Pipeline]) -> None:
    flow = pipeline()
    flow.fake.fail_next(503, (130,))
    flow.user_says("hello")
    assert flow.poll().failed == []
    assert len(flow.answers()) == 1
    assert [status for path, status in flow.fake.calls if path == SEND_PATH] == [503, 200]


def test_x_down_sends_the_dm_back_to_the_queue_then_it_is_answered(pipeline: Callable[..., Pipeline]) -> None:
    flow = pipeline()
    flow.fake.fail_next(500, (131,), times=3)
    flow.user_says("hello")
    first = flow.poll()
    assert len(first.failed) == 1
    assert used_today(flow.stack) == 0  # the slot was given back
    flow.expire(first)
    assert flow.poll().failed == []
    assert len(flow.answers()) == 1
    assert used_today(flow.stack) == 1


def test_rate_limit_holds_the_dm_until_the_reset_at_no_cost_of_attempts(pipeline: Callable[..., Pipeline]) -> None:
    flow = pipeline()
    reset = int(time.time()) + 600
    flow.fake.fail_next(429, (88,), headers={"x-rate-limit-reset": str(reset)})
    dm_id = flow.user_says("hello")
    assert len(flow.poll().failed) == 1
    visible = flow.sqs.get_queue_attributes(QueueUrl=flow.stack.refs["DmQueue"], AttributeNames=["All"])["Attributes"]
    assert visible["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert flow.poll().delivered == []  # hidden until the reset
    assert used_today(flow.stack) == 0
    assert table_item(flow.stack, f"window#{BOT_ID}")["reset"] == {"N": str(reset)}
    assert table_item(flow.stack, f"dm#{BOT_ID}#{dm_id}")["attempts"] == {"N": "0"}


def test_a_spent_send_window_holds_the_next_dm_before_anything_is_done(pipeline: Callable[..., Pipeline]) -> None:
    flow = pipeline()
    reset = int(time.time()) + 900
    flow.fake.answer_headers = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}
    flow.user_says("hello")
    assert flow.poll().failed == []  # answered: X took it, and said its window is now spent
    flow.user_says("what are the limits", sender={"id": "55", "name": "Sam", "screen_name": "sam"})
    assert len(flow.poll().failed) == 1
    assert len(flow.fake.sent) == 1
    assert [path for path, _ in flow.fake.calls].count(MARK_READ_PATH) == 1  # no read receipt for a held DM


def test_at_the_daily_limit_nothing_more_is_sent_and_nothing_retried(pipeline: Callable[..., Pipeline]) -> None:
    flow = pipeline(DAILY_MESSAGE_LIMIT="1")
    flow.user_says("hello")
    flow.poll()
    flow.user_says("what are the limits", sender={"id": "55", "name": "Sam", "screen_name": "sam"})
    assert flow.poll().failed == []
    assert len(flow.answers()) == 1
    assert flow.poll().delivered == []


def test_stop_and_start_round_trip(pipeline: Callable[..., Pipeline]) -> None:
    flow = pipeline()
    flow.user_says("Stop")
    flow.poll()
    assert flow.answers() == ["You will not get any more messages from this bot. Send START to talk to it again."]
    flow.user_says("hello")
    flow.poll()
    assert len(flow.answers()) == 1
    assert table_item(flow.stack, f"conv#{BOT_ID}#{USER_ID}")["opted_out"] == {"BOOL": True}
    flow.user_says("START")
    flow.poll()
    flow.user_says("hello")
    flow.poll()
    assert flow.answers()[1].startswith("Welcome back")
    assert flow.answers()[2].startswith("Hi Jordan!")


def test_a_conversation_faster_than_a_person_is_muted_and_told_once(pipeline: Callable[..., Pipeline]) -> None:
    flow = pipeline(LOOP_MAX_PER_MINUTE="3", LOOP_NOTICE="Slow down, please.")
    for n in range(5):
        flow.user_says(f"hello {n}")
    flow.user_says("hello", sender={"id": "55", "name": "Sam", "screen_name": "sam"})
    while flow.poll().delivered:
        pass
    to_user = [dm.text for dm in flow.fake.sent if dm.recipient_id == USER_ID]
    assert len(to_user) == 4 and to_user[-1] == "Slow down, please."
    assert [dm.recipient_id for dm in flow.fake.sent].count("55") == 1
    # STOP works while muted, and is the one message a muted conversation still gets.
    flow.user_says("STOP")
    flow.poll()
    assert flow.answers()[-1].startswith("You will not get any more messages")
    assert table_item(flow.stack, f"conv#{BOT_ID}#{USER_ID}")["opted_out"] == {"BOOL": True}


def test_a_failing_conversation_does_not_hold_back_or_repeat_others(pipeline: Callable[..., Pipeline]) -> None:
    flow = pipeline(MARK_READ="false", TYPING_INDICATOR="false")
    flow.user_says("hello")
    flow.user_says("what are the limits")
    flow.user_says("hello", sender={"id": "55", "name": "Sam", "screen_name": "sam"})
    flow.fake.fail_next(403, (150,), to=USER_ID)  # permanent for the first DM: consumed
    flow.fake.fail_next(500, (131,), times=3, to=USER_ID)  # the second DM of the conversation fails
    first = flow.poll()
    assert len(first.failed) == 1
    assert [dm.recipient_id for dm in flow.fake.sent] == ["55"]
    flow.expire(first)
    assert flow.poll().failed == []
    assert [dm.recipient_id for dm in flow.fake.sent] == ["55", USER_ID]
    assert flow.answers()[1].startswith("X allows an account")


def test_no_dm_text_or_secret_in_the_logs(
    pipeline: Callable[..., Pipeline], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    flow = pipeline()
    logs = capture_service_logs(monkeypatch)
    flow.user_says("my secret question about limits")
    flow.poll()
    out = logs.getvalue() + capsys.readouterr().out
    assert '"RepliesSent":[1.0]' in out
    assert '"message":"DM answered"' in out and '"sender_id":"3001969357"' in out
    assert "my secret question" not in out
    assert "X allows an account" not in out
    for secret in DEV_CREDENTIALS.secret_values().values():
        assert secret not in out


def dead_letters(flow: Pipeline) -> list[Any]:
    answer = flow.sqs.receive_message(
        QueueUrl=flow.stack.refs["DmDeadLetterQueue"], MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    return list(answer.get("Messages", []))


def test_a_reset_20_hours_away_holds_the_dm_12_hours_at_a_time_and_never_dead_letters_it(
    pipeline: Callable[..., Pipeline],
) -> None:
    flow = pipeline()
    reset = int(time.time()) + 20 * 3600
    flow.fake.fail_next(429, (88,), headers={"x-rate-limit-reset": str(reset)})
    dm_id = flow.user_says("hello")
    for _ in range(6):  # each time SQS's 12 hours are up, the DM comes back and waits again
        held = flow.poll()
        assert len(held.failed) == 1
        flow.expire(held)
    assert flow.answers() == [] and dead_letters(flow) == []
    assert table_item(flow.stack, f"dm#{BOT_ID}#{dm_id}")["attempts"] == {"N": "0"}
    mark_reads = [path for path, _ in flow.fake.calls].count(MARK_READ_PATH)
    assert mark_reads == 1  # the courtesy of the first attempt, not repeated while it waits


def test_a_message_that_is_no_queued_dm_is_dead_lettered_with_its_reason(pipeline: Callable[..., Pipeline]) -> None:
    flow = pipeline()
    flow.sqs.send_message(
        QueueUrl=flow.stack.refs["DmQueue"],
        MessageBody='{"not": "a DM"}',
        MessageGroupId="g",
        MessageDeduplicationId="1",
    )
    assert flow.poll().failed == []
    (dead,) = dead_letters(flow)
    assert dead["Body"] == '{"not": "a DM"}'
    assert dead["MessageAttributes"]["reason"]["StringValue"].startswith("the queue message is not a queued DM")


def test_each_account_answers_its_own_dms_and_no_other(pipeline: Callable[..., Pipeline]) -> None:
    flow = pipeline()
    second = SECOND_ACCOUNT.bot_user_id
    boto3.client("secretsmanager").create_secret(
        Name=f"x-dm-channel/accounts/{second}",
        SecretString=account_secret(SECOND_ACCOUNT, "salesbot", GREETING="Sales here. How can I help?"),
    )
    flow.fake.tokens[SECOND_ACCOUNT.access_token] = SECOND_ACCOUNT.access_token_secret
    flow.user_says("hello")
    flow.user_says("hello", account=second)
    flow.user_says("hello", account="4337869299")  # an account of the app this deployment does not serve
    flow.user_says("hello", sender={"id": BOT_ID, "name": "Support Bot", "screen_name": "supportbot"}, account=second)
    while flow.poll().delivered:
        pass
    sent = {dm.sender_id: dm for dm in flow.fake.sent}  # the conversations were answered side by side
    assert len(flow.fake.sent) == 2 and {account: dm.recipient_id for account, dm in sent.items()} == {
        BOT_ID: USER_ID,
        second: USER_ID,
    }
    assert sent[BOT_ID].text.startswith("Hi Jordan!")
    assert sent[second].text == "Sales here. How can I help?"
    assert used_today(flow.stack) == 1  # each account counts its own DMs
    items = boto3.client("dynamodb").scan(TableName=flow.stack.refs["StateTable"])["Items"]
    assert any(item["pk"]["S"].startswith(f"hour#{second}#") for item in items)


@pytest.mark.parametrize("surface", ["aa", "xaa"])
def test_a_person_answering_by_hand_silences_the_bot_in_that_conversation(
    pipeline: Callable[..., Pipeline], surface: str
) -> None:
    flow = pipeline(HUMAN_TAKEOVER_MINUTES="30")
    flow.user_says("hello")
    flow.poll()
    flow.account_says(flow.answers()[0], surface)  # the echo of the bot's own answer: nothing changes
    flow.user_says("what is this?")
    flow.poll()
    assert len(flow.answers()) == 2
    flow.account_says("Hi Jordan, Sam here. Let me look into it.", surface)
    flow.user_says("thanks Sam")
    flow.poll()
    assert len(flow.answers()) == 2
    until = int(table_item(flow.stack, f"conv#{BOT_ID}#{USER_ID}")["person_until"]["N"])
    assert 29 * 60 < until - time.time() <= 30 * 60


def test_asking_for_a_person_tells_the_operators_topic(pipeline: Callable[..., Pipeline]) -> None:
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="handovers")["TopicArn"]
    inbox = sqs.create_queue(QueueName="operator-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn, Attributes={"RawMessageDelivery": "true"})
    flow = pipeline(HANDOVER_TOPIC_ARN=topic)
    flow.user_says("Human")
    flow.poll()
    assert flow.answers() == ["I've asked a person from our team to take over. They will answer you here."]
    (notice,) = sqs.receive_message(QueueUrl=inbox, WaitTimeSeconds=1)["Messages"]
    assert f"@{USER['screen_name']} asked for a person on the account {BOT_ID}" in notice["Body"]
    assert f"conversations resume --account {BOT_ID} --user {USER_ID}" in notice["Body"]


class BreakingBot:
    """Breaks, with no BotError, on the text given (on every text when none is); answers "fine" otherwise."""

    def __init__(self, poison: str = "") -> None:
        self.poison = poison

    def answer(self, turn: Turn) -> list[Reply]:
        if turn.text == self.poison or not self.poison:
            raise ZeroDivisionError("nobody saw this coming")
        return [Reply("fine")]


def test_a_poison_dm_fails_with_its_reason_on_the_dead_letter_queue_and_its_conversation_goes_on(
    pipeline: Callable[..., Pipeline],
) -> None:
    flow = pipeline()
    flow.responder.wiring.bot_override = BreakingBot("poison")
    poison = flow.user_says("poison")
    flow.user_says("hello")
    first = flow.poll()
    assert len(first.delivered) == 2 and len(first.failed) == 2 and flow.fake.sent == []
    assert flow.poll().delivered == []  # the poison DM is hidden, backed off; its conversation waits behind it
    for _ in range(4):  # the backoff passes, each time: 5 attempts in all
        flow.expire(first)
        first = flow.poll()
    dead = drain(flow.stack.refs["DmDeadLetterQueue"])
    assert [QueuedDM.from_body(m["Body"]).dm_id for m in dead] == [poison]
    assert dead[0]["MessageAttributes"]["reason"]["StringValue"].startswith("5 attempts failed, the last: unforeseen")
    assert table_item(flow.stack, f"dm#{BOT_ID}#{poison}")["outcome"] == {"S": "failed"}
    flow.poll()
    assert flow.answers() == [flow.responder.settings.bot_apology, "fine"]


class MeetingBot:
    """Answers a turn only once as many turns are being answered at the same time (or says it waited alone).

    A turn of the text to_pass is answered at once.
    """

    def __init__(self, together: int, to_pass: str) -> None:
        self.meeting = threading.Barrier(together, timeout=10)
        self.to_pass = to_pass
        self.turns: list[str] = []

    def answer(self, turn: Turn) -> list[Reply]:
        self.turns.append(turn.text)
        if turn.text == self.to_pass:
            return [Reply("passed")]
        try:
            self.meeting.wait()
        except threading.BrokenBarrierError:
            return [Reply("alone")]
        return [Reply(f"met: {turn.text}")]


def test_a_batchs_conversations_are_answered_side_by_side_each_in_its_order(
    pipeline: Callable[..., Pipeline],
) -> None:
    flow = pipeline(MARK_READ="false", TYPING_INDICATOR="false")
    flow.responder.wiring.bot_override = bot = MeetingBot(together=3, to_pass="second")
    others = [{"id": str(3001969400 + n), "name": f"User {n}", "screen_name": f"user{n}"} for n in range(2)]
    flow.user_says("first")
    for other in others:
        flow.user_says("hello", sender=other)
    flow.user_says("second")  # the same conversation as "first": answered after it, never beside it
    first = flow.poll()
    assert first.failed == [] and len(first.delivered) == 4
    answers = {(dm.recipient_id, dm.text) for dm in flow.fake.sent}
    assert {(other["id"], "met: hello") for other in others} <= answers  # three conversations met at the bot
    assert [dm.text for dm in flow.fake.sent if dm.recipient_id == USER_ID] == ["met: first", "passed"]
    assert bot.turns.index("first") < bot.turns.index("second")


def second_account_throttled(flow: Pipeline, monkeypatch: pytest.MonkeyPatch, times: int) -> tuple[str, list[str]]:
    """The second account served, its secret's reads throttled the first times; its id, and the reads throttled."""
    second = SECOND_ACCOUNT.bot_user_id
    boto3.client("secretsmanager").create_secret(
        Name=f"x-dm-channel/accounts/{second}", SecretString=account_secret(SECOND_ACCOUNT, "salesbot")
    )
    flow.fake.tokens[SECOND_ACCOUNT.access_token] = SECOND_ACCOUNT.access_token_secret
    throttled: list[str] = []

    def throttle(params: dict[str, Any], **_: Any) -> None:
        if params["SecretId"].endswith(second) and len(throttled) < times:
            throttled.append(params["SecretId"])
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "GetSecretValue")

    client = boto3.client("secretsmanager")
    client.meta.events.register("provide-client-params.secrets-manager.GetSecretValue", throttle)
    monkeypatch.setattr(credentials, "SECRETS", SecretCache(client))
    return second, throttled


def test_a_throttled_secret_read_brings_the_dm_back_and_never_unserves_the_account(
    pipeline: Callable[..., Pipeline], monkeypatch: pytest.MonkeyPatch
) -> None:
    flow = pipeline()
    second, throttled = second_account_throttled(flow, monkeypatch, times=1)
    dm_id = flow.user_says("hello", account=second)
    first = flow.poll()
    assert throttled and first.failed and flow.fake.sent == []  # back later: an attempt, not "not served"
    assert table_item(flow.stack, f"dm#{second}#{dm_id}")["outcome"] == {"S": "retry_later"}
    flow.expire(first)
    flow.poll()
    assert [dm.sender_id for dm in flow.fake.sent] == [second]


def test_a_dm_failing_before_its_responder_is_built_ends_failed_on_its_record(
    pipeline: Callable[..., Pipeline], monkeypatch: pytest.MonkeyPatch
) -> None:
    flow = pipeline()
    second, _ = second_account_throttled(flow, monkeypatch, times=100)  # throttled on every attempt
    dm_id = flow.user_says("hello", account=second)
    result = flow.poll()
    for _ in range(4):
        flow.expire(result)
        result = flow.poll()
    record = table_item(flow.stack, f"dm#{second}#{dm_id}")
    assert (record["outcome"], record["attempts"]) == ({"S": "failed"}, {"N": "5"})  # its end, not "retry_later"
    (dead,) = drain(flow.stack.refs["DmDeadLetterQueue"])
    assert dead["MessageAttributes"]["reason"]["StringValue"].startswith("5 attempts failed, the last: unforeseen")


def test_an_account_whose_secret_is_gone_is_no_longer_served_and_its_dms_end_so(
    pipeline: Callable[..., Pipeline],
) -> None:
    flow = pipeline()
    second = SECOND_ACCOUNT.bot_user_id
    secrets = boto3.client("secretsmanager")
    name = f"x-dm-channel/accounts/{second}"
    secrets.create_secret(Name=name, SecretString=account_secret(SECOND_ACCOUNT, "salesbot"))
    flow.fake.tokens[SECOND_ACCOUNT.access_token] = SECOND_ACCOUNT.access_token_secret
    flow.user_says("hello", account=second)
    flow.poll()
    secrets.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)  # `accounts remove`, then time passes
    credentials.SECRETS.forget()
    dm_id = flow.user_says("hello again", account=second)
    assert flow.poll().failed == []  # not retried: only "not found" un-serves, and it is not found
    assert table_item(flow.stack, f"dm#{second}#{dm_id}")["rule"] == {"S": "account_not_served"}


@pytest.mark.parametrize("capped", [False, True], ids=["402", "monthly usage cap"])
def test_spent_credits_hold_every_dm_and_one_probe_at_a_time_resumes_sending(
    pipeline: Callable[..., Pipeline], capped: bool
) -> None:
    flow = pipeline()
    flow.fake.credits_until, flow.fake.usage_capped = time.time() + 3_600, capped
    other = {"id": "3001969358", "name": "Sam", "screen_name": "sam"}
    dm_ids = [flow.user_says("hello"), flow.user_says("hello", sender=other)]
    held = flow.poll()
    refused = [status for path, status in flow.fake.calls if status in (402, 429)]
    assert len(held.failed) == 2 and flow.fake.sent == [] and 1 <= len(refused) <= 2  # side by side: both may call X
    for dm_id in dm_ids:
        item = table_item(flow.stack, f"dm#{BOT_ID}#{dm_id}")
        assert item["outcome"] == {"S": "held"} and item["attempts"] == {"N": "0"}  # no attempt spent
    with time_machine.travel(time.time() + 16 * 60, tick=True):  # the next probe: X still refuses
        flow.expire(held)
        held = flow.poll()
        assert len([s for _, s in flow.fake.calls if s in (402, 429)]) == len(refused) + 1  # one probe, one waited
    flow.fake.credits_until = 0.0  # credits added at X
    with time_machine.travel(time.time() + 32 * 60, tick=True):
        flow.expire(held)
        held = flow.poll()  # side by side, the DM the probe went before looks again a minute later
        assert len(held.failed) <= 1 and flow.fake.sent
    with time_machine.travel(time.time() + 34 * 60, tick=True):
        flow.expire(held)
        assert flow.poll().failed == []
    assert sorted(dm.recipient_id for dm in flow.fake.sent) == sorted([USER_ID, other["id"]])


def test_the_spend_limit_stops_answers_at_its_boundary_and_the_24_hours_lift_it(
    pipeline: Callable[..., Pipeline],
) -> None:
    flow = pipeline(DAILY_X_SPEND_LIMIT_USD="0.05")  # a DM received $0.010 and an answer $0.015: two answers
    dm_ids = []
    for text in ("hello", "what are the limits?", "and now?"):
        dm_ids.append(flow.user_says(text))
        assert flow.poll().failed == []
    assert len(flow.fake.sent) == 2
    last = table_item(flow.stack, f"dm#{BOT_ID}#{dm_ids[-1]}")
    assert (last["outcome"], last["rule"]) == ({"S": "unanswered"}, {"S": "spend_limit"})
    with time_machine.travel(time.time() + 25 * 3_600, tick=True):  # a day on, the bill of the last 24 hours is 0
        flow.user_says("hello again")
        assert flow.poll().failed == []
    assert len(flow.fake.sent) == 3


@pytest.mark.parametrize("first", ["aa", "xaa"], ids=["Account Activity first", "X Activity API first"])
def test_a_dm_from_both_surfaces_up_to_a_day_apart_is_answered_once_and_both_are_recorded(
    pipeline: Callable[..., Pipeline], first: str
) -> None:
    flow = pipeline()
    event = dm_event("1795600000000000777", USER_ID, BOT_ID, "hello", created_ms=int(time.time() * 1000))
    deliveries = {"aa": dm_delivery([event], [USER]), "xaa": activity_delivery([event], [USER])}
    flow.deliver(deliveries[first])
    assert flow.poll().failed == []
    with time_machine.travel(time.time() + 23 * 3_600, tick=True):  # the other surface, most of a day later
        flow.deliver(deliveries["xaa" if first == "aa" else "aa"])
        assert flow.poll().failed == []
    assert len(flow.fake.sent) == 1
    item = table_item(flow.stack, f"dm#{BOT_ID}#{event['id']}")
    assert set(item["surfaces"]["SS"]) == {"account_activity", "activity_api"}


def dead_lettered_on_account_activity(flow: Pipeline, dm_id: str) -> dict[str, Any]:
    """A DM whose Account Activity copy failed its 5 attempts (the bot broken) and was dead-lettered; its event."""
    flow.responder.wiring.bot_override = BreakingBot()
    event = dm_event(dm_id, USER_ID, BOT_ID, "hello", created_ms=int(time.time() * 1000))
    flow.deliver(dm_delivery([event], [USER]))
    result = flow.poll()
    for _ in range(4):
        flow.expire(result)
        result = flow.poll()
    return event


def test_a_dm_dead_lettered_on_one_surface_is_let_go_on_the_other_and_answered_once_redriven(
    pipeline: Callable[..., Pipeline],
) -> None:
    flow = pipeline()
    event = dead_lettered_on_account_activity(flow, "1795600000000000778")
    record = f"dm#{BOT_ID}#{event['id']}"
    assert table_item(flow.stack, record)["dead_surface"] == {"S": "account_activity"}
    flow.responder.wiring.bot_override = None
    calls = len(flow.fake.calls)
    flow.deliver(activity_delivery([event], [USER]))  # the same DM from the X Activity API, while migrating
    assert flow.poll().failed == []
    assert len(flow.fake.calls) == calls and table_item(flow.stack, record)["outcome"] == {"S": "failed"}
    (dead,) = drain(flow.stack.refs["DmDeadLetterQueue"])  # one dead letter: the copy let go made none
    flow.sqs.send_message(  # its redrive, as `x-dm-channel dead-letters redrive` sends it
        QueueUrl=flow.stack.refs["DmQueue"],
        MessageBody=dead["Body"],
        MessageGroupId=QueuedDM.from_body(dead["Body"]).conversation_id,
        MessageDeduplicationId="redriven",
    )
    assert flow.poll().failed == []
    assert table_item(flow.stack, record)["outcome"] == {"S": "answered"}
    assert flow.answers()[-1].startswith("Hi Jordan") and len(flow.fake.sent) == 2  # the apology, then the answer


def test_the_other_surfaces_copy_failing_before_it_is_answered_makes_no_second_dead_letter(
    pipeline: Callable[..., Pipeline],
) -> None:
    flow = pipeline()
    event = dead_lettered_on_account_activity(flow, "1795600000000000779")
    flow.deliver(activity_delivery([event], [USER]))  # its copy, which fails before a responder is made for it
    (copy,) = flow.sqs.receive_message(QueueUrl=flow.stack.refs["DmQueue"], AttributeNames=["All"])["Messages"]
    (record,) = sqs_event([copy], flow.stack.attributes[("DmQueue", "Arn")])["Records"]
    failure = Fate(Outcome.RETRY_LATER, detail="unforeseen ClientError at accounts.py:1")
    dm = QueuedDM.from_body(copy["Body"])
    fate = failed_before_counting(flow.responder.wiring, dm, QueueMessage.from_record(record), failure)
    assert fate.outcome is Outcome.DUPLICATE  # let go: no attempt counted, no second dead letter
    item = table_item(flow.stack, f"dm#{BOT_ID}#{event['id']}")
    assert (item["outcome"], item["attempts"], item["dead_surface"]) == (
        {"S": "failed"},
        {"N": "5"},
        {"S": "account_activity"},
    )


def test_a_dm_left_by_a_rule_never_spends_the_credits_probe(pipeline: Callable[..., Pipeline]) -> None:
    flow = pipeline()
    other = {"id": "3001969358", "name": "Sam", "screen_name": "sam"}
    flow.user_says("STOP", sender=other)  # Sam opts out while X still takes sends
    assert flow.poll().failed == []
    flow.fake.credits_until = time.time() + 10 * 60  # then the app's credits run out for ten minutes
    flow.user_says("hello")
    held = flow.poll()
    assert held.failed and len(flow.fake.sent) == 1
    (message_id,) = held.failed
    flow.sqs.change_message_visibility(  # the held DM comes back only after the opted-out one
        QueueUrl=flow.stack.refs["DmQueue"], ReceiptHandle=held.receipts[message_id], VisibilityTimeout=20 * 60
    )
    with time_machine.travel(time.time() + 16 * 60, tick=True):  # the probe is due, and X takes sends again
        flow.user_says("hello again", sender=other)  # opted out: unanswered, and no call to X
        assert flow.poll().failed == []
        another = pipeline()  # another responder instance takes the held DM
        another.expire(held)
        assert another.poll().failed == []  # the held DM is the probe: answered now, not 15 minutes on
    assert [dm.recipient_id for dm in flow.fake.sent] == [other["id"], USER_ID]
