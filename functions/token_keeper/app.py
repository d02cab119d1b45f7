"""Token keeper Lambda (scheduled, reserved concurrency 1): the one writer of each account's XChat OAuth 2.0 token."""

from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from dmchannel.accounts import account_secrets
from dmchannel.observability import logger, metrics
from dmchannel.scheduled_settings import TokenKeeperSettings
from dmchannel.xchat.token_keeper import TokenKeeper

settings = TokenKeeperSettings.from_env()
secrets = boto3.client("secretsmanager")
keeper = TokenKeeper(secrets, boto3.client("dynamodb"), settings.table_name, settings.x_api_base_url)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    """Refresh every account's XChat token that expires within the half hour; say what became of each."""
    secret_ids = account_secrets(secrets, settings.secret_id, settings.accounts_secret_prefix)
    return keeper.keep(secret_ids, lambda: context.get_remaining_time_in_millis() / 1000)
