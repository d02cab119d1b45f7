"""`x-dm-channel migrate`: each account moved off the Account Activity API (it ends on 2027-01-01), nothing lost.

``start`` adds the X Activity API subscriptions (``dm.received``, ``dm.sent``) on the stack's v2 webhook
while the Account Activity subscription keeps running: both deliver, and each DM is answered once.
``status`` reads, from the table, which surfaces delivered each DM of the last hours (every DM's record
keeps them). ``finish`` removes the Account Activity subscription (and its v1.1 webhook, once no account
uses it) only after both surfaces delivered the same DMs for ``--parity-hours``, unless ``--force``.
"""

import argparse
import math
import time
from collections import Counter
from dataclasses import dataclass

from dmchannel.queued_dm import Surface
from dmchannel.x.errors import XApiError
from dmchannel.x.webhook_check import subscription_gaps
from xdm_cli.aws_stack import account_ids, accounts_prefix, stack_parameter
from xdm_cli.context import (
    CommandError,
    account_credentials,
    activity,
    activity_api,
    bot_token,
    credentials,
    dm_records,
    our_webhook,
    state_table,
    webhook_url,
)
from xdm_cli.subscriptions import subscribe_account

SETTLING_SECONDS = 600  # a DM this recent may still be on its way on the other surface
LEGACY, ACTIVITY = Surface.ACCOUNT_ACTIVITY.value, Surface.ACTIVITY_API.value


@dataclass(frozen=True)
class Parity:
    """One account's DMs of the last hours, by the surfaces that delivered them."""

    legacy_only: int
    activity_only: int
    both: int

    @property
    def ready(self) -> bool:
        """Whether both surfaces delivered the same DMs (and some)."""
        return self.both > 0 and self.legacy_only == 0 and self.activity_only == 0


def parity_hours(value: str) -> float:
    """--parity-hours: a number of hours longer than the ten minutes a DM may take to come by both APIs."""
    hours = float(value)
    if not math.isfinite(hours) or hours * 3_600 <= SETTLING_SECONDS:
        raise argparse.ArgumentTypeError(f"{value} hours: give more than {SETTLING_SECONDS // 60} minutes")
    return hours


def _migrating(args: argparse.Namespace) -> list[str]:
    """The primary account and every added one but Bots API bots (a bot was never on the old API)."""
    primary = credentials(args).bot_user_id
    others = [a for a in account_ids(accounts_prefix(args.stack)) if a != primary]
    return [primary, *(a for a in others if bot_token(args, a) is None)]


def _accounts(args: argparse.Namespace) -> list[str]:
    """The accounts a command is for: --account, --all (every one that can migrate), else the primary."""
    if getattr(args, "all", False):
        return _migrating(args)
    return [args.account or credentials(args).bot_user_id]


def parities(args: argparse.Namespace, accounts: list[str], hours: float) -> dict[str, Parity]:
    """Each account's parity over the last hours, from its DM records (one scan of the table)."""
    now = time.time()
    window = {":since": {"N": str(int(now - hours * 3_600))}, ":until": {"N": str(int(now - SETTLING_SECONDS))}}
    counts: dict[str, Counter[str]] = {account: Counter() for account in accounts}
    for account, item in dm_records(state_table(args), "seen_at BETWEEN :since AND :until", window, "surfaces"):
        surfaces = set(item.get("surfaces", {}).get("SS", [])) & {LEGACY, ACTIVITY}
        if account in counts and surfaces:
            counts[account]["both" if len(surfaces) == 2 else surfaces.pop()] += 1
    return {a: Parity(c[LEGACY], c[ACTIVITY], c["both"]) for a, c in counts.items()}


def migrate_start(args: argparse.Namespace) -> str:
    """Subscribe the accounts on the X Activity API too (dm.received, dm.sent), the Account Activity API still on."""
    return "\n".join(subscribe_account(args, account) for account in _accounts(args)) + (
        "\nBoth APIs now deliver each DM; it is answered once. Watch `x-dm-channel migrate status`."
    )


def migrate_status(args: argparse.Namespace) -> str:
    """Per account, the DMs of the last --parity-hours seen on the Account Activity API only, the X Activity API only, both."""
    hours = args.parity_hours
    lines = [f"account      Account Activity only  X Activity API only  both   (last {hours:g} hours)"]
    for account, parity in parities(args, _accounts(args), hours).items():
        verdict = "ready: x-dm-channel migrate finish" if parity.ready else "not yet"
        lines.append(f"{account:<12} {parity.legacy_only:<22} {parity.activity_only:<20} {parity.both:<6} {verdict}")
    return "\n".join(lines)


def _legacy_api(args: argparse.Namespace) -> argparse.Namespace:
    """The Account Activity API the stack used: v1.1 with its environment label (--env, or the stack's), else v2."""
    label = args.env or stack_parameter(args.stack, "XEnvLabel", "")
    return argparse.Namespace(**{**vars(args), "api": "v1.1" if label else "v2", "env": label})


def migrate_finish(args: argparse.Namespace) -> str:
    """Remove the accounts' Account Activity subscriptions once both APIs delivered the same DMs (or --force)."""
    accounts = _accounts(args)
    if not args.force:
        for account, parity in parities(args, accounts, args.parity_hours).items():
            if not parity.ready:
                raise CommandError(
                    f"the account {account} is not ready: in the last {args.parity_hours:g} hours "
                    f"{parity.legacy_only} DMs came only by the Account Activity API, {parity.activity_only} only "
                    f"by the X Activity API, {parity.both} by both (see `migrate status`; --force to finish anyway)"
                )
    new = activity_api(args)
    missing = subscription_gaps(new, our_webhook(new, webhook_url(args)).id, accounts)
    if missing:  # even with --force: without them, no DM would reach the channel any more
        raise CommandError(f"{missing[0]}: run `x-dm-channel migrate start` first")
    legacy = _legacy_api(args)
    calls = activity(legacy)
    webhook_id = "" if legacy.api == "v1.1" else our_webhook(calls, webhook_url(args)).id
    done = []
    for account in accounts:
        activity(legacy, account_credentials(args, account)).unsubscribe(webhook_id)
        done.append(f"The account {account} is off the Account Activity API (its X Activity API subscriptions stay).")
    if legacy.api == "v1.1":
        still = [a for a in _migrating(args) if a not in accounts and _still_on_v1_1(args, legacy, a, done)]
        if not still:
            ours = our_webhook(calls, webhook_url(args))
            calls.delete(ours.id)
            done.append(f"No account uses the Account Activity webhook {ours.id} any more: deleted.")
    return "\n".join(done)


def _still_on_v1_1(args: argparse.Namespace, legacy: argparse.Namespace, account: str, said: list[str]) -> bool:
    """Whether another account is still subscribed on v1.1, which tells each account of itself only (asked, so, yes)."""
    try:
        return bool(activity(legacy, account_credentials(args, account)).subscriptions())
    except (XApiError, CommandError) as error:
        said.append(f"The account {account} could not be asked of its Account Activity subscription ({error}):")
        said.append("  the webhook stays; finish that account to remove it.")
        return True
