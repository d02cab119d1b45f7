"""Checks that X still holds the channel's webhook as valid (a CRC re-validates it when not), and each account's subscriptions."""

from collections.abc import Iterable
from dataclasses import dataclass

from dmchannel.x.account_activity import AccountActivity, Webhook
from dmchannel.x.errors import XApiError

# The X Activity API's event families the channel takes: each account needs the whole of those it uses.
FAMILIES = (("dm.received", "dm.sent"), ("chat.received", "chat.sent"))


@dataclass(frozen=True)
class WebhookStatus:
    """The outcome of a check."""

    healthy: bool
    detail: str
    webhook: Webhook | None = None


def check_webhook(activity: AccountActivity, url: str) -> WebhookStatus:
    """Find the webhook registered for url; if X marks it invalid, trigger a CRC and look again."""
    ours = next((hook for hook in activity.webhooks() if hook.url == url), None)
    if ours is None:
        return WebhookStatus(False, f"no webhook is registered for {url}")
    if ours.valid:
        return WebhookStatus(True, f"webhook {ours.id} is valid", ours)
    try:
        activity.trigger_crc(ours.id)
    except XApiError as error:
        return WebhookStatus(False, f"webhook {ours.id} is invalid and its CRC failed: {error}", ours)
    again = next((hook for hook in activity.webhooks() if hook.id == ours.id), ours)
    if again.valid:
        return WebhookStatus(True, f"webhook {ours.id} was invalid; X re-validated it", again)
    return WebhookStatus(False, f"webhook {ours.id} is still invalid after a CRC", again)


def subscription_gaps(activity: AccountActivity, webhook_id: str, account_ids: Iterable[str]) -> list[str]:
    """What is wrong with the accounts' X Activity API subscriptions at X: missing ones, and theirs on another webhook.

    An account needs both subscriptions of each family it uses on the stack's webhook (DMs: received
    and sent; XChat: likewise); one with neither needs the DM family.
    """
    held = activity.activity_subscriptions()
    gaps = []
    for account_id in account_ids:
        own = [s for s in held if s.user_id == account_id]
        ours = {s.event_type for s in own if s.webhook_id == webhook_id}
        families = [family for family in FAMILIES if ours & set(family)] or [FAMILIES[0]]
        gaps += [
            f"account {account_id}: no {event} subscription on webhook {webhook_id}"
            for family in families
            for event in family
            if event not in ours
        ]
        gaps += [
            f"account {account_id}: its {s.event_type} subscription {s.id} goes to webhook {s.webhook_id}, not {webhook_id}"
            for s in own
            if s.webhook_id != webhook_id
        ]
    return gaps
