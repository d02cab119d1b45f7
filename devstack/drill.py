"""`make drill`: fault drills against the local stack, and a table of what happened to every DM.

Each drill runs the deployed handlers (webhook and responder) on moto, the fake X and a
scriptable bot, with a simulated clock so that waiting for a rate-limit reset 20 hours away
takes no time: when nothing is left to deliver but DMs wait, the clock jumps to the next
reset (or past the retry delay) and the waiting messages come back, as SQS would bring them.
Then it accounts for every DM received, from the table and the queues (never from the
logs): answered (late, when it needed more than one try), left unanswered by a rule (the
record's ``rule``), dead-lettered (and why), or lost; DMs whose record holds no final
``outcome``; and for every reply X took: sent twice, mixed from two calls to the bot, or
over a limit. The crash drills crash at the responder's checkpoints, and fail unless
they crashed every DM there.
"""

import argparse
import io
import json
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, redirect_stderr, redirect_stdout, suppress
from dataclasses import dataclass, field
from itertools import count
from types import ModuleType
from typing import Any

import boto3
import requests
from botocore.exceptions import ClientError

from devstack.apigw import http_api_event
from devstack.deliveries import BOT_USER, activity_delivery, dm_delivery, dm_event, encode
from devstack.dev_credentials import DEV_CREDENTIALS
from devstack.drill_bot import DrillBot, serve_drill_bot
from devstack.fake_x import FakeX, SentDM, serve
from devstack.fake_xchat import RATE_LIMIT_UPSELL, ChatEvent, chat_delivery, conversation_of
from devstack.lambda_runtime import FunctionDied, LocalFunction, import_function
from devstack.log_capture import LogCapture
from devstack.moto_server import RequestCounter, start_local_aws
from devstack.poller import BatchResult, poll_once
from devstack.provision import LocalStack, provision
from devstack.xchat_user import XChatUser, bot_identity
from dmchannel import credentials
from dmchannel.credentials import SecretCache
from dmchannel.queued_dm import QueuedDM
from dmchannel.responder.lifecycle import Checkpoint, Outcome, ReplyState
from dmchannel.storage.dm_records import DmRecords, record_from_item
from dmchannel.storage.table import Prefix
from dmchannel.webhook.signature import SIGNATURE_HEADER, sign
from scripts.measured import markdown, record
from xdm_cli.dead_letters import redrive

ACCOUNT = DEV_CREDENTIALS.bot_user_id
RETRY_JUMP_SECONDS = 31  # a DM that waits with no time of its own (a crash): past the shortest retry delay
MAX_ROUNDS = 2_000
CALL = re.compile(r"\| call (\d+), part \d+/\d+$")
TAG = re.compile(r"#d\d+\b")
DAY_MS = 86_400_000


@dataclass
class SimClock:
    """Wall-clock time plus an offset that the drill moves forward."""

    offset: float = 0.0

    def now(self) -> float:
        """The simulated time (epoch seconds)."""
        return time.time() + self.offset


@dataclass
class Row:
    """What happened to one drill's DMs and replies."""

    name: str
    received: int = 0
    answered: int = 0
    late: int = 0
    unanswered: Counter[str] = field(default_factory=Counter)
    dead_lettered: Counter[str] = field(default_factory=Counter)
    lost: int = 0
    no_outcome: int = 0  # DMs whose record holds no final outcome
    sent_twice: int = 0
    mixed: int = 0
    limit_violations: int = 0
    unreadable: int = 0  # XChat: answers at X that the person cannot decrypt and verify

    def add(self, other: "Row") -> None:
        """Sum another row into this one."""
        counts = ("received", "answered", "late", "lost", "no_outcome", "sent_twice", "mixed", "limit_violations")
        for name in (*counts, "unreadable"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.unanswered.update(other.unanswered)
        self.dead_lettered.update(other.dead_lettered)


class Harness:
    """One drill's stack: the handlers, moto's resources, the fake X, the bot and the clock."""

    def __init__(
        self, moto_url: str, env: dict[str, str], *, pollers: int = 1, timeout: float = 60.0, xchat: bool = False
    ) -> None:
        requests.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()
        credentials.SECRETS.forget()
        self.clock = SimClock()
        self.stack: LocalStack = provision(
            secret_values={"XCredentialsSecret": json.dumps(DEV_CREDENTIALS.secret_values())}
        )
        self.fake = FakeX(DEV_CREDENTIALS, clock=self.clock.now)
        self.bot = DrillBot()
        self._servers = [serve(self.fake), serve_drill_bot(self.bot)]
        self.x_url = x_url = f"http://127.0.0.1:{self._servers[0].server_address[1]}"
        bot_url = f"http://127.0.0.1:{self._servers[1].server_address[1]}/webhooks/rest/webhook"
        variables = {
            **self.stack.function_environment("WebhookFunction"),
            **self.stack.function_environment("ResponderFunction"),
            **self.stack.function_environment("MessageRequestFunction"),
            "X_API_BASE_URL": x_url,
            "BOT_KIND": "http",
            "BOT_URL": bot_url,
            **env,
        }
        os.environ.update(variables)
        # XChat: the account's keys and token in its secret; the users write encrypted, each with their own keys.
        self.xchat_users: dict[str, XChatUser] | None = {} if xchat else None
        self.former_devices: list[XChatUser] = []  # users' earlier keys: they read what was sent to them
        self._chat_messages: list[tuple[str, ChatEvent, str]] = []  # what X has for the account, not yet delivered
        if xchat:
            self.fake.xchat.token_seconds = 10**9  # a drill may jump days; the token keeper's work is drilled apart
            self.fake.xchat.on_message = lambda sender, to, event, key: (
                self._chat_messages.append((sender, event, key)) if to == ACCOUNT else None
            )
            secret = json.dumps(DEV_CREDENTIALS.secret_values() | {"xchat": bot_identity(self.fake.xchat, ACCOUNT)})
            boto3.client("secretsmanager").put_secret_value(
                SecretId=self.stack.refs["XCredentialsSecret"], SecretString=secret
            )
        self.webhook = LocalFunction("webhook", import_function("webhook"))
        self.responders = [self._responder(timeout) for _ in range(pollers)]
        self.sqs = boto3.client("sqs")
        self.received: set[str] = set()
        self.retried: set[str] = set()
        self.waiting: dict[str, tuple[str, QueuedDM]] = {}  # message id -> receipt and DM, of those that wait
        self.crashed: set[str] = set()  # the DMs a crash drill crashed
        self.scheduled: list[tuple[float, Callable[[], None]]] = []  # what the drill does when the clock gets there
        self.live_shape = False  # XChat: deliver as xchat/real-time-events shows it (no filter, no payload id)
        self._ids = count(1)
        self.logs = LogCapture(os.environ["POWERTOOLS_SERVICE_NAME"])  # bench_cost counts their bytes

    def _responder(self, timeout: float) -> LocalFunction:
        module = import_function("responder")
        module.wiring.clock = self.clock.now  # the responder's clock: the drill's
        return LocalFunction("responder", module, timeout_seconds=timeout)

    @property
    def responder_modules(self) -> list[ModuleType]:
        """The responder instances' modules (for fault injection)."""
        return [function.module for function in self.responders]

    def close(self) -> None:
        """Stop the servers, detach the log capture, and put back what the drill changed."""
        self.logs.close()
        for server in self._servers:
            server.shutdown()
        credentials.SECRETS = SecretCache()  # a drill's own Secrets Manager client goes with it

    def dm(self, user_id: str, text: str, *, written_at: float | None = None) -> dict[str, Any]:
        """One DM event from a user, tagged (#dN) so that its answers can be traced to it."""
        number = next(self._ids)
        created = written_at if written_at is not None else self.clock.now()
        tagged = text if text.isupper() else f"#d{number} {text}"  # keywords (STOP) go as they are
        return dm_event(
            str(1_800_000_000_000_000_000 + number), user_id, ACCOUNT, tagged, created_ms=int(created * 1000)
        )

    def deliver(self, events: list[dict[str, Any]], times: int = 1, surface: str = "account_activity") -> None:
        """POST one signed delivery of these DM events to the webhook (times times), as that surface delivers.

        In an XChat drill, each event's user writes it encrypted instead, and X delivers it as chat.received.
        """
        if self.xchat_users is not None:
            for event in events:
                delivery = self._chat_delivery(event)
                if delivery:
                    self._post(encode(delivery), times)
            return
        users = [{"id": e["message_create"]["sender_id"], "name": "User", "screen_name": "user"} for e in events]
        delivery = (
            activity_delivery(events, [*users, BOT_USER])
            if surface == "activity_api"
            else dm_delivery(events, [*users, BOT_USER])
        )
        self._post(encode(delivery), times)
        self.received.update(e["id"] for e in events)

    def _post(self, body: bytes, times: int) -> None:
        headers = {SIGNATURE_HEADER: sign(DEV_CREDENTIALS.consumer_secret, body)}
        for _ in range(times):
            answer = self.webhook.invoke(http_api_event("POST", "/webhook", headers=headers, body=body))
            assert answer["statusCode"] == 200, answer

    def _chat_delivery(self, event: dict[str, Any], group: str = "") -> dict[str, Any] | None:
        """The chat.received delivery of a DM event's text, written encrypted by its user (in a group with the account).

        None when X keeps it from the webhook (a stranger's message request).
        """
        assert self.xchat_users is not None
        sender, text = event["message_create"]["sender_id"], event["message_create"]["message_data"]["text"]
        if sender not in self.xchat_users:
            self.xchat_users[sender] = XChatUser(sender, self.fake.xchat, self.x_url)
        message_id = self.xchat_users[sender].says(group or ACCOUNT, text, members=(ACCOUNT,) if group else ())
        self.received.add(message_id)
        found = [entry for entry in self._chat_messages if entry[1].message_id == message_id]
        if not found:
            return None
        self._chat_messages.remove(found[0])
        _, chat_event, key_change = found[0]
        delivery = chat_delivery(ACCOUNT, sender, chat_event, key_change, int(event["created_timestamp"]))
        if group:
            delivery["data"]["payload"]["conversation_id"] = group
        if self.live_shape:
            data = delivery["data"]
            del data["filter"], data["tag"], data["payload"]["id"], data["payload"]["created_at_msec"]
        return delivery

    def deliver_in_group(self, event: dict[str, Any], group: str) -> None:
        """The DM event's user writes it in a group they share with the account; X delivers it."""
        delivery = self._chat_delivery(event, group)
        if delivery:
            self._post(encode(delivery), 1)

    def _deliver_reports(self) -> None:
        """Deliver what X has for the account besides the users' messages (Failure events on our sends)."""
        while self._chat_messages:
            sender, chat_event, key_change = self._chat_messages.pop(0)
            created = int(self.clock.now() * 1000)
            self._post(encode(chat_delivery(ACCOUNT, sender, chat_event, key_change, created)), 1)

    def new_device(self, user_id: str) -> None:
        """The user moves to a device with new keys, registered at X (the old one keeps what it could read)."""
        assert self.xchat_users is not None
        self.former_devices.append(self.xchat_users[user_id])
        self.xchat_users[user_id] = XChatUser(user_id, self.fake.xchat, self.x_url)

    def pick_up_message_requests(self) -> None:
        """The scheduled message-request function runs, as it does every MessageRequestMinutes."""
        LocalFunction("message_requests", import_function("message_requests")).invoke({})

    def sent(self) -> list[SentDM]:
        """Every reply X took: the fake's record, or (XChat) what each user decrypts of the conversation."""
        if self.xchat_users is None:
            return self.fake.sent
        read = {
            m["id"]: SentDM(m["id"], user.user_id, m["content"].get("text", ""), [], int(m["created_at_msec"]), ACCOUNT)
            for user in [*self.former_devices, *self.xchat_users.values()]
            for m in user.read(ACCOUNT)
            if m["sender_id"] == ACCOUNT
        }
        return list(read.values())

    def unreadable(self, sent: list[SentDM]) -> int:
        """XChat: the account's messages at X that no device of their person can decrypt and verify."""
        if self.xchat_users is None:
            return 0
        at_x = {
            event.message_id
            for user_id in self.xchat_users
            for event in self.fake.xchat.messages(conversation_of(user_id, ACCOUNT))
            if event.sender_id == ACCOUNT
        }
        return len(at_x - {dm.event_id for dm in sent})

    def _poll(self, responder: LocalFunction) -> BatchResult:
        queue = "DmQueue"
        return poll_once(
            boto3.client("sqs"), self.stack.refs[queue], self.stack.attributes[(queue, "Arn")], responder.invoke, None
        )

    def _depth(self) -> tuple[int, int]:
        answer = self.sqs.get_queue_attributes(
            QueueUrl=self.stack.refs["DmQueue"],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(answer["ApproximateNumberOfMessages"]), int(answer["ApproximateNumberOfMessagesNotVisible"])

    def run(self) -> None:
        """Feed the responders until the queue is empty, moving the clock over the waits."""
        with ThreadPoolExecutor(max_workers=len(self.responders)) as pool:
            for _ in range(MAX_ROUNDS):
                results = list(pool.map(self._poll, self.responders))
                for result in results:
                    for message_id in result.failed:
                        dm = QueuedDM.from_body(result.bodies[message_id])
                        self.retried.add(dm.dm_id)
                        self.waiting[message_id] = (result.receipts[message_id], dm)
                self._deliver_reports()
                if any(result.delivered for result in results):
                    continue
                if sum(self._depth()) == 0 and not self.scheduled:
                    return
                # Nothing deliverable, though DMs remain: they wait (FIFO holds back a conversation's
                # later DMs while one is in flight). Let the time they wait for pass.
                self._let_time_pass()
        raise RuntimeError("the queue never emptied")

    def _let_time_pass(self) -> None:
        """Jump to the next moment a waiting DM is due (its record's retry_at, X's window reset); bring those back."""
        now = self.clock.now()
        window = boto3.client("dynamodb").get_item(
            TableName=self.stack.refs["StateTable"], Key=Prefix.WINDOW.key(ACCOUNT), ConsistentRead=True
        )
        reset = float(window.get("Item", {}).get("reset", {}).get("N", "0"))
        due = {message_id: self._due(dm, now) for message_id, (_, dm) in self.waiting.items()}
        planned = [moment for moment, _ in self.scheduled]
        moments = [moment for moment in [*due.values(), reset, *planned] if moment > now] or [now + RETRY_JUMP_SECONDS]
        self.clock.offset += min(moments) - now + 1
        for moment, action in list(self.scheduled):
            if moment <= self.clock.now():
                self.scheduled.remove((moment, action))
                action()
        for message_id, moment in due.items():
            if moment <= self.clock.now():
                receipt, _ = self.waiting.pop(message_id)
                with suppress(ClientError):  # a stale receipt: the message was received again since
                    self.sqs.change_message_visibility(
                        QueueUrl=self.stack.refs["DmQueue"], ReceiptHandle=receipt, VisibilityTimeout=0
                    )

    def _due(self, dm: QueuedDM, now: float) -> float:
        """When a waiting DM comes back: as its record says, or (a crash: no record of it) after a short while."""
        record = DmRecords(boto3.client("dynamodb"), self.stack.refs["StateTable"], dm.account_id).read(dm.dm_id)
        return record.retry_at if record and record.retry_at > now else now + RETRY_JUMP_SECONDS

    def report(self, name: str) -> Row:
        """Account for every DM received and every reply X took."""
        table = boto3.client("dynamodb").scan(TableName=self.stack.refs["StateTable"])["Items"]
        reply_prefix, record_prefix = Prefix.REPLY.key(ACCOUNT)["pk"]["S"], Prefix.DM.key(ACCOUNT)["pk"]["S"]
        replies = Counter(
            item["pk"]["S"].split("#")[2]
            for item in table
            if item["pk"]["S"].startswith(reply_prefix + "#")
            and item["state"]["S"] in (ReplyState.SENDING, ReplyState.SENT)
        )
        records = {
            item["pk"]["S"].removeprefix(record_prefix + "#"): record_from_item(item)
            for item in table
            if item["pk"]["S"].startswith(record_prefix + "#")
        }
        dead = self._dead_letters()
        row = Row(name=name, received=len(self.received))
        for dm_id in self.received:
            record = records.get(dm_id)
            outcome = record.outcome if record else None
            row.no_outcome += not (outcome and outcome.final)
            if dm_id in dead:
                row.dead_lettered[dead[dm_id]] += 1
            elif replies[dm_id]:
                row.answered += 1
                row.late += dm_id in self.retried
            elif record and outcome is Outcome.UNANSWERED:
                row.unanswered[record.rule.value if record.rule else "no rule"] += 1
            else:
                row.lost += 1
        sent = self.sent()
        row.sent_twice = max(0, len(sent) - sum(replies.values())) + _repeated_texts(sent)
        row.mixed = _mixed(sent)
        row.unreadable = self.unreadable(sent)
        limit = int(os.environ["DAILY_MESSAGE_LIMIT"])
        per_message = int(os.environ["REPLIES_PER_MESSAGE"])
        row.limit_violations = _over_daily_limit(sent, limit) + sum(n > per_message for n in replies.values())
        return row

    def _dead_letters(self) -> dict[str, str]:
        dead: dict[str, str] = {}
        while messages := self.sqs.receive_message(
            QueueUrl=self.stack.refs["DmDeadLetterQueue"], MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", []):
            for message in messages:
                attributes: Any = message.get("MessageAttributes", {})
                reason = str(attributes.get("reason", {}).get("StringValue", "redrive"))
                dead[QueuedDM.from_body(message["Body"]).dm_id] = reason.split(":", maxsplit=1)[0]
                self.sqs.delete_message(
                    QueueUrl=self.stack.refs["DmDeadLetterQueue"], ReceiptHandle=message["ReceiptHandle"]
                )
        return dead


def _repeated_texts(sent: list[SentDM]) -> int:
    """Bot answers (unique by their call and part) that X received more than once."""
    texts = Counter((dm.recipient_id, dm.text) for dm in sent if CALL.search(dm.text))
    return sum(n - 1 for n in texts.values())


def _mixed(sent: list[SentDM]) -> int:
    """DMs whose replies come from more than one call to the bot."""
    calls: dict[str, set[str]] = {}
    for dm in sent:
        call, tag = CALL.search(dm.text), TAG.search(dm.text)
        if call and tag:
            calls.setdefault(tag.group(), set()).add(call.group(1))
    return sum(len(made_by) > 1 for made_by in calls.values())


def _over_daily_limit(sent: list[SentDM], limit: int) -> int:
    """Sends over the limit in any 24 hours (a sliding window over X's own timestamps)."""
    times = sorted(dm.created_ms for dm in sent)
    start, over = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= DAY_MS:
            start += 1
        over = max(over, end - start + 1 - limit)
    return over


@dataclass(frozen=True)
class Drill:
    """One fault drill: its environment, set-up and DMs, at full size or small (for `make test`)."""

    name: str
    play: Callable[[Harness, bool], None]
    env: dict[str, str] = field(default_factory=dict)
    pollers: int = 1
    timeout: float = 60.0
    xchat: bool = False  # the users write on XChat (encrypted) instead
    crashes: bool = False  # it crashes every DM once: a drill that crashed none tested nothing
    then: Callable[[Harness], None] | None = None  # a second act, once the queue is empty (an operator's)


def _users(count_: int) -> list[str]:
    return [str(3_100_000_000 + n) for n in range(count_)]


def _each_user_writes(harness: Harness, users: int, dms: int) -> None:
    for user in _users(users):
        for n in range(dms):
            harness.deliver([harness.dm(user, f"question {n}")])


def _x_429_minutes(harness: Harness, small: bool) -> None:
    harness.fake.send_window = (15, 900)  # as X's v2 endpoint: 15 DMs per 15 minutes
    _each_user_writes(harness, 4 if small else 10, 3 if small else 4)


def _x_429_hours(harness: Harness, small: bool) -> None:
    harness.fake.limited_until = harness.clock.now() + 20 * 3_600  # every send refused until the reset, as X does
    _each_user_writes(harness, 3 if small else 10, 1)


def _x_errors(harness: Harness, small: bool) -> None:
    for n in range(12):
        if n % 3 == 0:
            harness.fake.answer_late(1.5, after=1)  # X takes it, the answer comes after the read timeout
        else:
            harness.fake.fail_next(503, (130,), after=1)
    _each_user_writes(harness, 4 if small else 12, 1 if small else 2)


def _xchat_x_errors(harness: Harness, small: bool) -> None:
    _each_user_writes(harness, 4 if small else 12, 1 if small else 2)  # the users' messages first: faults are the bot's
    for n in range(12):
        if n % 3 == 0:
            harness.fake.xchat.answer_late(1.5, after=1)  # X takes it, the answer comes after the read timeout
        else:
            harness.fake.xchat.fail_next("messages", 503, after=1)


def _bot_slow(harness: Harness, small: bool) -> None:
    harness.bot.delay = 1.5 if small else 4.0  # a batch's sixth conversation waits for one of the first five
    _each_user_writes(harness, 12 if small else 20, 1)


def _bot_down(harness: Harness, small: bool) -> None:
    harness.bot.fails = lambda _call: True
    _each_user_writes(harness, 2 if small else 5, 1)


def _bot_flapping(harness: Harness, small: bool) -> None:
    harness.bot.fails = lambda call: call % 2 == 1
    _each_user_writes(harness, 4 if small else 10, 1)


def _crash(at: Checkpoint) -> Callable[[Harness, bool], None]:
    """A drill that kills the first attempt at each DM at a checkpoint (as a Lambda timeout would)."""

    def play(harness: Harness, small: bool) -> None:
        def crash(checkpoint: Checkpoint, dm_id: str) -> None:
            if checkpoint is at and dm_id not in harness.crashed:
                harness.crashed.add(dm_id)
                raise FunctionDied("the function died here")

        for module in harness.responder_modules:
            module.wiring.checkpoint = crash
        _each_user_writes(harness, 2 if small else 5, 1)

    return play


def _same_delivery(harness: Harness, small: bool) -> None:
    events = [harness.dm(user, "hello") for user in _users(2 if small else 3)]
    harness.deliver(events, times=5)


def _backlog(harness: Harness, small: bool) -> None:
    users, each = (4, 5) if small else (20, 10)
    start = harness.clock.now() - 3_600  # written over the last hour, delivered in one burst
    for user in _users(users):
        for n in range(each):
            harness.deliver([harness.dm(user, f"backlog {n}", written_at=start + n * 300)])


def _daily_limit(harness: Harness, small: bool) -> None:
    _each_user_writes(harness, 8 if small else 16, 2)


def _fast_then_stop(harness: Harness, small: bool) -> None:
    (user,) = _users(1)
    start = harness.clock.now()
    for n in range(12):
        harness.deliver([harness.dm(user, f"tap {n}", written_at=start + n * 10 / 12)])
    harness.deliver([harness.dm(user, "STOP", written_at=start + 11)])


def _poison(harness: Harness, small: bool) -> None:
    """One DM breaks the responder, whatever is tried: it fails alone; its conversation goes on after it."""
    (first, *others) = _users(2 if small else 5)
    poison = harness.dm(first, "this one breaks the responder")
    harness.deliver([poison])
    harness.deliver([harness.dm(first, "and the next one")])
    for user in others:
        harness.deliver([harness.dm(user, "hello")])

    def breaks(checkpoint: Checkpoint, dm_id: str) -> None:
        if checkpoint is Checkpoint.BEFORE_PLAN and dm_id == poison["id"]:
            raise ValueError("an error no one foresaw")

    for module in harness.responder_modules:
        module.wiring.checkpoint = breaks


def _secrets_throttled(harness: Harness, small: bool) -> None:
    """Secrets Manager throttles the responder's first reads of the account's secret."""
    _each_user_writes(harness, 3 if small else 8, 1)  # the webhook reads the secret first, unthrottled
    throttled = [0]

    def throttle(**_: Any) -> None:
        if throttled[0] < 4:
            throttled[0] += 1
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "GetSecretValue")

    client = boto3.client("secretsmanager")
    client.meta.events.register("provide-client-params.secrets-manager.GetSecretValue", throttle)
    credentials.SECRETS = SecretCache(client)


def _x_down_for_an_hour(harness: Harness, small: bool) -> None:
    harness.fake.down_until = harness.clock.now() + 3_600
    _each_user_writes(harness, 3 if small else 10, 1)


def _x_out_of_credits(harness: Harness, small: bool) -> None:
    """X answers every send 402 for an hour (the app's credits are spent), then takes them again."""
    harness.fake.credits_until = harness.clock.now() + 3_600
    _each_user_writes(harness, 3 if small else 10, 1)


def _x_down_then_redrive(harness: Harness, small: bool) -> None:
    """X fails longer than every attempt lasts: the DMs fail; X comes back, and the operator redrives them."""
    harness.fake.down_until = harness.clock.now() + 3 * 3_600
    _each_user_writes(harness, 2 if small else 5, 1)


def _redrive_every_dead_letter(harness: Harness) -> None:
    """Once X is back, the operator runs `x-dm-channel dead-letters redrive --all`."""
    harness.clock.offset += max(0.0, harness.fake.down_until - harness.clock.now()) + 60
    queue, dead = harness.stack.refs["DmQueue"], harness.stack.refs["DmDeadLetterQueue"]
    redrive(harness.sqs, queue, dead, lambda _letter: True, harness.clock.now())


def _hour_boundary_at_the_limit(harness: Harness, small: bool) -> None:
    """Many conversations at once, across an hour's end, against the daily limit."""
    now = harness.clock.now()
    harness.clock.offset += (now // 3_600 + 1) * 3_600 - 5 - now  # 5 s before the hour turns
    _each_user_writes(harness, 6 if small else 16, 1)


def _xchat_token_revoked(harness: Harness, small: bool) -> None:
    """X refuses the account's XChat token for 20 minutes; then `xchat login` stores a new one."""
    fake = harness.fake.xchat
    fake.tokens = {token: owner for token, owner in fake.tokens.items() if owner[0] != ACCOUNT}
    _each_user_writes(harness, 2 if small else 5, 1)

    def log_in_again() -> None:
        secrets, secret_id = boto3.client("secretsmanager"), harness.stack.refs["XCredentialsSecret"]
        value = json.loads(secrets.get_secret_value(SecretId=secret_id)["SecretString"])
        value["xchat"] |= {
            k: v for k, v in fake.issue_tokens(ACCOUNT).items() if k in ("access_token", "refresh_token")
        }
        secrets.put_secret_value(SecretId=secret_id, SecretString=json.dumps(value))

    harness.scheduled.append((harness.clock.now() + 20 * 60, log_in_again))


def _xchat_key_rotation(harness: Harness, small: bool) -> None:
    """Each person writes, turns the conversation's key (a new device, say), and writes again."""
    users = _users(2 if small else 5)
    for user in users:
        harness.deliver([harness.dm(user, "before the new key")])
    assert harness.xchat_users is not None
    for user in users:
        harness.xchat_users[user].open_conversation(ACCOUNT)  # a new key version, in a signed key change
        harness.deliver([harness.dm(user, "after the new key")])


def _xchat_live_shape(harness: Harness, small: bool) -> None:
    """X delivers chat.received in the shape of xchat/real-time-events: no filter, no payload id."""
    harness.live_shape = True
    _each_user_writes(harness, 2 if small else 5, 1)


def _xchat_group_first(harness: Harness, small: bool) -> None:
    """Each person writes in a group they share with the account, then to it alone: only the latter is answered."""
    for n, user in enumerate(_users(2 if small else 5)):
        harness.deliver_in_group(harness.dm(user, "in our group"), f"g{4_000_000_000 + n}")
        harness.deliver([harness.dm(user, "and to you alone")])
        harness.deliver([harness.dm(user, "still to you alone")])


def _xchat_new_device(harness: Harness, small: bool) -> None:
    """Each person writes, then moves to a device with new keys five minutes later, and writes again."""
    users = _users(2 if small else 5)
    for user in users:
        harness.deliver([harness.dm(user, "from my old phone")])

    def move() -> None:
        for user in users:
            harness.new_device(user)
            harness.deliver([harness.dm(user, "from my new phone")])

    harness.scheduled.append((harness.clock.now() + 5 * 60, move))


def _xchat_message_requests(harness: Harness, small: bool) -> None:
    """Strangers write: their messages wait in the account's requests, never delivered, until the pick-up runs."""
    users = _users(2 if small else 5)
    harness.fake.xchat.strangers.update(users)
    for user in users:
        harness.deliver([harness.dm(user, "hello, stranger here")])
    harness.scheduled.append((harness.clock.now() + 5 * 60, harness.pick_up_message_requests))


def _xchat_failure_after_send(harness: Harness, small: bool) -> None:
    """X takes the first answers (201), then reports them failed (RateLimitUpsell): they go again after the hold."""
    harness.fake.xchat.fail_delivery(ACCOUNT, RATE_LIMIT_UPSELL, times=2 if small else 4)
    _each_user_writes(harness, 3 if small else 8, 1)


DRILLS = (
    Drill("X 429, reset in minutes", _x_429_minutes),
    Drill("X 429, reset 20 h away", _x_429_hours),
    Drill("X 5xx and read timeouts", _x_errors, {"X_READ_TIMEOUT": "1"}),
    Drill("bot slow (4 s)", _bot_slow, {"BOT_TIMEOUT": "6", "X_READ_TIMEOUT": "1"}, pollers=2, timeout=12.5),
    Drill("bot down", _bot_down),
    Drill("bot flapping", _bot_flapping),
    Drill("crash before the plan", _crash(Checkpoint.BEFORE_PLAN), crashes=True),
    Drill("crash after reserving", _crash(Checkpoint.RESERVED), crashes=True),
    Drill("crash after X took it", _crash(Checkpoint.SENT), crashes=True),
    Drill("same delivery 5 times", _same_delivery),
    Drill("backlog, 20 users", _backlog),
    Drill("16 at the daily limit", _daily_limit, {"DAILY_MESSAGE_LIMIT": "20"}, pollers=4),
    Drill("12 DMs in 10 s, then STOP", _fast_then_stop),
    Drill("a poison DM", _poison),
    Drill("Secrets Manager throttled", _secrets_throttled),
    Drill("X down for an hour", _x_down_for_an_hour),
    Drill("X out of credits for an hour", _x_out_of_credits),
    Drill("X down 3 h, then redrive", _x_down_then_redrive, then=_redrive_every_dead_letter),
    Drill("hour's end at the limit", _hour_boundary_at_the_limit, {"DAILY_MESSAGE_LIMIT": "9"}, pollers=4),
    Drill("XChat: X 5xx and read timeouts", _xchat_x_errors, {"X_READ_TIMEOUT": "1"}, xchat=True),
    Drill("XChat: crash before the plan", _crash(Checkpoint.BEFORE_PLAN), xchat=True, crashes=True),
    Drill("XChat: crash after X took it", _crash(Checkpoint.SENT), xchat=True, crashes=True),
    Drill("XChat: same delivery 5 times", _same_delivery, xchat=True),
    Drill("XChat: token revoked 20 min", _xchat_token_revoked, xchat=True),
    Drill("XChat: key turned mid-talk", _xchat_key_rotation, xchat=True),
    Drill("XChat: live delivery shape", _xchat_live_shape, xchat=True),
    Drill("XChat: a group, then alone", _xchat_group_first, xchat=True),
    Drill("XChat: new device, new keys", _xchat_new_device, xchat=True),
    Drill("XChat: message requests", _xchat_message_requests, xchat=True),
    Drill("XChat: Failure after a send", _xchat_failure_after_send, xchat=True),
)


@contextmanager
def moto_endpoint(counter: RequestCounter | None = None) -> Iterator[str]:
    """A moto server for the drills (AWS_ENDPOINT_URL points boto3 at it); a counter counts its requests."""
    server = start_local_aws(counter=counter)
    url = os.environ["AWS_ENDPOINT_URL"]
    try:
        yield url
    finally:
        server.shutdown()


def run_drill(drill: Drill, moto_url: str, *, small: bool) -> Row:
    """Run one drill and account for it."""
    env = {"DAILY_MESSAGE_LIMIT": "1000", "REPLIES_PER_MESSAGE": "5", **drill.env}
    if small and drill.name.startswith("16 at"):
        env["DAILY_MESSAGE_LIMIT"] = "6"
    harness = Harness(moto_url, env, pollers=drill.pollers, timeout=drill.timeout, xchat=drill.xchat)
    try:
        drill.play(harness, small)
        harness.run()
        if drill.then:
            drill.then(harness)
            harness.run()
        if drill.crashes and harness.crashed != harness.received:
            raise RuntimeError(f"{drill.name}: crashed {len(harness.crashed)} of {len(harness.received)} DMs")
        return harness.report(drill.name)
    finally:
        harness.close()


def _reasons(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {reason}" for reason, n in sorted(counts.items())) or "0"


HEAD = [
    "drill",
    "received",
    "answered",
    "late",
    "unanswered by rule",
    "dead-lettered",
    "lost",
    "no outcome",
    "twice",
    "mixed",
    "over limit",
    "unreadable",
]


def cells(rows: list[Row]) -> list[list[str]]:
    """The table's lines, one per drill and a total, as HEAD names their cells."""
    total = Row(name="total")
    for row in rows:
        total.add(row)
    return [
        [
            row.name,
            str(row.received),
            str(row.answered),
            str(row.late),
            _reasons(row.unanswered),
            _reasons(row.dead_lettered),
            str(row.lost),
            str(row.no_outcome),
            str(row.sent_twice),
            str(row.mixed),
            str(row.limit_violations),
            str(row.unreadable),
        ]
        for row in [*rows, total]
    ]


def render(rows: list[Row]) -> str:
    """The table, one line per drill and a total."""
    return markdown(HEAD, cells(rows))


def main() -> int:
    """Run every drill at full size (or --small) and print the table; exit 1 if anything was lost, doubled or open."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="the small sizes that `make test` runs")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    rows, began = [], time.perf_counter()
    with moto_endpoint() as url:
        for drill in DRILLS:
            started = time.perf_counter()
            with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):  # the functions' logs, metrics
                rows.append(run_drill(drill, url, small=args.small))
            print(f"  {drill.name}: {time.perf_counter() - started:.1f} s", flush=True)
    print(render(rows))
    if not args.small:  # the docs quote the full run
        record("drill", {"minutes": (time.perf_counter() - began) / 60, "head": HEAD, "rows": cells(rows)})
    bad = sum(
        row.lost + row.no_outcome + row.sent_twice + row.mixed + row.limit_violations + row.unreadable for row in rows
    )
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
