"""`x-dm-channel credentials`: the app's keys and the primary account's token, in the stack's secret."""

import argparse

from dmchannel.credentials import CREDENTIAL_KEYS, ENVIRONMENT_NAMES, XCredentials
from xdm_cli.aws_stack import check_writable, stack_outputs, write_credentials
from xdm_cli.context import CommandError, activity_api, ask, credentials_and_source

DM_ACCESS_LEVEL = "read-write-directmessages"


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
