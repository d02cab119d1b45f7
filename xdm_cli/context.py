"""What every command needs: the credentials, X's webhook calls, the stack's webhook, and one-line errors."""

import argparse
import getpass
import os
import sys
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3

from dmchannel.credentials import ENVIRONMENT_NAMES, XCredentials
from dmchannel.storage.table import Prefix
from dmchannel.x.account_activity import AccountActivity, Webhook
from xdm_cli.aws_stack import accounts_prefix, credentials_from_secret, read_secret, stack_outputs


class CommandError(Exception):
    """A problem to report in one line, then exit 1."""


def credentials_and_source(args: argparse.Namespace) -> tuple[XCredentials, str]:
    """The four keys from X_CONSUMER_KEY... when all are set, else from the stack's secret; and which it was."""
    from_env = {key: os.environ.get(name, "") for key, name in ENVIRONMENT_NAMES.items()}
    if all(from_env.values()):
        return XCredentials(**from_env), f"the environment ({', '.join(ENVIRONMENT_NAMES.values())})"
    secret_id = args.secret_id or stack_outputs(args.stack)["SecretArn"]
    return credentials_from_secret(secret_id), f"the stored secret {secret_id}"


def credentials(args: argparse.Namespace) -> XCredentials:
    """The four keys (see credentials_and_source)."""
    return credentials_and_source(args)[0]


def ask(label: str, variable: str) -> str:
    """A value from the environment variable, else asked for without echo; one line when there is no terminal."""
    value = os.environ.get(variable, "").strip()
    if value:
        return value
    if not sys.stdin.isatty():
        raise CommandError(f"{variable} is not set, and there is no terminal to ask for the {label}: set {variable}")
    value = getpass.getpass(f"{label} ({variable}): ").strip()
    if not value:
        raise CommandError(f"the {label} is empty")
    return value


def ask_optional(label: str, variable: str) -> str:
    """A value that may be empty: from the environment variable, else asked for without echo on a terminal."""
    value = os.environ.get(variable, "").strip()
    if value or not sys.stdin.isatty():
        return value
    return getpass.getpass(f"{label} ({variable}): ").strip()


def activity(args: argparse.Namespace, account: XCredentials | None = None) -> AccountActivity:
    """X's webhook and subscription calls, signed as the account (the primary one by default)."""
    if args.api == "v1.1" and not args.env:
        raise CommandError("the v1.1 Account Activity API needs --env LABEL (the environment label of your X app)")
    api = "v1.1" if args.api == "v1.1" else "v2"  # the X Activity API delivers to a v2 webhook
    return AccountActivity(
        account or credentials(args), api=api, env_label=args.env or "", base_url=args.x_api_base_url
    )


def activity_api(args: argparse.Namespace, account: XCredentials | None = None) -> AccountActivity:
    """X's v2 calls (the X Activity API, the app's webhooks), signed as the account (the primary by default)."""
    return AccountActivity(account or credentials(args), api="v2", base_url=args.x_api_base_url)


def webhook_url(args: argparse.Namespace) -> str:
    """The webhook's URL: --url, else the stack's WebhookUrl output."""
    url: str = getattr(args, "url", None) or stack_outputs(args.stack)["WebhookUrl"]
    return url


def our_webhook(calls: AccountActivity, url: str) -> Webhook:
    """The webhook X holds for the stack's URL."""
    hook = next((h for h in calls.webhooks() if h.url == url), None)
    if hook is None:
        raise CommandError(f"no webhook is registered for {url}: run `x-dm-channel webhook register` first")
    return hook


def account_credentials(args: argparse.Namespace, account_id: str | None) -> XCredentials:
    """The app's keys with an account's token: the primary account's, or one added with `accounts add`."""
    app = credentials(args)
    if not account_id or account_id == app.bot_user_id:
        return app
    value = read_secret(accounts_prefix(args.stack) + account_id)
    token, token_secret = value.get("access_token"), value.get("access_token_secret")
    if not (isinstance(token, str) and isinstance(token_secret, str)):
        raise CommandError(f"the account {account_id} has no token: run `x-dm-channel accounts add` for it")
    return replace(app, access_token=token, access_token_secret=token_secret)


def account_secret_id(args: argparse.Namespace, account_id: str) -> str:
    """The secret that holds an account's token: the stack's for the primary account, else its own."""
    secret_id: str = args.secret_id or stack_outputs(args.stack)["SecretArn"]
    return secret_id if account_id == credentials(args).bot_user_id else accounts_prefix(args.stack) + account_id


def xchat_material(args: argparse.Namespace, account_id: str) -> tuple[str, dict[str, Any]]:
    """Where an account's XChat material is kept, and the secret's value: its own secret under the accounts' prefix.

    The primary account's is there too (the webhook, which reads the stack's secret, can only describe
    those); one set up before, in the stack's secret, is read from there until it is written again.
    """
    secret_id = accounts_prefix(args.stack) + account_id
    value = read_secret(secret_id, missing_ok=True)
    if not value.get("xchat") and account_id == credentials(args).bot_user_id:
        stack_value = read_secret(account_secret_id(args, account_id))
        value = value | ({"xchat": stack_value["xchat"]} if stack_value.get("xchat") else {})
    return secret_id, value


def xchat_token(args: argparse.Namespace, account_id: str) -> str:
    """The account's OAuth 2.0 access token for XChat (stored by `x-dm-channel xchat login`)."""
    token = xchat_material(args, account_id)[1].get("xchat", {}).get("access_token")
    if not isinstance(token, str) or not token:
        raise CommandError(f"the account {account_id} has no OAuth 2.0 token: run `x-dm-channel xchat login` first")
    return token


def bot_token(args: argparse.Namespace, account_id: str) -> str | None:
    """A Bots API account's token (``x-dm-channel bots create``); None for any other account."""
    xchat = read_secret(accounts_prefix(args.stack) + account_id, missing_ok=True).get("xchat") or {}
    return str(xchat.get("access_token") or "") if xchat.get("token_kind") == "bot" else None


def state_table(args: argparse.Namespace) -> str:
    """The stack's table, or one line saying the stack is older than the command."""
    table = stack_outputs(args.stack).get("StateTableName", "")
    if not table:
        raise CommandError(f"the stack {args.stack} has no StateTableName output: deploy this version first")
    return table


def dm_records(table: str, condition: str, values: dict[str, Any], fields: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each DM record (its account, and the fields asked for) that meets the condition: one scan of the table."""
    scan: Any = {
        "TableName": table,
        "FilterExpression": f"begins_with(pk, :dm) AND ({condition})",
        "ExpressionAttributeValues": {":dm": {"S": f"{Prefix.DM.value}#"}, **values},
        "ProjectionExpression": f"pk, {fields}" if fields else "pk",
    }
    for page in boto3.client("dynamodb").get_paginator("scan").paginate(**scan):
        for item in page.get("Items", []):
            yield item["pk"]["S"].split("#")[1], item
