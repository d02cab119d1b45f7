"""The scheduled functions' configuration (token keeper, message-request pick-up, webhook check), read like the others.

They live apart from dmchannel.settings so that the webhook's cold start makes none of their classes.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from dmchannel.settings import ENVIRONMENT, X_APIS, Environment
from dmchannel.x.endpoints import DEFAULT_BASE_URL


@dataclass(frozen=True)
class TokenKeeperSettings:
    """The XChat token keeper's configuration."""

    secret_id: str
    table_name: str
    accounts_secret_prefix: str = ""
    x_api_base_url: str = DEFAULT_BASE_URL

    @classmethod
    def from_env(cls, values: Mapping[str, str] = ENVIRONMENT) -> "TokenKeeperSettings":
        """Read and check the environment."""
        env = Environment(values)
        return cls(
            secret_id=env.required("SECRET_ID"),
            table_name=env.required("TABLE_NAME"),
            accounts_secret_prefix=env.text("ACCOUNTS_SECRET_PREFIX", ""),
            x_api_base_url=env.text("X_API_BASE_URL", DEFAULT_BASE_URL),
        )


@dataclass(frozen=True)
class MessageRequestSettings(TokenKeeperSettings):
    """The XChat message-request pick-up's configuration: the keeper's, and the queue and policy."""

    queue_url: str = field(default="", kw_only=True)
    accept_requests: str = field(default="everyone", kw_only=True)  # XChatAcceptRequests: everyone or none

    @classmethod
    def from_env(cls, values: Mapping[str, str] = ENVIRONMENT) -> "MessageRequestSettings":
        """Read and check the environment."""
        env = Environment(values)
        return cls(
            **vars(TokenKeeperSettings.from_env(values)),
            queue_url=env.required("QUEUE_URL"),
            accept_requests=env.choice("XCHAT_ACCEPT_REQUESTS", ("everyone", "none"), "everyone"),
        )


@dataclass(frozen=True)
class WebhookCheckSettings:
    """The scheduled webhook check's configuration."""

    secret_id: str
    webhook_url: str
    x_webhook_api: str = "v2"
    x_env_label: str = ""
    x_api_base_url: str = DEFAULT_BASE_URL
    accounts_secret_prefix: str = ""  # every account's secret is named this and its id (only the names are read)

    @classmethod
    def from_env(cls, values: Mapping[str, str] = ENVIRONMENT) -> "WebhookCheckSettings":
        """Read and check the environment."""
        env = Environment(values)
        return cls(
            secret_id=env.required("SECRET_ID"),
            webhook_url=env.required("WEBHOOK_URL"),
            x_webhook_api=env.choice("X_WEBHOOK_API", X_APIS, "v2"),
            x_env_label=env.text("X_ENV_LABEL", ""),
            x_api_base_url=env.text("X_API_BASE_URL", DEFAULT_BASE_URL),
            accounts_secret_prefix=env.text("ACCOUNTS_SECRET_PREFIX", ""),
        )
