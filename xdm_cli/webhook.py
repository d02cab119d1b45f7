"""`x-dm-channel webhook`: the stack's webhook at X, registered, listed, checked and deleted."""

import argparse

from dmchannel.x.webhook_check import check_webhook
from xdm_cli.context import CommandError, activity, our_webhook, webhook_url


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
