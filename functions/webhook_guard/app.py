"""Webhook guard Lambda (scheduled): X still holds the webhook as valid, else a CRC re-validates it."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from dmchannel.credentials import CredentialsError, load_credentials
from dmchannel.observability import Metric, count, logger, metrics
from dmchannel.settings import WebhookCheckSettings
from dmchannel.x.account_activity import AccountActivity
from dmchannel.x.errors import XApiError
from dmchannel.x.webhook_check import WebhookStatus, check_webhook

settings = WebhookCheckSettings.from_env()


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Check the webhook; the WebhookHealthy metric (1 or 0) drives the alarm."""
    try:
        activity = AccountActivity(
            load_credentials(settings.secret_id),
            api=settings.x_webhook_api,
            env_label=settings.x_env_label,
            base_url=settings.x_api_base_url,
        )
        status = check_webhook(activity, settings.webhook_url)
    except (XApiError, CredentialsError, ValueError) as error:
        status = WebhookStatus(False, f"the check could not run: {error}")
    count(Metric.WEBHOOK_HEALTHY, 1 if status.healthy else 0)
    if status.healthy:
        logger.info("Webhook healthy", detail=status.detail)
    else:
        logger.error("Webhook unhealthy", detail=status.detail, url=settings.webhook_url)
    return {"healthy": status.healthy, "detail": status.detail}
