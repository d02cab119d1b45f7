"""`x-dm-channel bots`: bot accounts from X's Bots API, served by the stack, their tokens kept in their secrets.

A bot made with ``bots create`` becomes one of the stack's accounts: its ``xcbot_`` token goes straight
into its secret (never printed) as the token it answers XChat with; no OAuth 2.0 login, no refresh.
X documents the token for XChat; for legacy DMs and X Activity API subscriptions it does not, so such
a bot answers XChat only.
"""

import argparse

import requests

from dmchannel.x.app_api import AppApi, Bot
from xdm_cli.aws_stack import accounts_prefix, read_secret
from xdm_cli.context import CommandError, activity_api
from xdm_cli.xchat import store_xchat

UNDOCUMENTED = (
    "X documents a bot's token for XChat only: legacy DMs and X Activity API subscriptions are not answered with it."
)


def _app(args: argparse.Namespace) -> AppApi:
    """The Bots API, as the app."""
    return AppApi(args.x_api_base_url, activity_api(args).bearer_token(), requests.Session())


def _keep(args: argparse.Namespace, bot: Bot, account_id: str) -> str:
    """The bot's new token into the account's secret (never printed); the secret's name."""
    if not bot.token or not account_id:
        raise CommandError(f"X gave no token for the bot {account_id or bot.username}")
    secret_id = accounts_prefix(args.stack) + account_id
    args.account = account_id
    token = {"access_token": bot.token, "token_kind": "bot"}
    expiry = {"expires_at": bot.expires_at_ms // 1000} if bot.expires_at_ms else {}
    store_xchat(args, secret_id, token | expiry, ("refresh_token",), {"screen_name": bot.username})
    return secret_id


def _served_bot(args: argparse.Namespace) -> str:
    """The --account's id, which must be a bot the stack serves."""
    value = read_secret(accounts_prefix(args.stack) + args.account, missing_ok=True)
    if (value.get("xchat") or {}).get("token_kind") != "bot":
        raise CommandError(f"the account {args.account} is no bot the stack serves (see `x-dm-channel bots list`)")
    return str(args.account)


def bots_create(args: argparse.Namespace) -> str:
    """Create a bot with X's Bots API (or give a known handle a new token) and serve it; its token is never shown."""
    app = _app(args)
    bots, most = app.bots()
    known = any(bot.username.lower() == args.handle.lower() for bot in bots)
    if not known and len(bots) >= most:
        raise CommandError(
            f"the app's project has {len(bots)} bot(s), its most (max_bots {most}): ask X for more, or reuse one"
        )
    bot = app.create_bot(args.handle, args.name or "")
    secret_id = _keep(args, bot, bot.id)
    return (
        f"The bot @{bot.username} ({bot.id}) is an account of the stack; its token is in {secret_id}.\n"
        f"Next: x-dm-channel xchat keys register --account {bot.id}\n{UNDOCUMENTED}"
    )


def bots_list(args: argparse.Namespace) -> str:
    """The app's bots, and whether the stack serves each."""
    bots, most = _app(args).bots()
    if not bots:
        return f"The project has no bot (it may have {most}): x-dm-channel bots create --handle HANDLE"
    prefix = accounts_prefix(args.stack)
    served = {bot.id for bot in bots if read_secret(prefix + bot.id, missing_ok=True).get("xchat")}
    lines = [f"{bot.id}  @{bot.username}  {'served' if bot.id in served else 'not served'}" for bot in bots]
    return "\n".join([*lines, f"{len(bots)} of {most} bots (max_bots)"])


def bots_rotate(args: argparse.Namespace) -> str:
    """A new token for the bot, straight into its secret (the old one stops working at X)."""
    account_id = _served_bot(args)
    bot = _app(args).rotate_token(account_id)  # X's answer may not name the bot: the account given is the one
    return f"The bot {account_id} has a new token, in {_keep(args, bot, account_id)}."


def bots_revoke(args: argparse.Namespace) -> str:
    """Revoke the bot's token at X: X refuses it from then on, so its XChat DMs are held until `bots rotate`."""
    account_id = _served_bot(args)
    _app(args).revoke_token(account_id)
    return f"The bot {account_id}'s token is revoked: its DMs wait (held) until `x-dm-channel bots rotate`."


def bots_permission(args: argparse.Namespace) -> str:
    """Set who may DM the bot: everyone, premium (X Premium subscribers) or no_one."""
    bot = _app(args).set_dm_permission(_served_bot(args), args.dm)
    return f"Who may DM @{bot.username or args.account}: {args.dm}."
