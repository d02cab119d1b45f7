"""Webhook guard Lambda (scheduled): the webhook still valid at X (else a CRC), and the accounts' subscriptions on it."""

from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from dmchannel.accounts import account_secrets
from dmchannel.credentials import CredentialsError, load_credentials
from dmchannel.observability import Metric, count, logger, metrics
from dmchannel.scheduled_settings import WebhookCheckSettings
from dmchannel.x.account_activity import AccountActivity
from dmchannel.x.errors import XApiError
from dmchannel.x.webhook_check import WebhookStatus, check_webhook, subscription_gaps

settings = WebhookCheckSettings.from_env()
secrets = boto3.client("secretsmanager")


def _account_ids(primary: str) -> list[str]:
    """The accounts served: the primary and one per secret under the prefix (their names only are read)."""
    prefix = settings.accounts_secret_prefix
    _, *own = account_secrets(secrets, settings.secret_id, prefix)
    return list(dict.fromkeys([primary, *(name.removeprefix(prefix) for name in own)]))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Check the webhook (WebhookHealthy, 1 or 0) and, on the X Activity API, the subscriptions (SubscriptionsMissing)."""
    gaps: list[str] = []
    try:
        credentials = load_credentials(settings.secret_id)
        activity = AccountActivity(
            credentials, api=settings.x_webhook_api, env_label=settings.x_env_label, base_url=settings.x_api_base_url
        )
        status = check_webhook(activity, settings.webhook_url)
        if status.webhook and settings.x_webhook_api == "v2":
            gaps = subscription_gaps(activity, status.webhook.id, _account_ids(credentials.bot_user_id))
    except (XApiError, CredentialsError, ValueError) as error:
        status = WebhookStatus(False, f"the check could not run: {error}")
    count(Metric.WEBHOOK_HEALTHY, 1 if status.healthy else 0)
    count(Metric.SUBSCRIPTIONS_MISSING, len(gaps))
    if status.healthy:
        logger.info("Webhook healthy", detail=status.detail)
    else:
        logger.error("Webhook unhealthy", detail=status.detail, url=settings.webhook_url)
    for gap in gaps:
        logger.error("Subscription missing or elsewhere", detail=gap)
    return {"healthy": status.healthy, "detail": status.detail, "subscription_gaps": gaps}
