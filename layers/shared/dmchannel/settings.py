"""Each function's configuration, read once from its environment at cold start (template Parameters set it).

A wrong value fails the cold start with one line that names the variable, the value
and what it may be. This module reads the environment (ENVIRONMENT), checks every value
(Environment) and holds the webhook's settings; the responder's many settings (responder.settings)
and the scheduled functions' (scheduled_settings) live beside it, off the webhook's cold start.
"""

import os
from collections.abc import Mapping
from typing import NamedTuple

ENVIRONMENT: Mapping[str, str] = os.environ
X_APIS = ("v1.1", "v2")
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


class SettingsError(ValueError):
    """A variable of the function's environment is missing or has a value it cannot take."""


class Environment:
    """Typed, checked reads of environment variables; an empty value counts as unset."""

    __slots__ = ("values",)  # a plain class: a dataclass costs the webhook's cold start a millisecond

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values

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


class WebhookSettings(NamedTuple):
    """The webhook function's configuration (a NamedTuple: cheap to make at the webhook's cold start)."""

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
