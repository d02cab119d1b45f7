"""`x-dm-channel replay`: X delivers a past period's events again (after an outage)."""

import argparse
from datetime import UTC, datetime

from xdm_cli.context import CommandError, activity, our_webhook, webhook_url


def utc(text: str) -> datetime:
    """A --since/--until value as UTC (one without a zone is taken as UTC, as X's replay window is)."""
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
