"""Checks that X still holds the channel's webhook as valid, and asks X to re-validate it when not."""

from dataclasses import dataclass

from dmchannel.x.account_activity import AccountActivity, Webhook
from dmchannel.x.errors import XApiError


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
