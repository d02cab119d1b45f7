"""`x-dm-channel teardown`: what `make destroy` does at X before the stack is deleted, each step confirmed."""

import argparse
import sys

from xdm_cli.context import CommandError, activity_api, webhook_url
from xdm_cli.subscriptions import our_subscriptions


def confirm(question: str, args: argparse.Namespace) -> bool:
    """Ask yes or no (--yes answers yes to all); no terminal and no --yes is a one-line error."""
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise CommandError(f"cannot ask '{question}' without a terminal: run it in one, or pass --yes")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def teardown(args: argparse.Namespace) -> str:
    """Unsubscribe the stack's accounts (X Activity API) and delete its webhook at X, each step confirmed."""
    done = []
    subscriptions = our_subscriptions(args)
    calls = activity_api(args)
    listed = ", ".join(s.user_id for s in subscriptions)
    if subscriptions and confirm(
        f"Unsubscribe {len(subscriptions)} account(s) ({listed}) from the X Activity API?", args
    ):
        for subscription in subscriptions:
            calls.unsubscribe_activity(subscription.id)
        done.append(f"unsubscribed {listed}")
    url = webhook_url(args)
    hook = next((h for h in calls.webhooks() if h.url == url), None)
    if hook and confirm(f"Delete the webhook {hook.id} ({url}) at X?", args):
        calls.delete(hook.id)
        done.append(f"deleted the webhook {hook.id}")
    return ("Done: " + "; ".join(done) + ".") if done else "Nothing was changed at X."
