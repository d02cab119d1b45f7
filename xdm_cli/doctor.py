"""`x-dm-channel doctor`: every link from a person's DM to the bot's answer, one line each, with what fixes a broken one.

The stack's webhook at X, X's credit balance, and per account: each subscription it needs, its XChat
keys and token (where it has XChat), and the last DM the table says it answered.
"""

import argparse
import time

import requests

from dmchannel.responder.lifecycle import Outcome
from dmchannel.x.app_api import AppApi, Credits
from dmchannel.x.webhook_check import check_webhook
from xdm_cli.aws_stack import account_ids, accounts_prefix, stack_outputs
from xdm_cli.context import activity_api, bot_token, credentials, dm_records, webhook_url, xchat_material
from xdm_cli.subscriptions import CHAT_EVENTS, DM_EVENTS

TOKEN_WARNING_SECONDS = 30 * 60  # the token keeper refreshes a token this long before it ends


def _line(ok: bool, what: str, fix: str = "") -> str:
    return f"{'ok ' if ok else 'FIX'}  {what}" + ("" if ok or not fix else f": {fix}")


def _last_answered(table: str) -> dict[str, float]:
    """Each account's newest answered DM (when its outcome was written)."""
    newest: dict[str, float] = {}
    answered = {":answered": {"S": Outcome.ANSWERED.value}}
    for account, item in dm_records(table, "outcome = :answered", answered, "outcome_at"):
        newest[account] = max(float(item.get("outcome_at", {}).get("N", "0")), newest.get(account, 0.0))
    return newest


def _xchat_lines(args: argparse.Namespace, account: str, subscribed: set[str]) -> list[str]:
    """An XChat account's keys, token and subscriptions (none for an account without XChat)."""
    xchat = xchat_material(args, account)[1].get("xchat") or {}
    if not xchat:
        return []
    left = float(xchat.get("expires_at") or 0) - time.time()
    bot = xchat.get("token_kind") == "bot"
    fresh = not xchat.get("expires_at") or left > (0 if bot else TOKEN_WARNING_SECONDS)  # else the keeper failed
    token_ok = bool(xchat.get("access_token")) and fresh
    lines = [
        _line(
            bool(xchat.get("key_version")),
            "XChat keys registered",
            f"x-dm-channel xchat keys register --account {account}",
        ),
        _line(
            token_ok,
            "XChat token: "
            + (
                "the bot's" if bot else f"{max(left, 0) / 60:.0f} minutes left" if xchat.get("expires_at") else "stored"
            ),
            f"x-dm-channel {'bots rotate' if bot else 'xchat login'} --account {account}",
        ),
    ]
    return lines + [
        _line(
            event in subscribed,
            f"{event} subscribed",
            f"x-dm-channel subscribe --event chat.received --account {account}",
        )
        for event in CHAT_EVENTS
    ]


def doctor(args: argparse.Namespace) -> str:
    """Check every link of the chain, one line each, and say what to run for each one broken."""
    calls = activity_api(args)
    url = webhook_url(args)
    status = check_webhook(calls, url)
    lines = [_line(status.healthy, f"webhook: {status.detail}", "x-dm-channel webhook register")]
    balance = AppApi(args.x_api_base_url, calls.bearer_token(), requests.Session()).credits()
    lines.append(
        _line(balance.total > 0, f"X's credits: ${balance.total:,.2f}", "add credits in X's developer console")
        if isinstance(balance, Credits)
        else f"?    X's credits: unknown ({balance}): see the developer console"
    )
    primary = credentials(args).bot_user_id
    accounts = [args.account] if args.account else [primary, *account_ids(accounts_prefix(args.stack))]
    webhook_id = status.webhook.id if status.webhook else ""
    held = [s for s in calls.activity_subscriptions() if s.webhook_id == webhook_id]
    table = stack_outputs(args.stack).get("StateTableName", "")
    answered = _last_answered(table) if table else {}
    for account in accounts:
        subscribed = {s.event_type for s in held if s.user_id == account}
        lines.append(f"account {account}")
        lines += [
            "  " + _line(event in subscribed, f"{event} subscribed", f"x-dm-channel subscribe --account {account}")
            for event in DM_EVENTS
            if bot_token(args, account) is None  # a Bots API bot answers XChat only
        ]
        lines += ["  " + line for line in _xchat_lines(args, account, subscribed)]
        last = answered.get(account)
        lines.append(
            "  "
            + _line(
                last is not None,
                f"last DM answered {(time.time() - last) / 3_600:.1f} hours ago"
                if last
                else "no DM answered in the table",
                "write to the account from another X account; see the responder's log",
            )
        )
    return "\n".join(lines)
