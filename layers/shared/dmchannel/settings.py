"""Each function's configuration, read once from its environment at cold start (template Parameters set it).

A wrong value fails the cold start with one line that names the variable, the value
and what it may be. This module reads the environment (ENVIRONMENT) and checks every value
(Environment); the responder's many settings live beside it (responder.settings), off the
webhook's cold start.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from dmchannel.x.endpoints import DEFAULT_BASE_URL

ENVIRONMENT: Mapping[str, str] = os.environ
X_APIS = ("v1.1", "v2")
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


class SettingsError(ValueError):
    """A variable of the function's environment is missing or has a value it cannot take."""


@dataclass(frozen=True)
class Environment:
    """Typed, checked reads of environment variables; an empty value counts as unset."""

    values: Mapping[str, str]

    def required(self, name: str) -> str:
        """The variable's value; SettingsError when it is not set."""
        value = self.values.get(name, "").strip()
        if not value:
            raise SettingsError(f"{name} is not set")
        return value

    def text(self, name: str, default: str) -> str:
        """The value, or the default."""
        return self.values.get(name, "").strip() or default

    def choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        """One of the allowed values (any case), or the default."""
        value = self.text(name, default).lower()
        if value not in allowed:
            raise SettingsError(f"{name}={self.values[name]!r} is not valid: expected one of {', '.join(allowed)}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        """true/false (also 1/0, yes/no, on/off), or the default."""
        value = self.text(name, "").lower()
        if not value:
            return default
        if value not in _TRUE + _FALSE:
            raise SettingsError(f"{name}={self.values[name]!r} is not valid: expected true or false")
        return value in _TRUE

    def number(self, name: str, default: float, minimum: float, maximum: float | None = None) -> float:
        """A number within its bounds, or the default."""
        raw = self.text(name, "")
        try:
            value = float(raw) if raw else float(default)
        except ValueError:
            value = float("nan")
        if not (minimum <= value and (maximum is None or value <= maximum)):
            bounds = f"from {minimum:g} to {maximum:g}" if maximum is not None else f"{minimum:g} or more"
            raise SettingsError(f"{name}={raw!r} is not valid: expected a number {bounds}")
        return value

    def integer(self, name: str, default: int, minimum: int, maximum: int | None = None) -> int:
        """A whole number within its bounds, or the default."""
        value = self.number(name, default, minimum, maximum)
        if not value.is_integer():
            raise SettingsError(f"{name}={self.values[name]!r} is not valid: expected a whole number")
        return int(value)

    def keywords(self, name: str, default: frozenset[str]) -> frozenset[str]:
        """Comma-separated words (any case), or the default."""
        words = frozenset(word.strip().casefold() for word in self.text(name, "").split(",") if word.strip())
        return words or default


@dataclass(frozen=True)
class WebhookSettings:
    """The webhook function's configuration."""

    queue_url: str
    secret_id: str
    accounts_secret_prefix: str = ""  # the secrets of the accounts besides the primary one

    @classmethod
    def from_env(cls, values: Mapping[str, str] = ENVIRONMENT) -> "WebhookSettings":
        """Read and check the environment."""
        env = Environment(values)
        return cls(
            queue_url=env.required("QUEUE_URL"),
            secret_id=env.required("SECRET_ID"),
            accounts_secret_prefix=env.text("ACCOUNTS_SECRET_PREFIX", ""),
        )


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
