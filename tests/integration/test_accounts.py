"""The accounts a deployment serves, from Secrets Manager on moto: the primary, the others, and no stranger."""

import json
from typing import Any

import boto3
from botocore.exceptions import ClientError

from devstack.dev_credentials import DEV_CREDENTIALS, SECOND_ACCOUNT, account_secret
from devstack.provision import LocalStack
from dmchannel.accounts import AccountDirectory
from dmchannel.credentials import secrets_client

PREFIX = "x-dm-channel/accounts/"


def directory(stack: LocalStack, clock: list[float] | None = None) -> AccountDirectory:
    now = clock or [0.0]
    return AccountDirectory(stack.refs["XCredentialsSecret"], PREFIX, lambda: now[0])


def test_the_primary_and_an_added_account_are_served_with_their_own_tokens(stack: LocalStack) -> None:
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(
        Name=PREFIX + SECOND_ACCOUNT.bot_user_id,
        SecretString=account_secret(SECOND_ACCOUNT, "salesbot", DAILY_MESSAGE_LIMIT="50", OTHER="ignored"),
    )
    accounts = directory(stack)
    primary = accounts.account(DEV_CREDENTIALS.bot_user_id)
    second = accounts.account(SECOND_ACCOUNT.bot_user_id)
    assert primary is not None and primary.credentials == DEV_CREDENTIALS
    assert second is not None and second.credentials == SECOND_ACCOUNT
    assert (second.screen_name, dict(second.settings)) == ("salesbot", {"DAILY_MESSAGE_LIMIT": "50"})
    assert accounts.is_served(DEV_CREDENTIALS.bot_user_id) and accounts.is_served(SECOND_ACCOUNT.bot_user_id)


def test_a_stranger_is_not_served_and_the_answer_is_kept_for_a_while(stack: LocalStack) -> None:
    clock = [0.0]
    accounts = directory(stack, clock)
    assert not accounts.is_served("4337869299") and accounts.account("4337869299") is None
    boto3.client("secretsmanager").create_secret(Name=PREFIX + "4337869299", SecretString=json.dumps({}))
    assert not accounts.is_served("4337869299")  # remembered for 5 minutes
    clock[0] += 301
    assert accounts.is_served("4337869299")


def test_senders_never_seen_cost_one_listing_every_5_minutes_not_one_request_each(stack: LocalStack) -> None:
    clock, calls = [0.0], []
    accounts = directory(stack, clock)
    events = secrets_client().meta.events
    events.register("before-call.secrets-manager", lambda model, **_: calls.append(model.name), unique_id="count")
    try:
        assert not any(accounts.listed_as_served(str(4337869000 + n)) for n in range(20))
        boto3.client("secretsmanager").create_secret(Name=PREFIX + "4337869100", SecretString=json.dumps({}))
        assert not accounts.listed_as_served("4337869100")  # as the last listing says
        assert accounts.is_served("4337869100")  # asked of this account: at once (the webhook's question)
        clock[0] += 301
        assert accounts.listed_as_served("4337869100")
    finally:
        events.unregister("before-call.secrets-manager", unique_id="count")
    asked = [call for call in calls if call not in ("GetSecretValue", "CreateSecret")]
    assert asked == ["ListSecrets", "DescribeSecret", "ListSecrets"]


def test_a_failed_listing_keeps_the_last_one_a_minute_more(stack: LocalStack) -> None:
    clock, failing = [0.0], [False]
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name=PREFIX + SECOND_ACCOUNT.bot_user_id, SecretString=account_secret(SECOND_ACCOUNT, "x"))
    accounts = directory(stack, clock)
    assert accounts.listed_as_served(SECOND_ACCOUNT.bot_user_id)

    def throttle(**_: Any) -> None:
        if failing[0]:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "ListSecrets")

    events = secrets_client().meta.events
    events.register("before-call.secrets-manager.ListSecrets", throttle, unique_id="throttle")
    try:
        failing[0], clock[0] = True, 301.0
        assert accounts.listed_as_served(SECOND_ACCOUNT.bot_user_id)  # the last listing stands
        failing[0], clock[0] = False, 330.0
        secrets.delete_secret(SecretId=PREFIX + SECOND_ACCOUNT.bot_user_id, ForceDeleteWithoutRecovery=True)
        assert accounts.listed_as_served(SECOND_ACCOUNT.bot_user_id)  # for a minute
        clock[0] = 362.0
        assert not accounts.listed_as_served(SECOND_ACCOUNT.bot_user_id)  # listed again
    finally:
        events.unregister("before-call.secrets-manager.ListSecrets", unique_id="throttle")


def test_a_secret_with_another_accounts_token_is_never_used(stack: LocalStack) -> None:
    boto3.client("secretsmanager").create_secret(
        Name=PREFIX + "4337869299", SecretString=account_secret(SECOND_ACCOUNT, "x")
    )
    assert directory(stack).account("4337869299") is None


def test_without_a_prefix_only_the_primary_is_served(stack: LocalStack) -> None:
    accounts = AccountDirectory(stack.refs["XCredentialsSecret"], "")
    assert accounts.is_served(DEV_CREDENTIALS.bot_user_id)
    assert not accounts.is_served(SECOND_ACCOUNT.bot_user_id)
    assert accounts.account("not-a-number") is None


def test_a_bots_api_account_is_served_for_xchat_without_an_oauth_1_token(stack: LocalStack) -> None:
    bot_id = "1960000000000000001"
    xchat = {"access_token": "xcbot_abc", "token_kind": "bot"}
    value = {"screen_name": "helpdesk_bot", "xchat": xchat}
    boto3.client("secretsmanager").create_secret(Name=PREFIX + bot_id, SecretString=json.dumps(value))
    account = directory(stack).account(bot_id)
    assert account is not None and account.id == bot_id and account.xchat_secret_ids == (PREFIX + bot_id,)
    assert account.credentials.access_token_secret == ""  # no OAuth 1.0a token: legacy DMs cannot be sent for it
    xchat["token_kind"] = "oauth2"  # an ordinary account's secret still needs its own OAuth 1.0a token
    boto3.client("secretsmanager").create_secret(Name=PREFIX + "1960000000000000002", SecretString=json.dumps(value))
    assert directory(stack).account("1960000000000000002") is None


def test_an_account_removed_is_not_served_while_its_secret_waits_for_deletion(stack: LocalStack) -> None:
    name = PREFIX + SECOND_ACCOUNT.bot_user_id
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name=name, SecretString=account_secret(SECOND_ACCOUNT, "salesbot"))
    secrets.delete_secret(SecretId=name, RecoveryWindowInDays=7)  # what `x-dm-channel accounts remove` does
    accounts = directory(stack)
    assert not accounts.is_served(SECOND_ACCOUNT.bot_user_id)  # the webhook's question
    assert directory(stack).account(SECOND_ACCOUNT.bot_user_id) is None  # the responder's: not served, never failing
    assert not accounts.listed_as_served(SECOND_ACCOUNT.bot_user_id)
