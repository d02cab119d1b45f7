"""`x-dm-channel`: credentials, webhook, subscription and replay commands for the channel on X."""

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import boto3
from botocore.exceptions import BotoCoreError

from dmchannel.credentials import CREDENTIAL_KEYS, ENVIRONMENT_NAMES, XCredentials
from dmchannel.x.account_activity import AccountActivity
from dmchannel.x.endpoints import DEFAULT_BASE_URL
from dmchannel.x.errors import XApiError
from dmchannel.x.webhook_check import check_webhook
from xdm_cli import activity as activity_subscriptions
from xdm_cli.accounts import accounts_add, accounts_list, accounts_remove
from xdm_cli.aws_stack import StackError, aws_problem, check_writable, stack_outputs, write_credentials
from xdm_cli.context import CommandError, activity, activity_api, ask, credentials_and_source, our_webhook, webhook_url
from xdm_cli.conversations import conversations_resume
from xdm_cli.dead_letters import dead_letters_list, dead_letters_redrive
from xdm_cli.explain import explain
from xdm_cli.teardown import teardown
from xdm_cli.xchat import DEFAULT_REDIRECT, xchat_keys_register, xchat_login, xchat_settings

DM_ACCESS_LEVEL = "read-write-directmessages"
ALREADY_SUBSCRIBED = 355


def credentials_set(args: argparse.Namespace) -> str:
    """Write the four keys to the stack's secret (from the environment, or asked for without echo)."""
    secret_id = args.secret_id or stack_outputs(args.stack)["SecretArn"]
    check_writable(secret_id)  # the stack, the region, AWS credentials and the right to write, before asking anything
    values = {key: ask(key.replace("_", " "), name) for key, name in ENVIRONMENT_NAMES.items()}
    if not XCredentials(**values).bot_user_id.isdigit():
        raise CommandError("the access token should start with the bot account's numeric id and a dash")
    write_credentials(secret_id, values)
    return f"Saved {', '.join(CREDENTIAL_KEYS)} to {secret_id}. The functions use them within 5 minutes."


def credentials_check(args: argparse.Namespace) -> str:
    """Call X's verify-credentials and report the account and its DM permission."""
    keys, source = credentials_and_source(args)
    account, level = activity_api(args, keys).verify_credentials()
    who = f"@{account.get('screen_name')} (id {account.get('id_str')}), checked from {source}"
    if level != DM_ACCESS_LEVEL:
        raise CommandError(
            f"The credentials work for {who}, but the access level is '{level or 'unknown'}', without Direct Messages: "
            "set 'Read, write and Direct Messages' in the app's settings, then regenerate the access token and secret."
        )
    return f"The credentials work for {who}, with Direct Message permission."


def webhook_register(args: argparse.Namespace) -> str:
    """Register the webhook; never replace one this tool did not create unless --replace names it."""
    calls, url = activity(args), webhook_url(args)
    existing = calls.webhooks()
    ours = next((hook for hook in existing if hook.url == url), None)
    if ours:
        if not ours.valid:
            calls.trigger_crc(ours.id)
        return f"The webhook {ours.id} is already registered for {url}."
    others = [hook for hook in existing if hook.url != url]
    replaced = [hook for hook in others if hook.id == args.replace]
    if args.replace and not replaced:
        raise CommandError(f"X has no webhook {args.replace} to replace (see `webhook list`)")
    if others and not replaced and args.api == "v1.1":
        listing = "; ".join(f"{hook.id} -> {hook.url}" for hook in others)
        raise CommandError(
            f"X already has another webhook ({listing}). It was not created for this stack, so it is left alone: "
            "delete it yourself, or run again with --replace WEBHOOK_ID."
        )
    for hook in replaced:
        calls.delete(hook.id)
    created = calls.register(url)
    return f"Registered the webhook {created.id} for {url} (X's CRC passed). Next: x-dm-channel subscribe"


def webhook_list(args: argparse.Namespace) -> str:
    """List the app's webhooks."""
    hooks = activity(args).webhooks()
    if not hooks:
        return "No webhook is registered."
    return "\n".join(f"{hook.id}  {'valid  ' if hook.valid else 'INVALID'}  {hook.url}" for hook in hooks)


def webhook_check(args: argparse.Namespace) -> str:
    """Check that X holds the webhook as valid; trigger a CRC when it does not."""
    status = check_webhook(activity(args), webhook_url(args))
    if not status.healthy:
        raise CommandError(status.detail)
    return status.detail.capitalize() + "."


def webhook_delete(args: argparse.Namespace) -> str:
    """Delete this stack's webhook (or the one given by --id)."""
    calls = activity(args)
    hook_id = args.id or our_webhook(calls, webhook_url(args)).id
    calls.delete(hook_id)
    return f"Deleted the webhook {hook_id}."


def _webhook_id(args: argparse.Namespace, calls: AccountActivity) -> str:
    """v2 subscriptions name the webhook; v1.1 ones its environment."""
    return our_webhook(calls, webhook_url(args)).id if args.api == "v2" else ""


def subscribe(args: argparse.Namespace) -> str:
    """Subscribe a bot account to the webhook's events (--api xaa: its dm.received, --account ID)."""
    if args.api == "xaa":
        return activity_subscriptions.subscribe(args)
    calls = activity(args)
    try:
        calls.subscribe(_webhook_id(args, calls))
    except XApiError as error:
        if ALREADY_SUBSCRIBED not in error.codes:
            raise
    return f"The account {calls.credentials.bot_user_id} is subscribed: its DMs now reach the webhook."


def unsubscribe(args: argparse.Namespace) -> str:
    """Remove a bot account's subscription (--api xaa: only this stack's, of --account ID)."""
    if args.api == "xaa":
        return activity_subscriptions.unsubscribe(args)
    calls = activity(args)
    calls.unsubscribe(_webhook_id(args, calls))
    return f"The account {calls.credentials.bot_user_id} is unsubscribed."


def subscriptions(args: argparse.Namespace) -> str:
    """Show the subscribed accounts."""
    if args.api == "xaa":
        return activity_subscriptions.subscriptions(args)
    calls = activity(args)
    users = calls.subscriptions(_webhook_id(args, calls))
    return "Subscribed: " + ", ".join(users) if users else "No account is subscribed: run `x-dm-channel subscribe`."


def _utc(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date and time: {text} (use e.g. 2026-11-24T08:00)") from error
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def replay(args: argparse.Namespace) -> str:
    """Ask X (v2) to deliver the events of a past period again; duplicates are dropped by the channel."""
    if args.api != "v2":
        raise CommandError("replay needs the v2 API (--api v2): X replaced the older account-activity replay in 2026")
    if args.since >= args.until:
        raise CommandError("--since must be before --until")
    calls = activity(args)
    job = calls.replay(our_webhook(calls, webhook_url(args)).id, args.since, args.until)
    return f"X is delivering the events from {args.since:%Y-%m-%d %H:%M} to {args.until:%Y-%m-%d %H:%M} UTC again (job {job})."


def status(args: argparse.Namespace) -> str:
    """Show the deployed stack's outputs and the next commands."""
    outputs = stack_outputs(args.stack)
    lines = [f"{key}: {value}" for key, value in sorted(outputs.items())]
    return "\n".join(
        [
            *lines,
            "",
            "Next: x-dm-channel credentials set; credentials check; webhook register --env LABEL; subscribe --env LABEL",
        ]
    )


def parser() -> argparse.ArgumentParser:
    """The command line."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--stack",
        default=os.environ.get("STACK_NAME", "x-dm-channel"),
        help="the deployed stack (default: x-dm-channel)",
    )
    common.add_argument("--secret-id", help="the credentials secret, instead of the stack's")
    common.add_argument(
        "--api",
        choices=["v1.1", "v2", "xaa"],
        default="v1.1",
        help="X's API: Account Activity v1.1 (default) or v2, or the X Activity API (xaa, on a v2 webhook)",
    )
    common.add_argument("--env", help="v1.1: the Account Activity environment label")
    common.add_argument("--region", help="the AWS region of the stack (default: AWS_REGION, or the profile's)")
    common.add_argument("--profile", help="the AWS profile (default: AWS_PROFILE, or the default credentials)")
    common.add_argument(
        "--api-base",
        dest="x_api_base_url",
        default=DEFAULT_BASE_URL,
        help=f"X's API (default {DEFAULT_BASE_URL}): the credentials go only there",
    )
    top = argparse.ArgumentParser(prog="x-dm-channel", description=__doc__)
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
    replay_command.add_argument("--since", type=_utc, required=True, help="start, UTC (e.g. 2026-11-24T08:00)")
    replay_command.add_argument("--until", type=_utc, default=datetime.now(UTC), help="end, UTC (default: now)")
    replay_command.add_argument("--url", help="the webhook URL (default: the stack's WebhookUrl output)")
    command(commands, "status", status)
    command(commands, "teardown", teardown).add_argument("--yes", action="store_true", help="answer yes to every step")
    return top


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
    try:
        boto3.setup_default_session(region_name=args.region, profile_name=args.profile)
        print(args.run(args))
    except XApiError as error:
        return _fail(explain(error, getattr(args, "url", None) or "", args.env or ""))
    except (CommandError, StackError) as error:
        return _fail(str(error))
    except BotoCoreError as error:
        return _fail(aws_problem(error))
    except (KeyboardInterrupt, EOFError):
        return _fail("stopped before anything was written")
    return 0


def _fail(line: str) -> int:
    print(f"error: {line}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
