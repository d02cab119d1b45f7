"""XChat end to end with real cryptography: a simulated user's SDK, the fake X framing, the webhook, the responder."""

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import boto3
import pytest
import time_machine

from devstack.fake_x import FakeX
from devstack.fake_xchat import (
    RATE_LIMIT_UPSELL,
    RECIPIENT_KEY_HAS_CHANGED,
    RECIPIENT_NOT_TRUSTED,
    ChatEvent,
    chat_delivery,
    conversation_of,
)
from devstack.local_http import LocalHTTPServer, serve_in_background, write_answer
from devstack.provision import LocalStack
from devstack.xchat_user import XChatUser, bot_identity
from dmchannel import credentials
from dmchannel.bots.base import Reply, Turn
from dmchannel.credentials import SecretCache
from dmchannel.queued_dm import QueuedDM
from dmchannel.responder.lifecycle import Outcome, Rule
from dmchannel.storage.dm_records import DmRecords
from dmchannel.xchat.envelope import STRING, STRUCT, decode_struct, encode_struct
from dmchannel.xchat.session import XChatSession
from tests.integration.conftest import BOT_ID, USER_ID, Loader, Pipeline, capture_service_logs


@dataclass
class XChatFlow:
    flow: Pipeline
    user: XChatUser
    fake: FakeX
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    def user_says(self, text: str, **options: Any) -> str:
        message_id = self.user.says(BOT_ID, text, **options)
        self.flow.deliver(self.deliveries.pop())
        return message_id

    def answers(self) -> list[dict[str, Any]]:
        return [m for m in self.user.read(BOT_ID) if m["sender_id"] == BOT_ID]


def xchat_flow(
    pipeline: Callable[..., Pipeline], stack: LocalStack, fake_x: tuple[FakeX, str], **overrides: str
) -> XChatFlow:
    """The pipeline with the bot account's XChat keys and token in its secret, and a user with their own keys."""
    fake, url = fake_x
    flow = pipeline(**overrides)
    secrets = boto3.client("secretsmanager")
    secret_id = stack.refs["XCredentialsSecret"]
    value = json.loads(secrets.get_secret_value(SecretId=secret_id)["SecretString"])
    identity = bot_identity(fake.xchat, BOT_ID)
    secrets.put_secret_value(SecretId=secret_id, SecretString=json.dumps(value | {"xchat": identity}))
    credentials.SECRETS.forget()
    chat = XChatFlow(flow, XChatUser(USER_ID, fake.xchat, url), fake)

    def deliver(sender: str, recipient: str, event: ChatEvent, key_change: str) -> None:
        if recipient == BOT_ID:
            chat.deliveries.append(chat_delivery(BOT_ID, sender, event, key_change, int(time.time() * 1000)))

    fake.xchat.on_message = deliver
    return chat


@pytest.fixture
def xchat(pipeline: Callable[..., Pipeline], stack: LocalStack, fake_x: tuple[FakeX, str]) -> XChatFlow:
    return xchat_flow(pipeline, stack, fake_x)


def test_a_user_writes_encrypted_and_reads_the_bots_encrypted_answer(xchat: XChatFlow) -> None:
    message_id = xchat.user_says("hello")
    queued = xchat.flow.sqs.receive_message(QueueUrl=xchat.flow.stack.refs["DmQueue"], VisibilityTimeout=0)["Messages"]
    dm = QueuedDM.from_body(queued[0]["Body"])
    assert dm.text == "" and dm.encoded_event and dm.key_change_event  # queued as X delivered it, never decrypted
    assert xchat.flow.poll().failed == []
    (answer,) = xchat.answers()
    assert answer["verified"] and answer["content"]["text"].startswith("Hi")
    assert answer["content"]["replying_to_preview"]["replying_to_message_id"] == message_id
    options = answer["content"]["quick_reply"]["request"]["options"]["options"]
    assert [o["metadata"] for o in options] == ["intent:what", "intent:how", "intent:limits", "intent:own_bot"]
    assert "1. " in answer["content"]["text"]  # written as a numbered list too
    paths = {path.rsplit("/", 1)[-1] for method, path, _ in xchat.fake.xchat.calls if method == "POST"}
    assert {"read", "typing", "messages"} <= paths

    xchat.user_says("3")  # a typed number reaches the bot as the third button's payload
    assert xchat.flow.poll().failed == []
    xchat.user_says("", option={**options[1], "request_id": "r"})  # and so does a tapped option
    assert xchat.flow.poll().failed == []
    _, typed, tapped = xchat.answers()
    assert typed["content"]["text"].startswith("X allows an account 1,000 DMs a day")
    assert "X calls a webhook" in tapped["content"]["text"]


def test_a_missing_key_change_event_is_fetched_from_the_conversation(xchat: XChatFlow) -> None:
    xchat.fake.xchat.include_key_change = False
    xchat.user_says("hello")
    assert "conversation_key_change_event" not in json.dumps(xchat.deliveries)
    assert xchat.flow.poll().failed == []
    assert len(xchat.answers()) == 1
    assert any(method == "GET" and path.endswith("/events") for method, path, _ in xchat.fake.xchat.calls)


@pytest.mark.parametrize("field_id", [2, 3, "content"])
def test_a_tampered_message_is_never_answered(
    xchat: XChatFlow, field_id: int | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = capture_service_logs(monkeypatch)
    xchat.user.says(BOT_ID, "hello")
    delivery = xchat.deliveries.pop()
    payload = delivery["data"]["payload"]
    event = decode_struct(base64.b64decode(payload["encoded_event"]))
    if field_id == "content":
        create = dict(event[7][1][1][1])
        contents = bytearray(create[100][1])
        contents[-1] ^= 1
        event[7] = (STRUCT, {1: (STRUCT, create | {100: (STRING, bytes(contents))})})
    else:
        event[int(field_id)] = (STRING, "4337869213" if field_id == 3 else "another-id")
        payload["sender_id" if field_id == 3 else "id"] = "999" if field_id == 3 else "another-id"
    payload["encoded_event"] = base64.b64encode(encode_struct(event)).decode()
    xchat.flow.deliver(delivery)
    assert xchat.flow.poll().failed == []
    assert xchat.answers() == []
    record = DmRecords(boto3.client("dynamodb"), xchat.flow.stack.refs["StateTable"], BOT_ID).read(payload["id"])
    assert record is not None and (record.outcome, record.rule) == (Outcome.UNANSWERED, Rule.UNREADABLE)
    refused = [line for line in map(json.loads, logs.getvalue().splitlines()) if line.get("rule") == "unreadable"]
    assert refused and "text" not in refused[-1]  # logged with its reason, never its content


def test_a_retry_after_a_failed_send_posts_the_same_bytes_and_the_user_sees_one_message(xchat: XChatFlow) -> None:
    posted: list[bytes] = []
    route = xchat.fake.xchat.route

    def recording(method: str, url: str, headers: Any, body: bytes) -> Any:
        if url.endswith("/messages") and headers.get("Authorization", "").endswith(xchat_bot_token(xchat)):
            posted.append(body)
        return route(method, url, headers, body)

    xchat.fake.xchat.route = recording  # type: ignore[method-assign]
    xchat.user_says("hello")
    xchat.fake.xchat.fail_next("messages", 500, times=3)
    result = xchat.flow.poll()
    assert result.failed  # X failed three times: back to the queue
    xchat.flow.expire(result)
    assert xchat.flow.poll().failed == []
    assert len(posted) == 4 and len(set(posted)) == 1  # every attempt posted the stored bytes
    assert len(xchat.answers()) == 1


def xchat_bot_token(xchat: XChatFlow) -> str:
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=xchat.flow.stack.refs["XCredentialsSecret"])
    return str(json.loads(secret["SecretString"])["xchat"]["access_token"])


def test_no_plaintext_in_the_logs_the_queue_or_dynamodb(
    xchat: XChatFlow, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = capture_service_logs(monkeypatch)
    said = "my secret order number is 4417"
    xchat.user_says(said)
    queued = xchat.flow.sqs.receive_message(QueueUrl=xchat.flow.stack.refs["DmQueue"], VisibilityTimeout=0)["Messages"]
    assert xchat.flow.poll().failed == []
    (answer,) = xchat.answers()
    answered = answer["content"]["text"]
    table = boto3.client("dynamodb").scan(TableName=xchat.flow.stack.refs["StateTable"])["Items"]
    stored = json.dumps(table) + json.dumps(queued) + logs.getvalue() + capsys.readouterr().out
    assert any(item["pk"]["S"].startswith("dm#") for item in table)  # the plan is stored...
    for text in (said, "order number", answered[:40], "intent:what"):
        assert text not in stored  # ...and holds only what X receives


def test_the_typing_indicator_is_shown_again_while_a_slow_bot_thinks(
    pipeline: Callable[..., Pipeline],
    stack: LocalStack,
    fake_x: tuple[FakeX, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class SlowBot(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(1.0)
            write_answer(self, 200, {"Content-Type": "application/json"}, b'[{"text": "Found it."}]')

        def log_message(self, *_: Any) -> None:
            pass

    bot = serve_in_background(LocalHTTPServer(("127.0.0.1", 0), SlowBot))
    monkeypatch.setattr(XChatSession, "typing_every", 0.25)
    try:
        xchat = xchat_flow(
            pipeline, stack, fake_x, BOT_KIND="http", BOT_URL=f"http://127.0.0.1:{bot.server_address[1]}"
        )
        xchat.user_says("where is my order?")
        assert xchat.flow.poll().failed == []
    finally:
        bot.shutdown()
    assert [m["content"]["text"] for m in xchat.answers()] == ["Found it."]
    typing = [path for method, path, _ in xchat.fake.xchat.calls if method == "POST" and path.endswith("/typing")]
    assert len(typing) >= 3  # once with the read receipt, then again while the bot took a second


def test_a_rotated_token_is_read_again_on_a_401_never_refreshed_by_the_responder(xchat: XChatFlow) -> None:
    xchat.user_says("hello")
    assert xchat.flow.poll().failed == []
    secrets, secret_id = boto3.client("secretsmanager"), xchat.flow.stack.refs["XCredentialsSecret"]
    value = json.loads(secrets.get_secret_value(SecretId=secret_id)["SecretString"])
    fake = xchat.fake.xchat
    fake.tokens = {token: owner for token, owner in fake.tokens.items() if owner[0] != BOT_ID}  # the old token dies
    value["xchat"] |= {k: v for k, v in fake.issue_tokens(BOT_ID).items() if k in ("access_token", "refresh_token")}
    secrets.put_secret_value(SecretId=secret_id, SecretString=json.dumps(value))  # as the token keeper stores it
    xchat.user_says("what are the limits?")
    assert xchat.flow.poll().failed == []
    assert len(xchat.answers()) == 2
    statuses = [status for method, path, status in fake.calls if method == "POST" and path.endswith("/read")]
    assert statuses == [200, 401, 200]  # the cached token was refused once, then the stored one was read again
    assert not any(path == "/2/oauth2/token" for _, path, _ in fake.calls)


def test_a_revoked_token_holds_xchat_dms_until_a_valid_one_is_there_then_answers_once(xchat: XChatFlow) -> None:
    secrets, secret_id = boto3.client("secretsmanager"), xchat.flow.stack.refs["XCredentialsSecret"]
    fake = xchat.fake.xchat
    fake.tokens = {token: owner for token, owner in fake.tokens.items() if owner[0] != BOT_ID}  # revoked at X
    message_id = xchat.user_says("hello")
    first = xchat.flow.poll()
    assert first.failed and xchat.answers() == []  # held: neither refused nor dropped
    record = DmRecords(boto3.client("dynamodb"), xchat.flow.stack.refs["StateTable"], BOT_ID).read(message_id)
    assert record is not None and record.outcome is Outcome.HELD and record.attempts == 0  # no attempt spent
    value = json.loads(secrets.get_secret_value(SecretId=secret_id)["SecretString"])
    value["xchat"] |= {k: v for k, v in fake.issue_tokens(BOT_ID).items() if k in ("access_token", "refresh_token")}
    secrets.put_secret_value(SecretId=secret_id, SecretString=json.dumps(value))  # `xchat login` again
    xchat.flow.expire(first)
    assert xchat.flow.poll().failed == []
    assert [m["content"]["text"][:2] for m in xchat.answers()] == ["Hi"]


class LongAnswers:
    """Answers every DM with five replies of X's longest, in four-byte characters."""

    def answer(self, turn: Turn) -> list[Reply]:
        return [Reply(str(n) + "😀" * 9_999) for n in range(5)]


def test_a_long_message_with_five_long_replies_fits_the_table_and_is_answered_whole(xchat: XChatFlow) -> None:
    xchat.flow.responder.wiring.bot_override = LongAnswers()
    message_id = xchat.user_says("🙂" * 10_000)
    assert xchat.flow.poll().failed == []
    key = {"pk": {"S": f"dm#{BOT_ID}#{message_id}"}}
    item = boto3.client("dynamodb").get_item(TableName=xchat.flow.stack.refs["StateTable"], Key=key)["Item"]
    assert len(item["plan"]["S"]) < 1_000  # the record names its parts: each message in an item of its own
    texts = [m["content"]["text"] for m in xchat.answers()]
    assert [text[0] for text in texts] == ["0", "1", "2", "3", "4"] and all(len(text) == 10_000 for text in texts)


def test_a_person_who_registers_new_keys_is_answered_at_once(xchat: XChatFlow, fake_x: tuple[FakeX, str]) -> None:
    xchat.user_says("hello")
    assert xchat.flow.poll().failed == [] and len(xchat.answers()) == 1
    with time_machine.travel(time.time() + 120, tick=True):  # minutes later, well within the hour keys are kept
        xchat.user = XChatUser(USER_ID, xchat.fake.xchat, fake_x[1])  # a new device: new keys, registered at X
        xchat.user_says("it's me again")
        assert xchat.flow.poll().failed == []
        assert len(xchat.answers()) == 1  # the answer to the new message, read on the new device


def test_the_live_delivery_shape_is_answered_too(xchat: XChatFlow) -> None:
    message_id = xchat.user.says(BOT_ID, "hello")
    delivery = xchat.deliveries.pop()
    data = delivery["data"]
    del data["filter"], data["tag"]  # xchat/real-time-events' shape: no filter, no payload id, a-b conversation
    for name in ("id", "created_at_msec", "conversation_token", "message_event_signature"):
        data["payload"].pop(name, None)
    data["payload"]["conversation_id"] = f"{USER_ID}-{BOT_ID}"
    xchat.flow.deliver(delivery)
    assert xchat.flow.poll().failed == []
    (answer,) = xchat.answers()
    assert answer["content"]["replying_to_preview"]["replying_to_message_id"] == message_id


def test_a_dm_held_for_a_refused_token_ends_unanswered_when_its_24_hours_are_up(xchat: XChatFlow) -> None:
    fake = xchat.fake.xchat
    fake.tokens = {token: owner for token, owner in fake.tokens.items() if owner[0] != BOT_ID}  # revoked, never back
    message_id = xchat.user_says("hello")
    with time_machine.travel(time.time() + 25 * 3_600, tick=True):  # its turn comes a day late
        assert xchat.flow.poll().failed == []
        record = DmRecords(boto3.client("dynamodb"), xchat.flow.stack.refs["StateTable"], BOT_ID).read(message_id)
    assert record is not None and (record.outcome, record.rule) == (Outcome.UNANSWERED, Rule.TOO_OLD)


def test_a_person_answering_in_xchat_takes_the_conversation_and_the_channels_own_never_does(
    xchat: XChatFlow,
) -> None:
    xchat.user_says("hello")
    assert xchat.flow.poll().failed == []
    (answer,) = xchat.answers()

    def sent_by_account(message_id: str) -> dict[str, Any]:
        fields = {2: (STRING, message_id), 3: (STRING, BOT_ID), 4: (STRING, f"{BOT_ID}:{USER_ID}")}
        payload = {"sender_id": BOT_ID, "conversation_id": f"{USER_ID}-{BOT_ID}"}
        payload["encoded_event"] = base64.b64encode(encode_struct(fields)).decode()
        return {"data": {"event_type": "chat.sent", "filter": {"user_id": BOT_ID}, "payload": payload}}

    xchat.flow.deliver(sent_by_account(answer["id"]))  # X tells of the channel's own answer: nothing changes
    xchat.flow.poll()
    xchat.user_says("and the limits?")
    assert xchat.flow.poll().failed == [] and len(xchat.answers()) == 2
    xchat.flow.deliver(sent_by_account("typed-by-a-person"))  # a person answers from the account, by hand
    xchat.flow.poll()
    xchat.user_says("thanks, Sam")
    assert xchat.flow.poll().failed == [] and len(xchat.answers()) == 2  # the bot stays quiet


def test_a_reply_x_fails_after_taking_it_is_sent_again_once_after_the_hold(xchat: XChatFlow) -> None:
    records = DmRecords(boto3.client("dynamodb"), xchat.flow.stack.refs["StateTable"], BOT_ID)
    xchat.fake.xchat.fail_delivery(
        BOT_ID, RATE_LIMIT_UPSELL, times=2
    )  # our tier is throttled: the answer and its resend fail
    message_id = xchat.user_says("hello")
    assert xchat.flow.poll().failed == [] and xchat.answers() == []  # X took the answer (201), then failed it
    first = xchat.deliveries[-1]["data"]["payload"]["id"]
    xchat.flow.deliver(xchat.deliveries.pop())  # X's Failure event reaches the account as a message does
    held = xchat.flow.poll()
    assert held.failed and xchat.answers() == []  # every send of the account waits out the throttle
    record = records.read(first)
    assert record is not None and record.outcome is Outcome.HELD and record.attempts == 0
    assert record.retry_at - time.time() > 14 * 60
    with time_machine.travel(time.time() + 16 * 60, tick=True):
        xchat.flow.expire(held)
        assert xchat.flow.poll().failed == [] and xchat.answers() == []  # sent again, the same bytes: failed again
        second = xchat.deliveries[-1]["data"]["payload"]["id"]
        xchat.flow.deliver(xchat.deliveries.pop())
        assert xchat.flow.poll().failed == []  # a resend that failed is not sent a third time
    ended = records.read_many([message_id, first, second])
    assert [(ended[dm_id].outcome, ended[dm_id].rule) for dm_id in (message_id, first, second)] == [
        (Outcome.ANSWERED, None),
        (Outcome.ANSWERED, Rule.RESENT),
        (Outcome.UNANSWERED, Rule.SEND_FAILED),
    ]
    assert len(bot_sends(xchat)) == 2


@pytest.mark.parametrize("failure_type", [RECIPIENT_KEY_HAS_CHANGED, RECIPIENT_NOT_TRUSTED])
def test_a_reply_the_same_bytes_cannot_cure_ends_named_and_is_not_sent_again(
    xchat: XChatFlow, failure_type: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = capture_service_logs(monkeypatch)
    xchat.fake.xchat.fail_delivery(BOT_ID, failure_type)
    message_id = xchat.user_says("hello")
    assert xchat.flow.poll().failed == []
    failure_id = xchat.deliveries[-1]["data"]["payload"]["id"]
    xchat.flow.deliver(xchat.deliveries.pop())
    assert xchat.flow.poll().failed == []  # neither held nor retried
    records = DmRecords(boto3.client("dynamodb"), xchat.flow.stack.refs["StateTable"], BOT_ID)
    record = records.read(failure_id)
    assert record is not None and (record.outcome, record.rule) == (Outcome.UNANSWERED, Rule.SEND_FAILED)
    assert len(bot_sends(xchat)) == 1
    said = [line for line in map(json.loads, logs.getvalue().splitlines()) if line.get("rule") == "send_failed"]
    assert message_id in said[-1]["detail"]  # names the DM whose reply failed


def bot_sends(xchat: XChatFlow) -> list[str]:
    """The messages the bot posted to the user."""
    return [p for m, p, _ in xchat.fake.xchat.calls if m == "POST" and p == f"/2/chat/conversations/{USER_ID}/messages"]


@pytest.mark.parametrize("policy", ["everyone", "none"])
def test_a_strangers_message_request_is_picked_up_by_the_policy_and_answered_once(
    xchat: XChatFlow, load_function: Loader, fake_x: tuple[FakeX, str], policy: str
) -> None:
    fake = xchat.fake.xchat
    fake.strangers.add(USER_ID)  # the person's first message waits in the account's requests
    xchat.user.says(BOT_ID, "hello")
    assert xchat.deliveries == []  # and never reaches the webhook
    requests = load_function(
        "message_requests", "MessageRequestFunction", X_API_BASE_URL=fake_x[1], XCHAT_ACCEPT_REQUESTS=policy
    )
    picked = requests.lambda_handler({}, xchat.flow.context)
    if policy == "none":
        assert picked == {BOT_ID: "0 queued"} and list(fake.message_requests[BOT_ID].values()) == [USER_ID]
        assert xchat.flow.poll().delivered == []
        return
    assert picked == {BOT_ID: "1 queued"} and fake.message_requests[BOT_ID] == {}
    assert xchat.flow.poll().failed == []
    (answer,) = xchat.answers()
    assert answer["content"]["text"].startswith("Hi")
    assert requests.lambda_handler({}, xchat.flow.context) == {BOT_ID: "0 queued"}  # nothing pending, nothing again
    xchat.user_says("what are the limits?")  # accepted: the conversation's messages now reach the webhook
    assert xchat.flow.poll().failed == [] and len(xchat.answers()) == 2


def test_each_reply_goes_under_the_key_version_of_the_message_it_answers(xchat: XChatFlow) -> None:
    xchat.fake.xchat.include_key_change = False  # the bot reads both keys from X at its first message
    xchat.user.says(BOT_ID, "under the first key")
    first = xchat.deliveries.pop()
    xchat.user.open_conversation(BOT_ID)  # the person turns the key before the bot has answered
    xchat.user.says(BOT_ID, "under the second key")
    second = xchat.deliveries.pop()
    versions = [d["data"]["payload"]["conversation_key_version"] for d in (first, second)]
    assert versions[0] != versions[1]  # the first message's reply goes under its key, though the bot knows a newer
    for delivery in (first, second):
        xchat.flow.deliver(delivery)
        assert xchat.flow.poll().failed == []
    conversation = conversation_of(USER_ID, BOT_ID)
    replies = [e for e in xchat.fake.xchat.messages(conversation) if e.sender_id == BOT_ID]
    assert [reply.key_version for reply in replies] == versions
    assert len(xchat.answers()) == 2  # and the person reads both


def test_material_where_it_was_set_up_before_costs_one_failed_read_not_one_per_dm(
    xchat: XChatFlow, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    client = boto3.client("secretsmanager")
    client.meta.events.register(
        "provide-client-params.secrets-manager.GetSecretValue",
        lambda params, **_: asked.append(params["SecretId"]),
    )
    monkeypatch.setattr(credentials, "SECRETS", SecretCache(client))
    for text in ("hello", "what are the limits?", "thanks"):
        xchat.user_says(text)
        assert xchat.flow.poll().failed == []
    assert len(xchat.answers()) == 3
    own = [secret for secret in asked if secret.endswith(f"accounts/{BOT_ID}")]
    assert len(own) == 1  # the primary's own XChat secret is not there: asked once, then remembered
