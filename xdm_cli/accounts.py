"""`x-dm-channel accounts`: the bot accounts the deployment answers for, besides the primary one."""

import argparse
import time
from dataclasses import replace
from typing import Any

import boto3

from dmchannel.credentials import ENVIRONMENT_NAMES
from dmchannel.storage.ledger import Ledger
from xdm_cli.aws_stack import (
    account_ids,
    accounts_prefix,
    delete_secret,
    put_secret,
    read_secret,
    stack_outputs,
    stack_parameter,
)
from xdm_cli.context import (
    CommandError,
    account_credentials,
    account_secret_id,
    activity_api,
    ask,
    credentials,
    xchat_material,
)
from xdm_cli.subscriptions import our_subscriptions

TOKEN_KEYS = ("access_token", "access_token_secret")


def accounts_add(args: argparse.Namespace) -> str:
    """Add an account: its access token and secret (environment, or asked without echo), checked with X."""
    values = {key: ask(f"account's {key.replace('_', ' ')}", ENVIRONMENT_NAMES[key]) for key in TOKEN_KEYS}
    account_id = values["access_token"].split("-", 1)[0]
    if not account_id.isdigit():
        raise CommandError("the access token should start with the account's numeric id and a dash")
    app = credentials(args)
    if account_id == app.bot_user_id:
        raise CommandError(f"{account_id} is the primary account (the stack's secret): it needs no adding")
    calls = activity_api(args, replace(app, **values))
    account, _ = calls.verify_credentials()
    screen_name = str(account.get("screen_name", ""))
    prefix = accounts_prefix(args.stack)
    put_secret(prefix + account_id, {**values, "screen_name": screen_name, "settings": {}})
    return (
        f"Added @{screen_name} (id {account_id}) as {prefix}{account_id}. "
        f"Next: x-dm-channel subscribe --api xaa --account {account_id}"
    )


def accounts_list(args: argparse.Namespace) -> str:
    """List the accounts: id, screen name, subscribed (X Activity API) or not, DMs sent in 24 hours of the limit."""
    app = credentials(args)
    prefix = accounts_prefix(args.stack)
    table = stack_outputs(args.stack).get("StateTableName", "")
    default_limit = int(stack_parameter(args.stack, "DailyMessageLimit", "1000"))
    subscribed = {s.user_id for s in our_subscriptions(args)}
    lines = []
    for account_id in [app.bot_user_id, *(other for other in account_ids(prefix) if other != app.bot_user_id)]:
        value = read_secret(account_secret_id(args, account_id))
        limit = int(value.get("settings", {}).get("DAILY_MESSAGE_LIMIT", default_limit))
        ledger = Ledger(boto3.client("dynamodb"), table, account_id, daily_limit=limit, replies_per_message=5)
        used = ledger.used_in_24_hours() if table else 0
        name = "(primary)" if account_id == app.bot_user_id else f"@{value.get('screen_name', '')}"
        state = "subscribed" if account_id in subscribed else "not subscribed"
        xchat = xchat_state(xchat_material(args, account_id)[1])
        lines.append(f"{account_id}  {name:<20} {state:<15} {used}/{limit} DMs in 24 h   {xchat}")
    return "\n".join(lines)


def xchat_state(value: dict[str, Any], now: float | None = None) -> str:
    """Where the account's XChat set-up stands, from its secret."""
    xchat = value.get("xchat") or {}
    if not xchat.get("access_token"):
        return "XChat: not set up (xchat login)"
    if not xchat.get("key_version"):
        return "XChat: logged in, no key registered (xchat keys register)"
    left = int(float(xchat.get("expires_at", 0)) - (time.time() if now is None else now))
    token = f"token for {left // 60} min more" if left > 0 else "token expired (see the token keeper's log)"
    return f"XChat: key version {xchat['key_version']}, {token}"


def accounts_remove(args: argparse.Namespace) -> str:
    """Remove an account: its X Activity API subscription for this stack, then its secret."""
    app = credentials(args)
    if args.account == app.bot_user_id:
        raise CommandError("the primary account is the stack's own: it cannot be removed")
    calls = activity_api(args, account_credentials(args, args.account))
    for subscription in our_subscriptions(args, args.account):
        calls.unsubscribe_activity(subscription.id)
    delete_secret(accounts_prefix(args.stack) + args.account)
    return f"Removed the account {args.account}: its DMs are no longer answered."
