"""Webhook guard Lambda (scheduled): X still holds the webhook as valid, else a CRC re-validates it."""

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from dmchannel.credentials import load_credentials
from dmchannel.webhook_guard import WebhookStatus, check_webhook
from dmchannel.x_account_activity import AccountActivity, XCallError
from dmchannel.x_api import DEFAULT_BASE_URL

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Check the webhook; the WebhookHealthy metric (1 or 0) drives the alarm."""
    url = os.environ["WEBHOOK_URL"]
    try:
        activity = AccountActivity(
            load_credentials(os.environ["SECRET_ID"]),
            api=os.environ.get("X_WEBHOOK_API", "v1.1"),
            env_label=os.environ.get("X_ENV_LABEL", ""),
            base_url=os.environ.get("X_API_BASE_URL") or DEFAULT_BASE_URL,
        )
        status = check_webhook(activity, url)
    except (XCallError, ValueError) as error:
        status = WebhookStatus(False, f"the check could not run: {error}")
    metrics.add_metric(name="WebhookHealthy", unit=MetricUnit.Count, value=1 if status.healthy else 0)
    if status.healthy:
        logger.info("Webhook healthy", extra={"detail": status.detail})
    else:
        logger.error("Webhook unhealthy", extra={"detail": status.detail, "url": url})
    return {"healthy": status.healthy, "detail": status.detail}
