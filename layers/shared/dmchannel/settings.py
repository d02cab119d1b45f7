"""Each function's configuration, read once from its environment at cold start (template Parameters set it).

A wrong value fails the cold start with one line that names the variable, the value
and what it may be. This is the only module that reads the environment.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dmchannel.x import limits
from dmchannel.x.endpoints import DEFAULT_BASE_URL

BOT_KINDS = ("faq", "http", "lex")
X_APIS = ("v1.1", "v2")
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


class SettingsError(ValueError):
    """A variable of the function's environment is missing or has a value it cannot take."""


@dataclass(frozen=True)
class _Environment:
    """Typed, checked reads of environment variables; an empty value counts as unset."""

    values: Mapping[str, str]

    def required(self, name: str) -> str:
        value = self.values.get(name, "").strip()
        if not value:
            raise SettingsError(f"{name} is not set")
        return value

    def text(self, name: str, default: str) -> str:
        return self.values.get(name, "").strip() or default

    def choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.text(name, default).lower()
        if value not in allowed:
            raise SettingsError(f"{name}={self.values[name]!r} is not valid: expected one of {', '.join(allowed)}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.text(name, "").lower()
        if not value:
            return default
        if value not in _TRUE + _FALSE:
            raise SettingsError(f"{name}={self.values[name]!r} is not valid: expected true or false")
        return value in _TRUE

    def number(self, name: str, default: float, minimum: float, maximum: float | None = None) -> float:
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
        value = self.number(name, default, minimum, maximum)
        if not value.is_integer():
            raise SettingsError(f"{name}={self.values[name]!r} is not valid: expected a whole number")
        return int(value)

    def keywords(self, name: str, default: frozenset[str]) -> frozenset[str]:
        words = frozenset(word.strip().casefold() for word in self.text(name, "").split(",") if word.strip())
        return words or default


@dataclass(frozen=True)
class WebhookSettings:
    """The webhook function's configuration."""

    queue_url: str
    secret_id: str
    accounts_secret_prefix: str = ""  # the secrets of the accounts besides the primary one

    @classmethod
    def from_env(cls, values: Mapping[str, str] = os.environ) -> "WebhookSettings":
        """Read and check the environment."""
        env = _Environment(values)
        return cls(
            queue_url=env.required("QUEUE_URL"),
            secret_id=env.required("SECRET_ID"),
            accounts_secret_prefix=env.text("ACCOUNTS_SECRET_PREFIX", ""),
        )


@dataclass(frozen=True)
class ResponderSettings:
    """The responder function's configuration."""

    table_name: str
    queue_url: str
    secret_id: str
    dead_letter_queue_url: str = ""
    accounts_secret_prefix: str = ""
    x_api_base_url: str = DEFAULT_BASE_URL
    daily_limit: int = limits.DAILY_DMS
    replies_per_message: int = limits.REPLIES_PER_MESSAGE
    faq_path: Path = Path("faq.yaml")
    greeting: str = ""  # the FAQ bot's greeting instead of its file's
    mark_read: bool = True
    typing_indicator: bool = True
    stop_keywords: frozenset[str] = frozenset({"stop", "unsubscribe"})
    start_keywords: frozenset[str] = frozenset({"start"})
    stop_reply: str = "You will not get any more messages from this bot. Send START to talk to it again."
    start_reply: str = "Welcome back! Send STOP at any time to stop messages."
    more_options_text: str = "More options:"
    loop_max_per_minute: int = 10
    loop_quiet_seconds: int = 300
    loop_notice: str = (
        "You are writing faster than I can answer, so I will pause for a few minutes. Send STOP to stop messages."
    )
    bot_kind: str = "faq"
    bot_url: str = ""
    bot_timeout: float = 10.0
    bot_attempts: int = 3
    bot_apology: str = "Sorry, I can't answer right now. Please try again in a little while."
    lex_bot_id: str = ""
    lex_bot_alias_id: str = ""
    lex_locale_id: str = "en_US"
    x_dm_api: str = "v1.1"
    x_read_timeout: float = 10.0  # seconds to wait for X's answer to a send

    @classmethod
    def from_env(
        cls, base_dir: Path, values: Mapping[str, str] = os.environ, overrides: Mapping[str, str] | None = None
    ) -> "ResponderSettings":
        """Read and check the environment (and an account's own settings over it).

        A relative FAQ_PATH is relative to base_dir (the function's folder).
        """
        env, defaults = _Environment({**values, **(overrides or {})}), cls(table_name="", queue_url="", secret_id="")
        settings = cls(
            table_name=env.required("TABLE_NAME"),
            queue_url=env.required("QUEUE_URL"),
            secret_id=env.required("SECRET_ID"),
            dead_letter_queue_url=env.required("DEAD_LETTER_QUEUE_URL"),
            accounts_secret_prefix=env.text("ACCOUNTS_SECRET_PREFIX", ""),
            x_api_base_url=env.text("X_API_BASE_URL", defaults.x_api_base_url),
            daily_limit=env.integer("DAILY_MESSAGE_LIMIT", defaults.daily_limit, 0),
            replies_per_message=env.integer(
                "REPLIES_PER_MESSAGE", defaults.replies_per_message, 0, limits.REPLIES_PER_MESSAGE
            ),
            faq_path=base_dir / env.text("FAQ_PATH", str(defaults.faq_path)),
            greeting=env.text("GREETING", ""),
            mark_read=env.flag("MARK_READ", defaults.mark_read),
            typing_indicator=env.flag("TYPING_INDICATOR", defaults.typing_indicator),
            stop_keywords=env.keywords("STOP_KEYWORDS", defaults.stop_keywords),
            start_keywords=env.keywords("START_KEYWORDS", defaults.start_keywords),
            stop_reply=env.text("STOP_REPLY", defaults.stop_reply),
            start_reply=env.text("START_REPLY", defaults.start_reply),
            loop_max_per_minute=env.integer("LOOP_MAX_PER_MINUTE", defaults.loop_max_per_minute, 1),
            loop_quiet_seconds=env.integer("LOOP_QUIET_SECONDS", defaults.loop_quiet_seconds, 1),
            loop_notice=env.text("LOOP_NOTICE", defaults.loop_notice),
            bot_kind=env.choice("BOT_KIND", BOT_KINDS, defaults.bot_kind),
            bot_url=env.text("BOT_URL", defaults.bot_url),
            bot_timeout=env.number("BOT_TIMEOUT", defaults.bot_timeout, 0.1),
            bot_attempts=env.integer("BOT_ATTEMPTS", defaults.bot_attempts, 1),
            bot_apology=env.text("BOT_APOLOGY", defaults.bot_apology),
            lex_bot_id=env.text("LEX_BOT_ID", defaults.lex_bot_id),
            lex_bot_alias_id=env.text("LEX_BOT_ALIAS_ID", defaults.lex_bot_alias_id),
            lex_locale_id=env.text("LEX_LOCALE_ID", defaults.lex_locale_id),
            x_dm_api=env.choice("X_DM_API", X_APIS, defaults.x_dm_api),
            x_read_timeout=env.number("X_READ_TIMEOUT", defaults.x_read_timeout, 0.5, 30),
        )
        if settings.bot_kind == "http" and not settings.bot_url:
            raise SettingsError("BOT_KIND=http needs BOT_URL (the bot's URL)")
        if settings.bot_kind == "lex" and not (settings.lex_bot_id and settings.lex_bot_alias_id):
            raise SettingsError("BOT_KIND=lex needs LEX_BOT_ID and LEX_BOT_ALIAS_ID")
        return settings


@dataclass(frozen=True)
class WebhookCheckSettings:
    """The scheduled webhook check's configuration."""

    secret_id: str
    webhook_url: str
    x_webhook_api: str = "v1.1"
    x_env_label: str = ""
    x_api_base_url: str = DEFAULT_BASE_URL

    @classmethod
    def from_env(cls, values: Mapping[str, str] = os.environ) -> "WebhookCheckSettings":
        """Read and check the environment."""
        env = _Environment(values)
        return cls(
            secret_id=env.required("SECRET_ID"),
            webhook_url=env.required("WEBHOOK_URL"),
            x_webhook_api=env.choice("X_WEBHOOK_API", X_APIS, "v1.1"),
            x_env_label=env.text("X_ENV_LABEL", ""),
            x_api_base_url=env.text("X_API_BASE_URL", DEFAULT_BASE_URL),
        )
