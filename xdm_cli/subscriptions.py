"""`x-dm-channel subscribe`, `unsubscribe`, `subscriptions`: which accounts' events reach the webhook.

With the X Activity API (``--api xaa``) the stack's subscriptions are tagged with the stack and the account,
two per account: ``dm.received`` (users' DMs) and ``dm.sent`` (its own, so that a person
answering by hand is seen and the bot steps back).
"""

import argparse

from dmchannel.x.account_activity import AccountActivity, ActivitySubscription
from dmchannel.x.errors import XApiError
from xdm_cli.context import (
    CommandError,
    account_credentials,
    activity,
    activity_api,
    bot_token,
    credentials,
    our_webhook,
    webhook_url,
    xchat_token,
)

DM_EVENTS = ("dm.received", "dm.sent")
# XChat: subscribed with the account's OAuth 2.0 token (x-dm-channel xchat login); chat.sent tells of a person
# answering from the account, who then has the conversation.
CHAT_EVENTS = ("chat.received", "chat.sent")
ONE_TO_ONE = "conversation_type:one_to_one"  # X's qualifier for one-to-one chats: its exact form is unconfirmed
DUPLICATE_STATUS = 409
ALREADY_SUBSCRIBED = 355  # the Account Activity API's code for a subscription that exists


def tag_of(args: argparse.Namespace, account_id: str) -> str:
    """The tag X echoes on every delivery: which stack and account the subscription is for."""
    return f"x-dm-channel:{args.stack}:{account_id}"[:200]


def our_subscriptions(args: argparse.Namespace, account_id: str | None = None) -> list[ActivitySubscription]:
    """The DM subscriptions this stack made (of one account, if given)."""
    calls = activity_api(args)
    return [
        s
        for s in calls.activity_subscriptions()
        if s.event_type in DM_EVENTS + CHAT_EVENTS
        and s.tag.startswith(f"x-dm-channel:{args.stack}:")
        and (account_id is None or s.user_id == account_id)
    ]


def subscribe_account(args: argparse.Namespace, account_id: str | None) -> str:
    """Subscribe the account's dm.received and dm.sent events (or --event chat.received: and chat.sent) to the webhook.

    A Bots API account subscribes its XChat events only, with its bot token (which X does not document for this).
    """
    bot = bot_token(args, account_id) if account_id else None
    chat = getattr(args, "event", None) == "chat.received"
    one_to_one = getattr(args, "one_to_one_only", False)
    if one_to_one and not chat:
        raise CommandError("--one-to-one-only filters XChat's messages: give it with --event chat.received")
    if bot is not None and not chat:
        raise CommandError(
            f"the account {account_id} is a Bots API bot, which answers XChat only: add --event chat.received"
        )
    account = credentials(args) if bot is not None else account_credentials(args, account_id)
    user_id = account_id if bot is not None and account_id else account.bot_user_id
    calls = activity_api(args, account)
    if chat:
        calls.user_token = bot or xchat_token(args, user_id)
    webhook = our_webhook(calls, webhook_url(args))
    qualifiers = ONE_TO_ONE if one_to_one else ""
    created: list[ActivitySubscription] = []
    for event_type in CHAT_EVENTS if chat else DM_EVENTS:
        try:
            created.append(calls.subscribe_activity(webhook.id, tag_of(args, user_id), event_type, qualifiers, user_id))
        except XApiError as error:
            if error.status != DUPLICATE_STATUS:
                raise
    if not created:
        return f"The account {user_id} is already subscribed." + (
            " (Its filter stays as it was: unsubscribe, then subscribe again to set it.)" if qualifiers else ""
        )
    what = "its XChat (encrypted) messages" if chat else "its DMs, and its own messages (a person may answer by hand),"
    said = f"The account {user_id} is subscribed (X Activity API, {', '.join(s.id for s in created)}): {what} now reach the webhook."
    if qualifiers:
        held = {s.id: s.qualifiers for s in calls.activity_subscriptions()}
        kept = all(held.get(s.id) == qualifiers for s in created)
        said += (
            f"\nX holds the filter {qualifiers}: group messages should not be delivered (the webhook drops any anyway)."
            if kept
            else f"\nX did not keep the filter {qualifiers} (how X names it is unconfirmed): group messages may be delivered, and the webhook drops them."
        )
    return said


def _xaa_subscriptions(args: argparse.Namespace) -> str:
    """The app's DM subscriptions, this stack's marked."""
    listed = [s for s in activity_api(args).activity_subscriptions() if s.event_type in DM_EVENTS + CHAT_EVENTS]
    if not listed:
        return "No account is subscribed: run `x-dm-channel subscribe --api xaa`."
    mine = tag_of(args, "")
    return "\n".join(
        f"{s.user_id}  {s.event_type}  {s.id}  {'this stack' if s.tag.startswith(mine) else s.tag}" for s in listed
    )


def _xaa_unsubscribe(args: argparse.Namespace) -> str:
    """Delete this stack's DM subscriptions of the account (only this stack's)."""
    account_id = args.account or credentials(args).bot_user_id
    found = our_subscriptions(args, account_id)
    if not found:
        raise CommandError(f"this stack has no X Activity API subscription for the account {account_id}")
    calls = activity_api(args)
    for subscription in found:
        calls.unsubscribe_activity(subscription.id)
    return f"The account {account_id} is unsubscribed."


def _webhook_id(args: argparse.Namespace, calls: AccountActivity) -> str:
    """v2 subscriptions name the webhook; v1.1 ones its environment."""
    return our_webhook(calls, webhook_url(args)).id if args.api == "v2" else ""


def subscribe(args: argparse.Namespace) -> str:
    """Subscribe a bot account to the webhook's events (--api xaa: its dm.received, --account ID)."""
    if args.api == "xaa":
        return subscribe_account(args, args.account)
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
        return _xaa_unsubscribe(args)
    calls = activity(args)
    calls.unsubscribe(_webhook_id(args, calls))
    return f"The account {calls.credentials.bot_user_id} is unsubscribed."


def subscriptions(args: argparse.Namespace) -> str:
    """Show the subscribed accounts."""
    if args.api == "xaa":
        return _xaa_subscriptions(args)
    calls = activity(args)
    users = calls.subscriptions(_webhook_id(args, calls))
    return "Subscribed: " + ", ".join(users) if users else "No account is subscribed: run `x-dm-channel subscribe`."
