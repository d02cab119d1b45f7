"""`x-dm-channel conversations`: a conversation a person took over, given back to the bot."""

import argparse

import boto3

from dmchannel.storage.conversation import Conversations
from xdm_cli.context import state_table


def conversations_resume(args: argparse.Namespace) -> str:
    """Give a conversation back to the bot: it answers the user's next DMs again."""
    table = state_table(args)
    if Conversations(boto3.client("dynamodb"), table, args.account).give_back_to_bot(args.user):
        return f"The bot answers the user {args.user} on the account {args.account} again."
    return f"No person had the conversation of the user {args.user} on the account {args.account}: the bot answers it."
