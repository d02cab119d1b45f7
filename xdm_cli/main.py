"""`x-dm-channel`: credentials, webhook, subscription and replay commands for the channel on X.

Each command group is a module of its own; this one reads the command line and runs one command.
"""

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from dmchannel.x.app_api import DM_PERMISSIONS
from dmchannel.x.endpoints import DEFAULT_BASE_URL
from dmchannel.x.errors import XApiError
from xdm_cli.accounts import accounts_add, accounts_list, accounts_remove
from xdm_cli.aws_stack import StackError, aws_problem
from xdm_cli.bots import bots_create, bots_list, bots_permission, bots_revoke, bots_rotate
from xdm_cli.context import CommandError
from xdm_cli.conversations import conversations_resume
from xdm_cli.credentials import credentials_check, credentials_set
from xdm_cli.dead_letters import dead_letters_list, dead_letters_redrive
from xdm_cli.doctor import doctor
from xdm_cli.explain import explain
from xdm_cli.local import LOCAL_VARIABLE, use_local_stack, wanted
from xdm_cli.migrate import migrate_finish, migrate_start, migrate_status, parity_hours
from xdm_cli.replay import replay, utc
from xdm_cli.status import status
from xdm_cli.subscriptions import subscribe, subscriptions, unsubscribe
from xdm_cli.teardown import teardown
from xdm_cli.usage import usage
from xdm_cli.webhook import webhook_check, webhook_delete, webhook_list, webhook_register
from xdm_cli.xchat import DEFAULT_REDIRECT, xchat_keys_register, xchat_login, xchat_settings


def common_options(local_help: str) -> argparse.ArgumentParser:
    """The options every command takes: which stack, where (AWS, or the local stack), and which of X's APIs."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--stack",
        default=os.environ.get("STACK_NAME", "x-dm-channel"),
        help="the deployed stack (default: x-dm-channel)",
    )
    common.add_argument("--secret-id", help="the credentials secret, instead of the stack's")
    common.add_argument(
        "--api",
        choices=["xaa", "v2", "v1.1"],
        help="X's API: the X Activity API (xaa, the default, on a v2 webhook), or the Account Activity API "
        "(v2, or v1.1: the default with --env), which ends on 2027-01-01",
    )
    common.add_argument("--env", help="v1.1: the Account Activity environment label")
    common.add_argument(
        "--region", help="the AWS region of the stack (default: AWS_REGION, AWS_DEFAULT_REGION, or the profile's)"
    )
    common.add_argument("--profile", help="the AWS profile (default: AWS_PROFILE, or the default credentials)")
    common.add_argument(
        "--api-base",
        dest="x_api_base_url",
        default=DEFAULT_BASE_URL,
        help=f"X's API (default {DEFAULT_BASE_URL}): the credentials go only there",
    )
    common.add_argument("--local", action="store_true", default=argparse.SUPPRESS, help=local_help)
    return common


def parser() -> argparse.ArgumentParser:
    """The command line."""
    local_help = f"against the running `make run` stack (its AWS stand-in and its X), as {LOCAL_VARIABLE}=1 does"
    common = common_options(local_help)
    top = argparse.ArgumentParser(prog="x-dm-channel", description=__doc__)
    top.add_argument("--local", action="store_true", help=local_help)
    commands = top.add_subparsers(dest="command", required=True)

    def command(
        parent: "argparse._SubParsersAction[argparse.ArgumentParser]",
        name: str,
        run: Callable[[argparse.Namespace], str],
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = parent.add_parser(
            name, parents=[common], help=run.__doc__, description=run.__doc__
        )
        sub.set_defaults(run=run)
        return sub

    credentials = commands.add_parser("credentials", help="the X keys in the stack's secret").add_subparsers(
        dest="action", required=True
    )
    command(credentials, "set", credentials_set)
    command(credentials, "check", credentials_check)
    webhook = commands.add_parser("webhook", help="the webhook registered with X").add_subparsers(
        dest="action", required=True
    )
    command(webhook, "register", webhook_register).add_argument(
        "--replace", metavar="WEBHOOK_ID", help="delete this webhook (one this stack did not create), then register"
    )
    for name, run in (("list", webhook_list), ("check", webhook_check), ("delete", webhook_delete)):
        command(webhook, name, run)
    for sub in webhook.choices.values():
        sub.add_argument("--url", help="the webhook URL (default: the stack's WebhookUrl output)")
    webhook.choices["delete"].add_argument("--id", help="delete this webhook id instead")
    for name, run in (("subscribe", subscribe), ("unsubscribe", unsubscribe), ("subscriptions", subscriptions)):
        sub = command(commands, name, run)
        sub.add_argument("--url", help="the webhook URL (default: the stack's WebhookUrl output)")
        sub.add_argument("--account", help="--api xaa: the account's user id (default: the primary account)")
    commands.choices["subscribe"].add_argument(
        "--event", choices=["dm", "chat.received"], default="dm", help="--api xaa: DMs (default), or XChat's messages"
    )
    commands.choices["subscribe"].add_argument(
        "--one-to-one-only",
        action="store_true",
        help="with --event chat.received: ask X for one-to-one chats only (X's qualifier is unconfirmed; "
        "the webhook drops group messages anyway)",
    )
    xchat = commands.add_parser("xchat", help="XChat (encrypted DMs): OAuth 2.0 login and keys").add_subparsers(
        dest="action", required=True
    )
    login = command(xchat, "login", xchat_login)
    login.add_argument("--redirect-uri", default=DEFAULT_REDIRECT, help="the app's callback URL, as set at X")
    keys = xchat.add_parser("keys", help="the account's XChat keys").add_subparsers(dest="keys_action", required=True)
    command(keys, "register", xchat_keys_register).add_argument(
        "--replace", action="store_true", help="replace a key X already holds (its conversations must start again)"
    )
    settings = command(xchat, "settings", xchat_settings)
    settings.add_argument(
        "--who-can-message", metavar="VALUE", help="who can message the account: one of the values X shows for it"
    )
    for sub in (login, keys.choices["register"], settings):
        sub.add_argument("--account", help="the account's user id (default: the primary account)")
    accounts = commands.add_parser("accounts", help="the bot accounts besides the primary one").add_subparsers(
        dest="action", required=True
    )
    command(accounts, "add", accounts_add)
    command(accounts, "list", accounts_list)
    command(accounts, "remove", accounts_remove).add_argument("--account", required=True, help="the account's user id")
    conversations = commands.add_parser(
        "conversations", help="conversations a person took over from the bot"
    ).add_subparsers(dest="action", required=True)
    resume = command(conversations, "resume", conversations_resume)
    resume.add_argument("--account", required=True, help="the bot account's user id")
    resume.add_argument("--user", required=True, help="the user's id")
    _dead_letter_commands(commands, command)
    replay_command = command(commands, "replay", replay)
    replay_command.add_argument("--since", type=utc, required=True, help="start, UTC (e.g. 2026-11-24T08:00)")
    replay_command.add_argument("--until", type=utc, default=datetime.now(UTC), help="end, UTC (default: now)")
    replay_command.add_argument("--url", help="the webhook URL (default: the stack's WebhookUrl output)")
    _migrate_commands(commands, command)
    _bot_commands(commands, command)
    command(commands, "doctor", doctor).add_argument("--account", help="one account's user id (default: every account)")
    command(commands, "usage", usage).add_argument("--account", help="one account's user id (default: every account)")
    command(commands, "status", status)
    command(commands, "teardown", teardown).add_argument("--yes", action="store_true", help="answer yes to every step")
    return top


def _bot_commands(
    commands: "argparse._SubParsersAction[argparse.ArgumentParser]",
    command: Callable[..., argparse.ArgumentParser],
) -> None:
    """`bots create | list | rotate | revoke | permission`: bot accounts from X's Bots API."""
    bots = commands.add_parser("bots", help="bot accounts from X's Bots API (XChat)").add_subparsers(
        dest="action", required=True
    )
    create = command(bots, "create", bots_create)
    create.add_argument("--handle", required=True, help="the bot's handle (5 to 15 letters, digits or _)")
    create.add_argument("--name", help="its display name")
    command(bots, "list", bots_list)
    for name, run in (("rotate", bots_rotate), ("revoke", bots_revoke), ("permission", bots_permission)):
        command(bots, name, run).add_argument("--account", required=True, help="the bot's user id")
    bots.choices["permission"].add_argument("--dm", required=True, choices=DM_PERMISSIONS, help="who may DM the bot")


def _migrate_commands(
    commands: "argparse._SubParsersAction[argparse.ArgumentParser]",
    command: Callable[..., argparse.ArgumentParser],
) -> None:
    """`migrate start | status | finish`: each account off the Account Activity API, nothing lost or doubled."""
    migrate = commands.add_parser(
        "migrate", help="move the accounts off the Account Activity API (it ends on 2027-01-01)"
    ).add_subparsers(dest="action", required=True)
    for name, run in (("start", migrate_start), ("status", migrate_status), ("finish", migrate_finish)):
        sub = command(migrate, name, run)
        which = sub.add_mutually_exclusive_group()
        which.add_argument("--account", help="the account's user id (default: the primary account)")
        which.add_argument("--all", action="store_true", help="every account the stack serves")
        sub.add_argument("--url", help="the webhook URL (default: the stack's WebhookUrl output)")
        if name != "start":
            sub.add_argument(
                "--parity-hours",
                type=parity_hours,
                default=24.0,
                help="hours both APIs must have delivered the same DMs",
            )
    migrate.choices["finish"].add_argument(
        "--force", action="store_true", help="finish even though the two APIs did not deliver the same DMs"
    )


def _dead_letter_commands(
    commands: "argparse._SubParsersAction[argparse.ArgumentParser]",
    command: Callable[..., argparse.ArgumentParser],
) -> None:
    """`dead-letters list` and `dead-letters redrive --id ID | --all`."""
    dead_letters = commands.add_parser(
        "dead-letters", help="DMs on the dead-letter queue: listed (never their text) and redriven"
    ).add_subparsers(dest="action", required=True)
    command(dead_letters, "list", dead_letters_list)
    chosen = command(dead_letters, "redrive", dead_letters_redrive).add_mutually_exclusive_group(required=True)
    chosen.add_argument("--id", help="the DM's id (see `dead-letters list`)")
    chosen.add_argument("--all", action="store_true", help="every DM still within X's 24 hours")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; problems are one line on stderr and exit status 1."""
    args = parser().parse_args(argv)
    args.api = getattr(args, "api", None) or ("v1.1" if getattr(args, "env", None) else "xaa")  # a label is v1.1's
    try:
        if wanted(args):
            args.local = True
            use_local_stack(args)
        region = args.region or os.environ.get("AWS_REGION") or None  # boto3 reads only AWS_DEFAULT_REGION itself
        boto3.setup_default_session(region_name=region, profile_name=args.profile)
        print(args.run(args))
    except XApiError as error:
        return _fail(explain(error, getattr(args, "url", None) or "", args.env or ""))
    except (CommandError, StackError) as error:
        return _fail(str(error))
    except BotoCoreError as error:
        return _fail(aws_problem(error))
    except ClientError as error:  # AWS refused a call: a table, a metric or a permission the stack lacks
        problem = error.response.get("Error", {})
        return _fail(f"AWS refused {error.operation_name}: {problem.get('Code', '')}: {problem.get('Message', '')}")
    except (KeyboardInterrupt, EOFError):
        return _fail("stopped before anything was written")
    return 0


def _fail(line: str) -> int:
    print(f"error: {line}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
