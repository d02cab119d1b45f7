"""`make run`: the whole pipeline on this machine, with moto for AWS and a fake X, and the DM simulator."""

import errno
import json
import logging
import os
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import boto3

from devstack import chat_log
from devstack.conversations import Conversations, Records
from devstack.deliveries import BOT_USER
from devstack.dev_credentials import SECOND_SCREEN_NAME, account_secret, local_accounts, local_credentials
from devstack.fake_bedrock import serve_bedrock
from devstack.fake_lex import serve_lex
from devstack.fake_x import FakeX, serve
from devstack.lambda_runtime import LocalFunction, import_function
from devstack.local_api import api_gateway_answer, make_server
from devstack.local_http import serve_in_background
from devstack.moto_server import MotoProcess
from devstack.poller import poll_once
from devstack.provision import STACK_NAME, LocalStack, provision, publish_stack, stack_outputs
from devstack.xchat_local import LocalXChat
from dmchannel.credentials import ENVIRONMENT_NAMES, XCredentials
from dmchannel.settings import Environment, SettingsError
from dmchannel.storage.dm_records import DmRecords
from dmchannel.storage.ledger import Ledger
from dmchannel.storage.table import Prefix
from dmchannel.webhook.signature import SIGNATURE_HEADER, sign

HOST = "127.0.0.1"
DEFAULT_PORT = 3000
LEX_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_LEX_RUNTIME_V2"
BEDROCK_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"
POLL_INTERVAL_SECONDS = 0.2
SCHEDULED = (  # (function, logical id): each run every minute here, whichever X it talks to
    ("token_keeper", "TokenKeeperFunction"),  # tokens live 2 hours: it refreshes only what expires soon
    ("message_requests", "MessageRequestFunction"),
)
SCHEDULE_SECONDS = 60


def function_environment(stack: LocalStack, logical_id: str) -> dict[str, str]:
    """A function's environment from the template; variables set from a Parameter can be overridden here."""
    variables = stack.template["Resources"][logical_id]["Properties"].get("Environment", {}).get("Variables", {})
    tunable = {
        name
        for name, value in variables.items()
        if isinstance(value, dict) and value.get("Ref") in stack.template.get("Parameters", {})
    } | {"LOG_LEVEL"}
    environment = stack.function_environment(logical_id)
    return {name: os.environ.get(name, value) if name in tunable else value for name, value in environment.items()}


def start_scheduled(stack: LocalStack, stop: threading.Event) -> None:
    """Run the scheduled functions (the XChat token keeper, the message-request pick-up) now and then."""
    functions = []
    for name, logical_id in SCHEDULED:
        os.environ.update({**function_environment(stack, logical_id), "OAUTHLIB_INSECURE_TRANSPORT": "1"})
        functions.append(LocalFunction(name, import_function(name), timeout_seconds=30))

    def run() -> None:
        while not stop.wait(SCHEDULE_SECONDS):
            for function in functions:
                try:
                    function.invoke({})
                except Exception as error:  # a failed run, as Lambda has them: logged, and the next one goes on
                    print(f"{function.name} failed: {type(error).__name__}: {error}", file=sys.stderr, flush=True)

    threading.Thread(target=run, daemon=True).start()


def poll_forever(stack: LocalStack, responder: LocalFunction, stop: threading.Event) -> None:
    """Feed the responder from the queue, as Lambda's SQS event source does."""
    sqs = boto3.client("sqs")
    queue_url, queue_arn = stack.refs["DmQueue"], stack.attributes[("DmQueue", "Arn")]
    while not stop.is_set():
        if not poll_once(sqs, queue_url, queue_arn, responder.invoke, None).delivered:
            stop.wait(POLL_INTERVAL_SECONDS)


def user_state_forgetter(stack: LocalStack) -> Callable[[str, str], None]:
    """Deletes what the table keeps of one user at one account: the conversation (mute, opt-out, takeover), menus, memory."""
    dynamodb, table = boto3.client("dynamodb"), stack.refs["StateTable"]

    def forget(account_id: str, user_id: str) -> None:
        keys = [prefix.key(account_id, user_id) for prefix in (Prefix.CONVERSATION, Prefix.MEMORY)]
        keys.append(Prefix.BUTTONS.key(account_id, "offered", user_id))
        for key in keys:
            dynamodb.delete_item(TableName=table, Key=key)

    return forget


def records_reader(stack: LocalStack) -> Records:
    """Reads the DM records the simulator shows the fate of."""
    dynamodb, table = boto3.client("dynamodb"), stack.refs["StateTable"]
    return lambda account_id, dm_ids: DmRecords(dynamodb, table, account_id).read_many(dm_ids)


def state_source(
    stack: LocalStack,
    fake: FakeX | None,
    env: dict[str, str],
    account_ids: list[str],
    *,
    conversations: Conversations,
    xchat: LocalXChat | None = None,
) -> Any:
    """What the simulator's side panel shows, for the account it writes to."""
    ledgers = {
        account_id: Ledger(
            boto3.client("dynamodb"),
            stack.refs["StateTable"],
            account_id,
            daily_limit=int(env["DAILY_MESSAGE_LIMIT"]),
            replies_per_message=int(env["REPLIES_PER_MESSAGE"]),
        )
        for account_id in account_ids
    }
    sqs = boto3.client("sqs")

    def depth(logical_id: str) -> dict[str, int]:
        answer = sqs.get_queue_attributes(
            QueueUrl=stack.refs[logical_id],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return {
            "visible": int(answer["ApproximateNumberOfMessages"]),
            "in_flight": int(answer["ApproximateNumberOfMessagesNotVisible"]),
        }

    def state(query: dict[str, list[str]]) -> dict[str, Any]:
        user_id = query.get("user_id", [""])[0]
        account_id = query.get("account_id", [account_ids[0]])[0]
        ledger = ledgers.get(account_id, ledgers[account_ids[0]])
        last_event_id = query.get("last_event_id", [""])[0]
        since = conversations.since(ledger.account_id, user_id)
        legacy = [
            asdict(dm)
            for dm in (fake.sent if fake else [])
            if dm.recipient_id == user_id and dm.sender_id == ledger.account_id and dm.created_ms >= since
        ]
        encrypted = xchat.answers(ledger.account_id, user_id, since) if xchat is not None else []
        sent = sorted([*legacy, *encrypted], key=lambda message: message["created_ms"])  # the whole thread
        return {
            "user_messages": conversations.thread(ledger.account_id, user_id),
            "bot_messages": sent,
            "daily": {"used": ledger.used_in_24_hours(), "limit": ledger.daily_limit},
            "per_message": {
                "event_id": last_event_id,
                "used": ledger.used_for(last_event_id) if last_event_id else 0,
                "limit": ledger.replies_per_message,
            },
            "queue": depth("DmQueue"),
            "dead_letter_queue": depth("DmDeadLetterQueue"),
            "x_calls": [{"path": path, "status": status} for path, status in (fake.every_call[-20:] if fake else [])],
        }

    return state


def answered_source(fake: FakeX | None) -> Callable[[dict[str, list[str]]], dict[str, int]]:
    """How many answers to each user X took from an account (legacy DMs; no AWS read, so polling it loads nothing)."""

    def answered(query: dict[str, list[str]]) -> dict[str, int]:
        account_id = query.get("account_id", [BOT_USER["id"]])[0]
        return dict(Counter(dm.recipient_id for dm in (fake.sent if fake else []) if dm.sender_id == account_id))

    return answered


def local_parameters(stack: LocalStack, environments: dict[str, dict[str, str]]) -> dict[str, str]:
    """The template's parameters as the local stack runs them: defaults, and each one a function's variable sets."""
    parameters = dict(stack.parameters)
    for logical_id, environment in environments.items():
        variables = stack.template["Resources"][logical_id]["Properties"].get("Environment", {}).get("Variables", {})
        for name, value in variables.items():
            if isinstance(value, dict) and value.get("Ref") in parameters:
                parameters[value["Ref"]] = environment[name]
    return parameters


def where_it_runs() -> dict[str, str]:
    """What `x-dm-channel --local` needs to reach this stack: its AWS stand-in, its X, its region and its name."""
    return {
        "aws_endpoint_url": os.environ["AWS_ENDPOINT_URL"],
        "x_api_base_url": os.environ["X_API_BASE_URL"],
        "region": boto3.session.Session().region_name or "us-east-1",
        "stack": STACK_NAME,
    }


def add_accounts(stack: LocalStack, prefix: str, accounts: list[XCredentials]) -> list[dict[str, str]]:
    """Give each other account its secret, as `x-dm-channel accounts add` does; describe every account."""
    described = [{**BOT_USER, "id": ""}]
    for number, account in enumerate(accounts, 2):
        name = SECOND_SCREEN_NAME if number == 2 else f"bot{number}"
        greeting = f"Hi {{name}}! You are writing to @{name}, the second account of this deployment."
        boto3.client("secretsmanager").create_secret(
            Name=prefix + account.bot_user_id, SecretString=account_secret(account, name, GREETING=greeting)
        )
        described.append({"id": account.bot_user_id, "name": name.title(), "screen_name": name})
    return described


def start_bot_stand_in(responder_env: dict[str, str], servers: list[Any]) -> str:
    """Start the Lex or Bedrock stand-in when BOT_KIND asks for one and no endpoint is given; describe the bot."""
    kind = responder_env["BOT_KIND"]
    if kind == "http":
        return f"HTTP bot (Rasa REST protocol) at {responder_env['BOT_URL'] or 'BOT_URL (not set!)'}"
    if kind == "bedrock":
        if not os.environ.get(BEDROCK_ENDPOINT_VARIABLE):
            bedrock = serve_bedrock(HOST, 0)
            servers.append(bedrock)
            os.environ[BEDROCK_ENDPOINT_VARIABLE] = f"http://{HOST}:{bedrock.server_address[1]}"
            return f"Bedrock stand-in at {os.environ[BEDROCK_ENDPOINT_VARIABLE]} (a scripted assistant)"
        return f"Amazon Bedrock model {responder_env['BEDROCK_MODEL_ID']} at {os.environ[BEDROCK_ENDPOINT_VARIABLE]}"
    if kind != "lex":
        return f"built-in FAQ bot ({responder_env['FAQ_PATH']})"
    if not os.environ.get(LEX_ENDPOINT_VARIABLE):
        lex = serve_lex(HOST, 0)
        servers.append(lex)
        os.environ[LEX_ENDPOINT_VARIABLE] = f"http://{HOST}:{lex.server_address[1]}"
        responder_env["LEX_BOT_ID"] = responder_env["LEX_BOT_ID"] or "LOCALBOT01"
        responder_env["LEX_BOT_ALIAS_ID"] = responder_env["LEX_BOT_ALIAS_ID"] or "LOCALALIAS"
        return f"fake Amazon Lex V2 at {os.environ[LEX_ENDPOINT_VARIABLE]} (a scripted coffee shop)"
    return f"Amazon Lex V2 bot {responder_env['LEX_BOT_ID']} at {os.environ[LEX_ENDPOINT_VARIABLE]}"


def banner(
    port: int, fake_x: bool, responder_env: dict[str, str], bot_line: str, accounts: list[dict[str, str]]
) -> str:
    """What started, and where."""
    base = f"http://{HOST}:{port}"
    x_api = f"{os.environ['X_API_BASE_URL']}, DM API {responder_env['X_DM_API']}"
    x_line = (
        f"fake X API        {x_api} (checks OAuth 1.0a and X's limits; XChat with real end-to-end encryption)"
        if fake_x
        else f"X API             {x_api}"
    )
    listed = ", ".join(f"{account['id']} (@{account['screen_name']})" for account in accounts)
    limits = f"{responder_env['DAILY_MESSAGE_LIMIT']} DMs in 24 hours, {responder_env['REPLIES_PER_MESSAGE']} replies per message"
    return "\n".join(
        [
            "X DM channel, running locally:",
            f"  DM simulator      {base}/",
            f"  webhook           {base}/webhook  (GET: CRC, POST: signed deliveries)",
            f"  moto (AWS)        {os.environ['AWS_ENDPOINT_URL']}  (queue, dead-letter queue, table, secret from template.yaml)",
            f"  {x_line}",
            "  queue poller      feeding the responder (batches of 10, FIFO, partial failures)",
            f"  bot               {bot_line}",
            f"  bot accounts      {listed}; the first from "
            f"{', '.join(ENVIRONMENT_NAMES.values())} or the dev defaults, the others from X_ACCOUNTS or the dev second",
            f"  limits            {limits}",
            "",
            "Try a CRC:",
            f'  curl "{base}/webhook?crc_token=$(openssl rand -hex 16)"',
            "",
            "Ctrl-C stops everything.",
        ]
    )


def start_fake_x(
    credentials: XCredentials, others: list[XCredentials], accounts: list[dict[str, str]], servers: list[Any]
) -> FakeX | None:
    """The fake X with every local account's token, unless X_API_BASE_URL names another X."""
    if os.environ.get("X_API_BASE_URL"):
        return None
    fake = FakeX(credentials, other_accounts={a.access_token: a.access_token_secret for a in others})
    fake.account_activity.screen_names.update({a["id"]: a["screen_name"] for a in accounts})
    server = serve(fake, HOST, 0)
    servers.append(server)
    os.environ["X_API_BASE_URL"] = f"http://{HOST}:{server.server_address[1]}"
    return fake


def start_xchat(
    stack: LocalStack,
    fake: FakeX | None,
    webhook: LocalFunction,
    credentials: XCredentials,
    *,
    accounts: list[dict[str, str]],
    conversations: Conversations,
) -> LocalXChat | None:
    """XChat on the fake X: every account's keys and token in its secret, and the simulated users' way in."""
    if fake is None:
        return None

    def deliver(body: bytes) -> int:
        headers = {SIGNATURE_HEADER: sign(credentials.consumer_secret, body), "content-type": "application/json"}
        return api_gateway_answer(webhook, "POST", "/webhook", query="", headers=headers, body=body)[0]

    xchat = LocalXChat(fake.xchat, os.environ["X_API_BASE_URL"], deliver, conversations)
    prefix = stack.function_environment("ResponderFunction")["ACCOUNTS_SECRET_PREFIX"]
    for number, account in enumerate(accounts):
        xchat.give_keys(stack.refs["XCredentialsSecret"] if number == 0 else prefix + account["id"], account["id"])
    return xchat


def stop_servers(servers: list[Any]) -> None:
    """Shut every local server down."""
    for server in servers:
        server.shutdown()


def refuse(line: str, servers: list[Any]) -> int:
    """Stop what started, and say why in one line."""
    stop_servers(servers)
    print(f"error: {line}", file=sys.stderr)
    return 1


def listen_problem(error: OSError, port: int) -> str:
    """Why the local endpoint could not listen, and what to do."""
    if error.errno == errno.EADDRINUSE:
        return f"Port {port} on {HOST} is already in use. Stop what uses it, or choose another: LOCAL_PORT={port + 1} make run"
    return f"cannot listen on {HOST}:{port} ({error.strerror}): choose another LOCAL_PORT"


def run_until_stopped(stack: LocalStack, responder: LocalFunction, servers: list[Any], banner_text: str) -> None:
    """Feed the responder, run the scheduled functions, and wait for Ctrl-C or SIGTERM; then stop every server."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    poller = threading.Thread(target=poll_forever, args=(stack, responder, stop), daemon=True)
    poller.start()
    start_scheduled(stack, stop)  # whichever X it talks to: the token keeper, the message-request pick-up
    print(banner_text, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        stop.set()
    poller.join(timeout=5)
    stop_servers(servers)
    print("Stopped.", flush=True)


def main() -> int:
    """Start everything, print where it is, and run until Ctrl-C or SIGTERM."""
    try:
        port = Environment(os.environ).integer("LOCAL_PORT", DEFAULT_PORT, 1, 65535)
        credentials = local_credentials()
        others = local_accounts(credentials)
    except SettingsError as error:
        return refuse(str(error), [])
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    try:
        moto = MotoProcess(HOST)
    except OSError as error:  # the stand-in for AWS did not start (its own line says why)
        return refuse(str(error), [])
    stack = provision(secret_values={"XCredentialsSecret": json.dumps(credentials.secret_values())})
    accounts = add_accounts(stack, stack.function_environment("ResponderFunction")["ACCOUNTS_SECRET_PREFIX"], others)
    accounts[0]["id"] = credentials.bot_user_id

    servers: list[Any] = [moto]
    fake = start_fake_x(credentials, others, accounts, servers)
    webhook_env = function_environment(stack, "WebhookFunction")
    responder_env = function_environment(stack, "ResponderFunction")
    bot_line = start_bot_stand_in(responder_env, servers)
    os.environ.update({**webhook_env, **responder_env})
    try:
        webhook = LocalFunction("webhook", import_function("webhook"), timeout_seconds=10)
        responder = LocalFunction("responder", import_function("responder"), timeout_seconds=30)
        chat_log.install(os.environ["POWERTOOLS_SERVICE_NAME"])
    except SettingsError as error:  # what a deployed function's cold start would fail with, in one line
        return refuse(str(error), servers)

    config = {
        "bot": accounts[0],
        "accounts": accounts,
        "consumer_secret": credentials.consumer_secret,
        "daily_limit": int(responder_env["DAILY_MESSAGE_LIMIT"]),
        "replies_per_message": int(responder_env["REPLIES_PER_MESSAGE"]),
        "fake_x": fake is not None,
    }
    try:
        choices = {
            word.strip().casefold()
            for name in ("STOP_KEYWORDS", "START_KEYWORDS")
            for word in responder_env[name].split(",")
            if word.strip()
        }
        conversations = Conversations(records_reader(stack), user_state_forgetter(stack), frozenset(choices))
        xchat = start_xchat(stack, fake, webhook, credentials, accounts=accounts, conversations=conversations)
        account_ids = [account["id"] for account in accounts]
        state = state_source(stack, fake, responder_env, account_ids, conversations=conversations, xchat=xchat)
        api = make_server(
            HOST,
            port,
            webhook,
            state,
            config,
            conversations=conversations,
            xchat=xchat.send if xchat else None,
            local_stack=where_it_runs(),
            answered=answered_source(fake),
        )
    except OSError as error:
        return refuse(listen_problem(error, port), servers)
    environments = {"WebhookFunction": webhook_env, "ResponderFunction": responder_env}
    publish_stack(stack_outputs(stack, f"http://{HOST}:{port}/webhook"), local_parameters(stack, environments))
    serve_in_background(api)
    run_until_stopped(
        stack, responder, [api, *servers], banner(port, fake is not None, responder_env, bot_line, accounts)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
