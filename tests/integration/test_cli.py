"""`x-dm-channel` against the fake X (which runs a real CRC on the real webhook) and moto (stack outputs, secret)."""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from devstack.deliveries import queued_dms
from devstack.dev_credentials import DEV_CREDENTIALS, SECOND_ACCOUNT
from devstack.fake_x import FakeX
from devstack.provision import LocalStack, publish_stack
from dmchannel.bots.base import Reply, Turn
from dmchannel.responder.lifecycle import Fate, Outcome
from dmchannel.storage.conversation import Conversations
from dmchannel.storage.dm_records import DmRecords
from dmchannel.x.account_activity import AccountActivity
from dmchannel.x.errors import XApiError
from tests.integration.conftest import Pipeline, looked
from xdm_cli.main import main
from xdm_cli.subscriptions import DM_EVENTS

STACK = "x-dm-channel"


@dataclass
class Setup:
    fake: FakeX
    x_url: str
    webhook_url: str
    secret_arn: str
    run: Callable[..., tuple[int, str, str]]


@pytest.fixture
def setup(
    stack: LocalStack,
    fake_x: tuple[FakeX, str],
    live_webhook: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Setup:
    secret_arn = stack.refs["XCredentialsSecret"]
    publish_stack(
        {
            "WebhookUrl": live_webhook,
            "SecretArn": secret_arn,
            "StateTableName": stack.refs["StateTable"],
            "AccountsSecretPrefix": f"{STACK}/accounts/",
            "QueueUrl": stack.refs["DmQueue"],
            "DeadLetterQueueUrl": stack.refs["DmDeadLetterQueue"],
        },
        {},
        STACK,
    )
    monkeypatch.delenv("X_API_BASE_URL", raising=False)
    for name in ("X_CONSUMER_KEY", "X_CONSUMER_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET"):
        monkeypatch.delenv(name, raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([*argv, "--api-base", fake_x[1]])
        out, err = capsys.readouterr()
        return code, out, err

    return Setup(fake_x[0], fake_x[1], live_webhook, secret_arn, run)


def never_shows_secrets(*texts: str) -> None:
    for text in texts:
        for secret in DEV_CREDENTIALS.secret_values().values():
            assert secret not in text


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["credentials", "set", "--help"], ["webhook", "register", "--help"], ["replay", "--help"]):
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code == 0
    assert "--since" in capsys.readouterr().out


def test_credentials_set_from_the_environment_keeps_other_keys(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = boto3.client("secretsmanager")
    secrets.put_secret_value(SecretId=setup.secret_arn, SecretString=json.dumps({"bot_token": "keep-me"}))
    new = {
        "consumer_key": "ck-new",
        "consumer_secret": "cs-new",
        "access_token": "42-at-new",
        "access_token_secret": "ats-new",
    }
    for key, value in new.items():
        monkeypatch.setenv(f"X_{key.upper()}", value)
    code, out, err = setup.run("credentials", "set")
    assert code == 0 and "Saved consumer_key, consumer_secret, access_token, access_token_secret" in out
    assert json.loads(secrets.get_secret_value(SecretId=setup.secret_arn)["SecretString"]) == {
        **new,
        "bot_token": "keep-me",
    }
    for value in new.values():
        assert value not in out + err


def test_credentials_set_prompts_without_echo(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["ck", "cs", "7-at", "ats"])
    prompts: list[str] = []

    def typed_without_echo(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("getpass.getpass", typed_without_echo)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    assert setup.run("credentials", "set")[0] == 0
    assert len(prompts) == 4
    stored = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=setup.secret_arn)["SecretString"])
    assert stored["access_token"] == "7-at"


def test_credentials_check(setup: Setup) -> None:
    code, out, _ = setup.run("credentials", "check")
    assert (code, out.strip()) == (
        0,
        f"The credentials work for @supportbot (id 4337869213), checked from the stored secret {setup.secret_arn}, "
        "with Direct Message permission.",
    )
    setup.fake.account_activity.access_level = "read-write"
    code, _, err = setup.run("credentials", "check")
    assert code == 1 and "regenerate the access token" in err


def test_v1_register_subscribe_check_and_delete(setup: Setup) -> None:
    code, out, err = setup.run("webhook", "register", "--env", "dev")
    assert code == 0, err
    assert "CRC passed" in out
    assert setup.run("webhook", "register", "--env", "dev")[1].startswith("The webhook")  # idempotent
    assert setup.run("subscribe", "--env", "dev")[0] == 0
    assert setup.run("subscribe", "--env", "dev")[0] == 0  # already subscribed is fine
    assert setup.run("subscriptions", "--env", "dev")[1].strip() == "Subscribed: 4337869213"
    code, out, _ = setup.run("webhook", "list", "--env", "dev")
    assert "valid" in out and setup.webhook_url in out
    assert setup.run("webhook", "check", "--env", "dev")[0] == 0
    assert setup.run("unsubscribe", "--env", "dev")[0] == 0
    assert "No account" in setup.run("subscriptions", "--env", "dev")[1]
    assert setup.run("webhook", "delete", "--env", "dev")[0] == 0
    assert setup.run("webhook", "list", "--env", "dev")[1].strip() == "No webhook is registered."


def test_register_leaves_another_webhook_alone_unless_replace(setup: Setup) -> None:
    setup.fake.account_activity.webhooks["1"] = {"url": "https://elsewhere.example/hook", "valid": True, "env": "dev"}
    code, _, err = setup.run("webhook", "register", "--env", "dev")
    assert code == 1 and "https://elsewhere.example/hook" in err and "--replace WEBHOOK_ID" in err
    assert "1" in setup.fake.account_activity.webhooks
    assert "no webhook 7 to replace" in setup.run("webhook", "register", "--env", "dev", "--replace", "7")[2]
    assert setup.run("webhook", "register", "--env", "dev", "--replace", "1")[0] == 0
    assert [w["url"] for w in setup.fake.account_activity.webhooks.values()] == [setup.webhook_url]


def test_v2_register_replaces_only_the_webhook_it_names(setup: Setup) -> None:
    hooks = setup.fake.account_activity.webhooks
    hooks["1"] = {"url": "https://one.example/hook", "valid": True, "env": None}
    hooks["2"] = {"url": "https://two.example/hook", "valid": True, "env": None}
    assert setup.run("webhook", "register", "--api", "v2", "--replace", "2")[0] == 0
    assert sorted(w["url"] for w in hooks.values()) == sorted(["https://one.example/hook", setup.webhook_url])


def test_webhook_check_revalidates_an_invalid_webhook(setup: Setup) -> None:
    setup.run("webhook", "register", "--env", "dev")
    (hook,) = setup.fake.account_activity.webhooks.values()
    hook["valid"] = False
    code, out, _ = setup.run("webhook", "check", "--env", "dev")
    assert code == 0 and "re-validated" in out


def test_v2_register_subscribe_and_replay(setup: Setup) -> None:
    assert setup.run("webhook", "register", "--api", "v2")[0] == 0
    assert setup.run("subscribe", "--api", "v2")[0] == 0
    assert setup.run("subscriptions", "--api", "v2")[1].strip() == "Subscribed: 4337869213"
    code, out, _ = setup.run("replay", "--api", "v2", "--since", "2026-11-24T08:00", "--until", "2026-11-24T09:30")
    assert code == 0 and "job" in out
    (replay,) = setup.fake.account_activity.replays
    assert (replay["from_date"], replay["to_date"]) == ("202611240800", "202611240930")
    assert setup.run("replay", "--since", "2026-11-24T08:00")[0] == 1  # v1.1 has no replay


@pytest.mark.parametrize(
    ("prepare", "argv", "expected"),
    [
        ("bad_secret", ["credentials", "check"], "X refused the credentials"),
        ("broken_crc", ["webhook", "register", "--env", "dev"], "CRC check of"),
        ("none", ["webhook", "list", "--env", "prod"], "no Account Activity environment labelled 'prod'"),
        ("none", ["webhook", "register", "--api", "v1.1"], "needs --env"),
        ("none", ["subscribe", "--api", "v2"], "no webhook is registered"),
        ("no_stack", ["webhook", "list", "--env", "dev"], "cannot read the stack"),
    ],
)
def test_errors_are_one_clear_line(
    setup: Setup, prepare: str, argv: list[str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = boto3.client("secretsmanager")
    if prepare == "bad_secret":
        secrets.put_secret_value(
            SecretId=setup.secret_arn,
            SecretString=json.dumps({**DEV_CREDENTIALS.secret_values(), "access_token_secret": "wrong"}),
        )
    if prepare == "broken_crc":  # the deployed secret holds another app's consumer secret
        for key, value in DEV_CREDENTIALS.secret_values().items():
            monkeypatch.setenv(f"X_{key.upper()}", value)
        wrong = {**DEV_CREDENTIALS.secret_values(), "consumer_secret": "other-app"}
        secrets.put_secret_value(SecretId=setup.secret_arn, SecretString=json.dumps(wrong))
    if prepare == "no_stack":
        argv = [*argv, "--stack", "missing"]
    code, out, err = setup.run(*argv)
    never_shows_secrets(out, err)
    assert code == 1
    assert err.startswith("error: ") and expected in err and err.count("\n") == 1


def test_status_prints_the_outputs_and_the_next_steps(setup: Setup) -> None:
    code, out, _ = setup.run("status")
    assert code == 0
    assert f"WebhookUrl: {setup.webhook_url}" in out and "x-dm-channel credentials set" in out


def test_an_unfilled_secret_says_which_keys_and_what_to_run(setup: Setup) -> None:
    code, _, err = setup.run("credentials", "check")
    assert code == 0  # the fixture's secret holds the dev credentials
    boto3.client("secretsmanager").put_secret_value(SecretId=setup.secret_arn, SecretString='{"consumer_key": "k"}')
    code, _, err = setup.run("credentials", "check")
    assert code == 1
    assert "no value for: consumer_secret, access_token, access_token_secret" in err and "credentials set" in err


def test_accounts_and_their_x_activity_api_subscriptions(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    second = SECOND_ACCOUNT.bot_user_id
    setup.fake.tokens[SECOND_ACCOUNT.access_token] = SECOND_ACCOUNT.access_token_secret
    setup.fake.account_activity.screen_names[second] = "salesbot"
    assert setup.run("webhook", "register", "--api", "v2")[0] == 0
    monkeypatch.setenv("X_ACCESS_TOKEN", SECOND_ACCOUNT.access_token)
    monkeypatch.setenv("X_ACCESS_TOKEN_SECRET", SECOND_ACCOUNT.access_token_secret)
    code, out, err = setup.run("accounts", "add")
    assert (code, err) == (0, "") and f"Added @salesbot (id {second})" in out
    stored = json.loads(
        boto3.client("secretsmanager").get_secret_value(SecretId=f"{STACK}/accounts/{second}")["SecretString"]
    )
    assert stored["access_token"] == SECOND_ACCOUNT.access_token and stored["screen_name"] == "salesbot"
    monkeypatch.delenv("X_ACCESS_TOKEN")
    monkeypatch.delenv("X_ACCESS_TOKEN_SECRET")

    assert setup.run("subscribe", "--api", "xaa")[0] == 0  # the primary account
    code, out, _ = setup.run("subscribe", "--api", "xaa", "--account", second)
    assert code == 0 and "subscribed (X Activity API" in out
    assert setup.run("subscribe", "--api", "xaa", "--account", second)[1].strip().endswith("already subscribed.")
    created = list(setup.fake.account_activity.activity.values())
    assert {(c["filter"]["user_id"], c["event_type"]) for c in created} == {
        (account, event_type) for account in (DEV_CREDENTIALS.bot_user_id, second) for event_type in DM_EVENTS
    }
    assert all(c["tag"].startswith(f"x-dm-channel:{STACK}:") for c in created)

    listing = setup.run("accounts", "list")[1]
    assert f"{second}  @salesbot" in listing and "subscribed" in listing and "0/1000 DMs in 24 h" in listing
    assert second in setup.run("subscriptions", "--api", "xaa")[1]

    assert setup.run("unsubscribe", "--api", "xaa", "--account", second)[0] == 0
    assert {c["filter"]["user_id"] for c in setup.fake.account_activity.activity.values()} == {
        DEV_CREDENTIALS.bot_user_id
    }
    code, out, _ = setup.run("accounts", "remove", "--account", second)
    assert code == 0 and "Removed the account" in out
    assert f"{second}  @" not in setup.run("accounts", "list")[1]


def test_a_dm_subscription_signed_by_another_account_is_refused(setup: Setup) -> None:
    assert setup.run("webhook", "register", "--api", "v2")[0] == 0
    calls = AccountActivity(DEV_CREDENTIALS, api="v2", base_url=setup.x_url)
    hook = calls.webhooks()[0]
    with pytest.raises(XApiError) as refused:
        calls._call(
            "create",
            "POST",
            "/2/activity/subscriptions",
            json={"event_type": "dm.received", "filter": {"user_id": "42"}, "webhook_id": hook.id, "tag": "t"},
        )
    assert refused.value.status == 403
    with pytest.raises(XApiError) as unsigned:
        calls._call("list", "GET", "/2/activity/subscriptions")  # user context: the list needs the app's token
    assert unsigned.value.status == 401


def test_aws_and_terminal_problems_are_one_line_naming_the_cause(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    code, out, err = setup.run("status")
    assert (code, out) == (1, "")
    assert err == "error: no AWS region: pass --region, or set AWS_REGION (or a profile with a region)\n"
    code, _, err = setup.run("status", "--region", "us-east-1", "--profile", "nobody")
    assert code == 1 and err.startswith("error: The config profile (nobody) could not be found")
    assert len(err.splitlines()) == 1
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    code, _, err = setup.run("credentials", "set")  # no X_* variables, and no terminal under pytest
    assert code == 1
    assert (
        err
        == "error: X_CONSUMER_KEY is not set, and there is no terminal to ask for the consumer key: set X_CONSUMER_KEY\n"
    )
    code, _, err = setup.run("status", "--stack", "not-deployed")
    assert code == 1 and "cannot read the stack 'not-deployed' in us-east-1" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("variable", ["AWS_REGION", "AWS_DEFAULT_REGION"])
def test_the_region_comes_from_either_variable(setup: Setup, monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv(variable, "us-east-1")
    code, out, err = setup.run("status")
    assert (code, err) == (0, "") and f"WebhookUrl: {setup.webhook_url}" in out


def test_credentials_check_says_it_used_the_environment(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in DEV_CREDENTIALS.secret_values().items():
        monkeypatch.setenv(f"X_{key.upper()}", value)
    code, out, _ = setup.run("credentials", "check")
    assert code == 0 and "checked from the environment (X_CONSUMER_KEY" in out


def test_teardown_unsubscribes_and_deletes_the_webhook_only_when_told_so(setup: Setup) -> None:
    assert setup.run("webhook", "register", "--api", "v2")[0] == 0
    assert setup.run("subscribe", "--api", "xaa")[0] == 0
    code, _, err = setup.run("teardown")  # no terminal to confirm on
    assert code == 1 and "without a terminal" in err and "--yes" in err
    assert setup.fake.account_activity.activity and setup.fake.account_activity.webhooks
    code, out, _ = setup.run("teardown", "--yes")
    assert code == 0 and "unsubscribed 4337869213" in out and "deleted the webhook" in out
    assert not setup.fake.account_activity.activity and not setup.fake.account_activity.webhooks


def test_credentials_set_checks_it_may_write_before_asking_and_changes_nothing(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = boto3.client("secretsmanager")
    versions = len(secrets.list_secret_version_ids(SecretId=setup.secret_arn)["Versions"])
    asked: list[str] = []

    def answer_nothing(prompt: str) -> str:
        asked.append(prompt)
        return ""

    monkeypatch.setattr("getpass.getpass", answer_nothing)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    code, _, err = setup.run("credentials", "set")
    assert code == 1 and len(asked) == 1 and "empty" in err  # it asked, so it could write; the first answer was empty
    assert len(secrets.list_secret_version_ids(SecretId=setup.secret_arn)["Versions"]) == versions
    code, _, err = setup.run("credentials", "set", "--secret-id", "no-such-secret")
    assert code == 1 and "cannot write the secret no-such-secret" in err and len(asked) == 1  # refused before asking


def test_conversations_resume_gives_a_taken_conversation_back_to_the_bot(setup: Setup, stack: LocalStack) -> None:
    state = Conversations(boto3.client("dynamodb"), stack.refs["StateTable"], "4337869213")
    state.hand_to_person("3001969357", 3_600)
    code, out, _ = setup.run("conversations", "resume", "--account", "4337869213", "--user", "3001969357")
    assert code == 0 and "answers the user 3001969357 on the account 4337869213 again" in out
    assert not looked(state, "3001969357").with_person("3001969357")
    code, out, _ = setup.run("conversations", "resume", "--account", "4337869213", "--user", "3001969357")
    assert code == 0 and "No person had the conversation" in out


def test_xchat_login_keys_register_and_subscribe(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake X is plain HTTP on loopback
    bot = DEV_CREDENTIALS.bot_user_id
    code, _, err = setup.run("xchat", "keys", "register")
    assert code == 1 and "xchat login" in err  # the key calls need the OAuth 2.0 token first
    monkeypatch.setenv("X_OAUTH2_CLIENT_ID", "local-client")
    monkeypatch.setenv("X_OAUTH2_REDIRECT", setup.fake.xchat.issue_code("3001969357"))  # signed in as someone else
    code, _, err = setup.run("xchat", "login")
    assert code == 1 and "sign in as the bot account" in err
    monkeypatch.setenv("X_OAUTH2_CLIENT_SECRET", "client-s3cret")  # read with no terminal too
    monkeypatch.setenv("X_OAUTH2_REDIRECT", f"http://127.0.0.1:8976/callback?code={setup.fake.xchat.issue_code(bot)}")
    code, out, err = setup.run("xchat", "login")  # the address the browser was sent to, pasted whole
    assert code == 0 and "x.com/i/oauth2/authorize" in err and "code_challenge" in err and "Saved" in out

    def stored() -> dict[str, str]:  # in the primary's own secret, which the webhook cannot read
        secret = f"{STACK}/accounts/{bot}"
        value = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=secret)["SecretString"])
        xchat: dict[str, str] = value["xchat"]
        return xchat

    assert setup.fake.xchat.user_of({"Authorization": f"Bearer {stored()['access_token']}"}) == bot
    assert stored()["client_secret"] == "client-s3cret"
    setup.fake.xchat.fail_next("public_keys", 503)  # X fails the check before registering: nothing is spent
    assert setup.run("xchat", "keys", "register")[0] == 1
    code, out, _ = setup.run("xchat", "keys", "register")
    assert code == 0 and "Registered" in out
    first = stored()
    assert setup.fake.xchat.public_keys[bot][0]["public_key_version"] == first["key_version"]
    assert len(setup.fake.xchat.registrations[bot]) == 1
    code, _, err = setup.run("xchat", "keys", "register")  # X holds our key: adopted, not registered again
    assert code == 0 and len(setup.fake.xchat.registrations[bot]) == 1 and stored() == first
    first_blob = first["private_keys"]
    assert setup.run("xchat", "keys", "register", "--replace")[0] == 0
    assert stored()["private_keys"] != first_blob and len(setup.fake.xchat.registrations[bot]) == 2

    assert setup.run("webhook", "register", "--api", "xaa")[0] == 0
    code, out, _ = setup.run("subscribe", "--event", "chat.received", "--one-to-one-only")
    assert code == 0 and "XChat" in out and "X holds the filter conversation_type:one_to_one" in out
    created = list(setup.fake.account_activity.activity.values())
    assert [(c["filter"]["user_id"], c["event_type"]) for c in created] == [(bot, "chat.received"), (bot, "chat.sent")]
    assert {c["filter"]["qualifiers"] for c in created} == {"conversation_type:one_to_one"}
    listing = setup.run("accounts", "list")[1]
    assert f"XChat: key version {stored()['key_version']}, token for 1" in listing  # about 2 hours left
    assert listing.count(bot) == 1  # its own XChat secret is no second account
    stack_value = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=setup.secret_arn)["SecretString"])
    assert "xchat" not in stack_value  # the stack's secret, which the webhook reads, holds no XChat keys


def test_dead_letters_are_listed_without_their_text_and_redriven_once(
    setup: Setup, pipeline: Callable[..., Pipeline]
) -> None:
    flow = pipeline()

    @dataclass
    class Flaky:
        """A bot that breaks until it is mended."""

        mended: bool = False

        def answer(self, turn: Turn) -> list[Reply]:
            if not self.mended:
                raise ConnectionResetError("the bot's host went away")
            return [Reply(f"answer to {turn.text}")]

    bot = Flaky()
    flow.responder.wiring.bot_override = bot
    dm_id = flow.user_says("a secret question")
    result = flow.poll()
    for _ in range(4):
        flow.expire(result)
        result = flow.poll()
    assert flow.answers() == [flow.responder.settings.bot_apology]

    code, out, _ = setup.run("dead-letters", "list")
    assert code == 0 and dm_id in out and "account 4337869213" in out and "5 attempts failed" in out
    assert "secret question" not in out
    assert setup.run("dead-letters", "redrive", "--id", "123")[0] == 1  # no such DM: one line, nothing moved

    bot.mended = True
    code, out, _ = setup.run("dead-letters", "redrive", "--id", dm_id)
    assert code == 0 and f"{dm_id}: back on the DM queue" in out
    flow.poll()
    assert flow.answers() == [flow.responder.settings.bot_apology, "answer to a secret question"]
    assert setup.run("dead-letters", "list")[1].strip() == "The dead-letter queue is empty."
    assert setup.run("dead-letters", "redrive", "--all")[1].strip() == "Nothing to redrive."


def test_redrive_all_moves_every_dead_letter_of_a_long_conversation(setup: Setup, stack: LocalStack) -> None:
    sqs = boto3.client("sqs")
    for dm in queued_dms(15):  # one conversation: SQS hands out ten of it at a time
        fresh = dm._replace(created_at_ms=int(time.time() * 1000))
        sqs.send_message(
            QueueUrl=stack.refs["DmDeadLetterQueue"],
            MessageBody=fresh.to_body(),
            MessageGroupId=fresh.conversation_id,
            MessageDeduplicationId=fresh.deduplication_id,
        )
    assert "at most 10 of one conversation" in setup.run("dead-letters", "list")[1]
    code, out, _ = setup.run("dead-letters", "redrive", "--all")
    assert code == 0 and out.count("back on the DM queue") == 15
    assert setup.run("dead-letters", "list")[1].strip() == "The dead-letter queue is empty."


def test_keys_registered_while_the_keeper_rotates_the_token_keep_the_newest_token(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake X is plain HTTP on loopback
    bot = DEV_CREDENTIALS.bot_user_id
    monkeypatch.setenv("X_OAUTH2_CLIENT_ID", "local-client")
    monkeypatch.setenv("X_OAUTH2_REDIRECT", setup.fake.xchat.issue_code(bot))
    assert setup.run("xchat", "login")[0] == 0
    secrets, own_secret = boto3.client("secretsmanager"), f"{STACK}/accounts/{bot}"
    route, rotated = setup.fake.xchat.route, dict[str, str]()

    def keeper_rotates_meanwhile(method: str, url: str, headers: Any, body: bytes) -> Any:
        if url.endswith(f"/users/{bot}/public_keys") and not rotated:  # while the command talks to X
            value = json.loads(secrets.get_secret_value(SecretId=own_secret)["SecretString"])
            rotated.update(refresh_token="rotated-by-the-keeper", access_token=value["xchat"]["access_token"])
            value["xchat"] |= rotated
            secrets.put_secret_value(SecretId=own_secret, SecretString=json.dumps(value))
        return route(method, url, headers, body)

    monkeypatch.setattr(setup.fake.xchat, "route", keeper_rotates_meanwhile)
    assert setup.run("xchat", "keys", "register")[0] == 0
    stored = json.loads(secrets.get_secret_value(SecretId=own_secret)["SecretString"])["xchat"]
    assert stored["refresh_token"] == "rotated-by-the-keeper"  # never rolled back to the one X has spent
    assert stored["key_version"] and stored["private_keys"]


def test_xchat_settings_are_read_and_who_can_message_is_set(setup: Setup) -> None:
    bot = DEV_CREDENTIALS.bot_user_id
    secrets = boto3.client("secretsmanager")
    tokens = setup.fake.xchat.issue_tokens(bot)
    secrets.create_secret(Name=f"{STACK}/accounts/{bot}", SecretString=json.dumps({"xchat": tokens}))
    code, out, _ = setup.run("xchat", "settings")
    assert code == 0 and 'allow_dms_from: "everyone"' in out
    code, out, _ = setup.run("xchat", "settings", "--who-can-message", "verified")
    assert code == 0 and 'allow_dms_from: "verified"' in out
    assert setup.fake.xchat.chat_settings[bot]["allow_dms_from"] == "verified"
    assert setup.fake.xchat.chat_settings[bot]["dm_quality_filter"] == "enabled"  # the others sent again, unchanged


def test_migrate_moves_an_account_off_the_account_activity_api_only_once_both_deliver_the_same_dms(
    setup: Setup, stack: LocalStack
) -> None:
    primary = DEV_CREDENTIALS.bot_user_id
    assert setup.run("webhook", "register", "--env", "dev")[0] == 0  # the Account Activity API, as set up before
    assert setup.run("subscribe", "--env", "dev")[0] == 0
    assert setup.run("webhook", "register")[0] == 0  # the X Activity API's v2 webhook, the default now
    code, out, err = setup.run("migrate", "start")
    assert code == 0, err
    events = {s["event_type"] for s in setup.fake.account_activity.activity.values()}
    assert events == set(DM_EVENTS) and "Both APIs now deliver" in out
    dynamodb, table = boto3.client("dynamodb"), stack.refs["StateTable"]
    hour_ago = DmRecords(dynamodb, table, primary, clock=lambda: time.time() - 3_600)
    hour_ago.start("1", "q1", "account_activity")  # an hour ago: a DM only the old API delivered
    recently = DmRecords(dynamodb, table, primary, clock=lambda: time.time() - 1_200)
    for dm_id in ("2", "3"):  # 20 minutes ago, by both, in either order
        for surface in ("activity_api", "account_activity")[:: 1 if dm_id == "2" else -1]:
            recently.start(dm_id, "q", surface)
    code, out, _ = setup.run("migrate", "status", "--env", "dev")
    assert out.splitlines()[1].split()[:4] == [primary, "1", "0", "2"]
    code, _, err = setup.run("migrate", "finish", "--env", "dev")
    assert code == 1 and "1 DMs came only by the Account Activity API" in err and "--force" in err
    assert setup.run("subscriptions", "--env", "dev")[1].strip() == f"Subscribed: {primary}"  # untouched
    code, out, _ = setup.run("migrate", "status", "--env", "dev", "--parity-hours", "0.5")
    assert out.splitlines()[1].split()[:4] == [primary, "0", "0", "2"] and "ready" in out
    code, out, err = setup.run("migrate", "finish", "--env", "dev", "--parity-hours", "0.5")
    assert code == 0, err
    assert "No account" in setup.run("subscriptions", "--env", "dev")[1]  # off the Account Activity API
    assert [h["env"] for h in setup.fake.account_activity.webhooks.values()] == [None]  # its v1.1 webhook deleted
    assert len(setup.fake.account_activity.activity) == 2  # the X Activity API's subscriptions stay


def test_migrate_finish_one_account_at_a_time_deletes_the_v1_1_webhook_with_the_last(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    second = SECOND_ACCOUNT.bot_user_id
    setup.fake.tokens[SECOND_ACCOUNT.access_token] = SECOND_ACCOUNT.access_token_secret
    setup.fake.account_activity.screen_names[second] = "salesbot"
    monkeypatch.setenv("X_ACCESS_TOKEN", SECOND_ACCOUNT.access_token)
    monkeypatch.setenv("X_ACCESS_TOKEN_SECRET", SECOND_ACCOUNT.access_token_secret)
    assert setup.run("accounts", "add")[0] == 0
    monkeypatch.delenv("X_ACCESS_TOKEN")
    monkeypatch.delenv("X_ACCESS_TOKEN_SECRET")
    assert setup.run("webhook", "register", "--env", "dev")[0] == 0
    for account in (DEV_CREDENTIALS.bot_user_id, second):
        assert setup.run("subscribe", "--env", "dev", "--account", account)[0] == 0
    assert setup.run("webhook", "register")[0] == 0
    assert setup.run("migrate", "start", "--all")[0] == 0
    code, out, err = setup.run("migrate", "finish", "--env", "dev", "--account", second, "--force")
    assert code == 0 and "deleted" not in out, err
    assert len(setup.fake.account_activity.webhooks) == 2  # the primary still takes its DMs by the v1.1 webhook
    del setup.fake.tokens[SECOND_ACCOUNT.access_token]  # the finished account's token revoked since
    code, out, err = setup.run("migrate", "finish", "--env", "dev", "--force")  # the primary, the last on it
    assert code == 0 and f"The account {second} could not be asked" in out and "deleted" not in out, err
    assert "No account" in setup.run("subscriptions", "--env", "dev")[1]  # the primary is off it all the same
    setup.fake.tokens[SECOND_ACCOUNT.access_token] = SECOND_ACCOUNT.access_token_secret
    code, out, err = setup.run("migrate", "finish", "--env", "dev", "--force")  # asked again: no one is on it
    assert code == 0 and "deleted" in out, err
    assert [h["env"] for h in setup.fake.account_activity.webhooks.values()] == [None]


def test_bots_are_made_served_rotated_and_revoked_and_their_tokens_never_shown(setup: Setup) -> None:
    app = setup.fake.app
    code, out, err = setup.run("bots", "create", "--handle", "helpdesk_bot", "--name", "Help desk")
    assert code == 0, err
    (bot_id,) = app.bots
    secret = json.loads(
        boto3.client("secretsmanager").get_secret_value(SecretId=f"{STACK}/accounts/{bot_id}")["SecretString"]
    )
    assert secret["xchat"] | {"expires_at": 0} == {
        "access_token": app.tokens[bot_id],
        "token_kind": "bot",
        "expires_at": 0,
    }
    assert app.tokens[bot_id] not in out + err and "XChat only" in out and "xchat keys register" in out
    assert f"{bot_id}  @helpdesk_bot  served" in setup.run("bots", "list")[1]
    assert setup.run("webhook", "register")[0] == 0
    code, _, err = setup.run("subscribe", "--account", bot_id)
    assert code == 1 and "XChat only: add --event chat.received" in err
    code, out, err = setup.run("subscribe", "--account", bot_id, "--event", "chat.received")
    assert code == 0, err
    held = {(s["filter"]["user_id"], s["event_type"]) for s in setup.fake.account_activity.activity.values()}
    assert held == {(bot_id, "chat.received"), (bot_id, "chat.sent")}  # with the bot's own token, for the bot
    code, _, err = setup.run("bots", "create", "--handle", "second_bot")
    assert code == 1 and "max_bots 1" in err and len(err.splitlines()) == 1
    old = app.tokens[bot_id]
    assert setup.run("bots", "rotate", "--account", bot_id)[0] == 0
    secret = json.loads(
        boto3.client("secretsmanager").get_secret_value(SecretId=f"{STACK}/accounts/{bot_id}")["SecretString"]
    )
    assert secret["xchat"]["access_token"] == app.tokens[bot_id] != old
    assert setup.run("bots", "permission", "--account", bot_id, "--dm", "premium")[0] == 0
    assert app.bots[bot_id]["dm_permission"] == "premium"
    assert setup.run("bots", "revoke", "--account", bot_id)[0] == 0
    secret = json.loads(
        boto3.client("secretsmanager").get_secret_value(SecretId=f"{STACK}/accounts/{bot_id}")["SecretString"]
    )
    assert bot_id not in app.tokens and secret["xchat"]["access_token"]  # X refuses it now: the DMs are held
    assert "no bot the stack serves" in setup.run("bots", "rotate", "--account", DEV_CREDENTIALS.bot_user_id)[2]


@pytest.mark.parametrize("answers", [True, False], ids=["X tells the balance", "X answers 404"])
def test_usage_prints_the_balance_and_the_priced_billable_events(
    setup: Setup, stack: LocalStack, answers: bool
) -> None:
    if not answers:
        setup.fake.app.credits = None
    primary = DEV_CREDENTIALS.bot_user_id
    records = DmRecords(boto3.client("dynamodb"), stack.refs["StateTable"], primary)
    for dm_id in ("1", "2"):
        records.start(dm_id, "q", "activity_api")
    code, out, err = setup.run("usage")
    assert code == 0, err
    first = out.splitlines()[0]
    assert ("$41.50 (prepaid $40.00, free $1.50)" in first) if answers else ("unknown" in first and "404" in first)
    (row,) = [line for line in out.splitlines() if line.startswith(f"account {primary}")]
    assert row.split()[-3:] == ["2", "0", "$0.02"]  # two DM events at $0.010, nothing sent


def test_doctor_checks_each_link_and_names_the_command_that_fixes_a_broken_one(setup: Setup, stack: LocalStack) -> None:
    primary = DEV_CREDENTIALS.bot_user_id
    assert setup.run("webhook", "register")[0] == 0
    assert setup.run("subscribe")[0] == 0
    records = DmRecords(boto3.client("dynamodb"), stack.refs["StateTable"], primary)
    records.start("1", "q", "activity_api")
    records.end("1", Fate(Outcome.ANSWERED))
    code, out, err = setup.run("doctor")
    assert code == 0, err
    assert [line.split()[0] for line in out.splitlines() if line.split()[0] in ("ok", "FIX")] == ["ok"] * 5
    assert "last DM answered 0.0 hours ago" in out
    dm_sent = next(k for k, s in setup.fake.account_activity.activity.items() if s["event_type"] == "dm.sent")
    del setup.fake.account_activity.activity[dm_sent]  # deleted at X
    setup.fake.app.credits = None
    out = setup.run("doctor")[1]
    assert f"FIX  dm.sent subscribed: x-dm-channel subscribe --account {primary}" in out
    assert "X's credits: unknown" in out


def test_migrate_finish_never_removes_the_old_subscription_before_the_new_ones_exist(setup: Setup) -> None:
    assert setup.run("webhook", "register", "--env", "dev")[0] == 0
    assert setup.run("subscribe", "--env", "dev")[0] == 0
    assert setup.run("webhook", "register")[0] == 0
    code, _, err = setup.run("migrate", "finish", "--env", "dev", "--force")  # no X Activity API subscription yet
    assert code == 1 and "migrate start" in err
    assert setup.run("subscriptions", "--env", "dev")[1].strip() == f"Subscribed: {DEV_CREDENTIALS.bot_user_id}"
