"""What a million answered DMs cost: every AWS and X request counted through the local stack, at list prices.

For each surface (Account Activity, X Activity API, XChat) and bot kind (FAQ, HTTP, Lex), DMs from
several users go through the deployed handlers on moto and the fake X. Every request the
functions make to moto is counted by service and operation (DynamoDB's capacity units estimated
from each request), with the functions' invocations and busy time, X's calls and the log bytes,
then priced with the layer's dmchannel/prices.toml. For the FAQ bot it also counts, per surface,
the AWS requests made one after the other between taking a DM off the queue and X taking its
reply: deployed, each is a round trip on the way to the answer. Run it with `make bench`.
"""

import io
import json
import math
import tomllib
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from typing import Any

from devstack.drill import ACCOUNT, Harness, moto_endpoint
from devstack.fake_lex import serve_lex
from devstack.moto_server import RequestCounter
from dmchannel.x.prices import PRICES_FILE
from scripts.measured import TABLES, record

PRICES = tomllib.loads(PRICES_FILE.read_text(encoding="utf-8"))
USERS, DMS_EACH = 10, 4
MEMORY_GB = 0.25  # the functions' 256 MB
MILLION = 1_000_000


@dataclass
class Usage:
    """What one scenario used, in total."""

    answered: int = 0
    http_api: int = 0
    lambda_requests: int = 0
    lambda_seconds: float = 0.0
    sqs: int = 0
    read_units: float = 0.0
    write_units: float = 0.0
    secrets: int = 0
    x_events: int = 0
    x_sends: int = 0
    x_other: int = 0
    log_bytes: int = 0
    by_operation: dict[str, int] = field(default_factory=dict)

    def cost_per_million(self) -> tuple[float, float]:
        """(AWS, X) in USD per million answered DMs."""
        aws, x = PRICES["aws"], PRICES["x"]
        total_aws = (
            self.http_api * aws["http_api_per_million_requests"] / MILLION
            + self.lambda_requests * aws["lambda_per_million_requests"] / MILLION
            + self.lambda_seconds * MEMORY_GB * aws["lambda_arm64_per_gb_second"]
            + self.sqs * aws["sqs_fifo_per_million_requests"] / MILLION
            + self.read_units * aws["dynamodb_per_million_read_units"] / MILLION
            + self.write_units * aws["dynamodb_per_million_write_units"] / MILLION
            + self.secrets * aws["secrets_manager_per_10k_calls"] / 10_000
            + self.log_bytes / 1024**3 * aws["cloudwatch_logs_per_gb_ingested"]
        )
        total_x = self.x_events * x["per_dm_received_event"] + self.x_sends * x["per_dm_sent"]
        return total_aws / self.answered * MILLION, total_x / self.answered * MILLION


def dynamodb_units(operation: str, body: bytes) -> tuple[float, float]:
    """(read, write) capacity units of one request, from its items' sizes (1 KB a write unit, 4 KB a read)."""
    data: dict[str, Any] = json.loads(body or b"{}")

    def writes(item: Any) -> int:
        return max(1, math.ceil(len(json.dumps(item)) / 1024))

    if operation == "GetItem":
        return (1.0 if data.get("ConsistentRead") else 0.5), 0.0
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        return 0.0, float(writes(data.get("Item") or data.get("ExpressionAttributeValues") or data.get("Key")))
    if operation == "BatchGetItem":
        tables = data.get("RequestItems", {}).values()
        return sum(len(t["Keys"]) * (1.0 if t.get("ConsistentRead") else 0.5) for t in tables), 0.0
    if operation == "TransactWriteItems":
        items = data.get("TransactItems", [])
        checks = [item for item in items if "ConditionCheck" in item]
        return 2.0 * len(checks), float(sum(2 * writes(item) for item in items if "ConditionCheck" not in item))
    return 0.0, 0.0


def run(surface: str, bot_kind: str, url: str, counter: RequestCounter) -> Usage:
    """One scenario: USERS users write DMS_EACH DMs each (a minute apart), every DM answered."""
    env: dict[str, str] = {"DAILY_MESSAGE_LIMIT": "1000", "REPLIES_PER_MESSAGE": "5"}
    servers = []
    if bot_kind == "faq":
        env["BOT_KIND"] = "faq"
    elif bot_kind == "lex":
        lex = serve_lex()
        servers.append(lex)
        env.update(
            BOT_KIND="lex",
            LEX_BOT_ID="BENCHBOT01",
            LEX_BOT_ALIAS_ID="BENCHALIAS",
            AWS_ENDPOINT_URL_LEX_RUNTIME_V2=f"http://127.0.0.1:{lex.server_address[1]}",
        )
    harness = Harness(url, env, xchat=surface == "xchat")
    counter.requests.clear()
    counter.bodies.clear()
    try:
        start = harness.clock.now() - USERS * DMS_EACH * 60
        for user in range(USERS):
            for n in range(DMS_EACH):
                event = harness.dm(str(3_200_000_000 + user), f"what are the limits {n}", written_at=start + n * 60)
                harness.deliver([event], surface=surface)
        harness.run()
        served = list(counter.bodies)  # the functions' requests; the report's own reads follow
        row = harness.report(f"{surface}, {bot_kind}")
        x_sends = len(harness.sent())  # XChat's: the answers each user decrypts (read while the fake X serves)
    finally:
        harness.close()
        for server in servers:
            server.shutdown()
    usage = Usage(answered=row.answered)
    usage.http_api = harness.webhook.invocations
    usage.lambda_requests = harness.webhook.invocations + sum(r.invocations for r in harness.responders)
    usage.lambda_seconds = harness.webhook.busy_seconds + sum(r.busy_seconds for r in harness.responders)
    for service, operation, body in served:
        name = f"{service} {operation}"
        usage.by_operation[name] = usage.by_operation.get(name, 0) + 1
        if service == "AmazonSQS":
            usage.sqs += max(1, math.ceil(len(body) / 65_536))
        elif service == "DynamoDB":
            reads, writes = dynamodb_units(operation, body)
            usage.read_units += reads
            usage.write_units += writes
        elif service == "secretsmanager":
            usage.secrets += 1
    usage.x_events = len(harness.received)
    usage.x_sends = x_sends
    usage.x_other = len(harness.fake.calls) - len(harness.fake.sent)
    usage.log_bytes = sum(len(json.dumps(line)) for line in harness.logs.records)
    return usage


def serial_requests(surface: str, url: str, counter: RequestCounter) -> int:
    """AWS requests made one after the other from taking a DM off the queue to X taking its reply (FAQ bot).

    The user's second DM is measured (the first warms the responder up: its secrets, its clients).
    """
    harness = Harness(url, {"BOT_KIND": "faq"}, xchat=surface == "xchat")
    taken: list[int] = []  # how many requests moto had served when X took each reply
    try:
        if harness.xchat_users is None:
            harness.fake.sent = Noting(harness.fake.sent, lambda: taken.append(len(counter.bodies)))
        else:
            heard = harness.fake.xchat.on_message
            assert heard is not None

            def noting(sender: str, to: str, event: Any, key: str) -> None:
                if sender == ACCOUNT:
                    taken.append(len(counter.bodies))
                heard(sender, to, event, key)

            harness.fake.xchat.on_message = noting
        for n in range(2):
            counter.bodies.clear()
            taken.clear()
            harness.deliver([harness.dm("3300000001", f"what are the limits {n}")], surface=surface)
            harness.run()
    finally:
        harness.close()
    served = [operation for _, operation, _ in counter.bodies[: taken[0]]]
    received = len(served) - served[::-1].index("ReceiveMessage")  # the DM taken off the queue
    return taken[0] - received


class Noting(list[Any]):
    """A list that calls back on each append (the fake X's record of the DMs it took)."""

    def __init__(self, items: list[Any], noted: Any) -> None:
        super().__init__(items)
        self.noted = noted

    def append(self, item: Any) -> None:
        """Call back, then keep the item."""
        self.noted()
        super().append(item)


def main() -> None:
    """Print, per answered DM, each scenario's requests and its cost per million DMs; record them."""
    counter = RequestCounter()
    rows, serial = [], {}
    with moto_endpoint(counter) as url:
        for surface in ("account_activity", "activity_api", "xchat"):
            for bot_kind in ("faq", "http", "lex"):
                with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                    usage = run(surface, bot_kind, url, counter)
                rows.append((surface, bot_kind, usage))
            with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                serial[surface] = serial_requests(surface, url, counter)
    prices = f"{PRICES['date']} ({PRICES['region']}, arm64)"
    table = []
    for surface, bot_kind, u in rows:
        aws, x = u.cost_per_million()
        n = u.answered
        dynamodb = sum(count for name, count in u.by_operation.items() if name.startswith("DynamoDB "))
        table.append(
            {
                "surface": surface,
                "bot": bot_kind,
                "replies": u.x_sends / n,
                "lambda_calls": u.lambda_requests / n,
                "sqs": u.sqs / n,
                "dynamodb_requests": dynamodb / n,
                "read_units": u.read_units / n,
                "write_units": u.write_units / n,
                "secrets": u.secrets / n,
                "aws_usd": aws,
                "x_usd": x,
            }
        )
    faq = [
        {
            "surface": surface,
            "operations": {
                name.removeprefix("DynamoDB "): count / u.answered
                for name, count in sorted(u.by_operation.items())
                if name.startswith("DynamoDB ")
            },
            "serial": serial[surface],
        }
        for surface, bot_kind, u in rows
        if bot_kind == "faq"
    ]
    cost = {"prices": prices, "rows": table, "faq": faq}
    print(f"Cost per million answered DMs, at list prices of {prices}")
    print(TABLES["cost"][1](cost).split("\n\n", 1)[1])
    print("DynamoDB requests per answered DM (FAQ bot, one reply), and AWS requests in series before the reply:")
    print(TABLES["requests"][1](cost))
    record("cost", cost)


if __name__ == "__main__":
    main()
