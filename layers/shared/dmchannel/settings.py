"""The responder's configuration, from its environment (template Parameters set it)."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dmchannel.x_api import DEFAULT_BASE_URL


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def _keywords(value: str) -> frozenset[str]:
    return frozenset(word.strip().casefold() for word in value.split(",") if word.strip())


@dataclass(frozen=True)
class ResponderSettings:
    """Everything the responder reads from its environment."""

    table_name: str
    queue_url: str
    secret_id: str
    x_api_base_url: str = DEFAULT_BASE_URL
    daily_limit: int = 1000
    replies_per_message: int = 5
    faq_path: Path = Path("faq.yaml")
    mark_read: bool = True
    typing_indicator: bool = True
    stop_keywords: frozenset[str] = frozenset({"stop", "unsubscribe"})
    start_keywords: frozenset[str] = frozenset({"start"})
    stop_reply: str = "You will not get any more messages from this bot. Send START to talk to it again."
    start_reply: str = "Welcome back! Send STOP at any time to stop messages."
    more_options_text: str = "More options:"
    loop_max_per_minute: int = 10
    loop_quiet_seconds: int = 300
    bot_kind: str = "faq"
    bot_url: str = ""
    bot_timeout: float = 10.0
    bot_attempts: int = 3
    bot_apology: str = "Sorry, I can't answer right now. Please try again in a little while."
    lex_bot_id: str = ""
    lex_bot_alias_id: str = ""
    lex_locale_id: str = "en_US"
    x_dm_api: str = "v1.1"

    @classmethod
    def from_env(cls, env: Mapping[str, str], base_dir: Path) -> "ResponderSettings":
        """Read the settings; a relative FAQ_PATH is relative to base_dir (the function's folder)."""
        defaults = cls(table_name="", queue_url="", secret_id="")
        return cls(
            table_name=env["TABLE_NAME"],
            queue_url=env["QUEUE_URL"],
            secret_id=env["SECRET_ID"],
            x_api_base_url=env.get("X_API_BASE_URL") or defaults.x_api_base_url,
            daily_limit=int(env.get("DAILY_MESSAGE_LIMIT") or defaults.daily_limit),
            replies_per_message=int(env.get("REPLIES_PER_MESSAGE") or defaults.replies_per_message),
            faq_path=base_dir / (env.get("FAQ_PATH") or defaults.faq_path),
            mark_read=_flag(env.get("MARK_READ", "true")),
            typing_indicator=_flag(env.get("TYPING_INDICATOR", "true")),
            stop_keywords=_keywords(env.get("STOP_KEYWORDS", "")) or defaults.stop_keywords,
            start_keywords=_keywords(env.get("START_KEYWORDS", "")) or defaults.start_keywords,
            stop_reply=env.get("STOP_REPLY") or defaults.stop_reply,
            start_reply=env.get("START_REPLY") or defaults.start_reply,
            loop_max_per_minute=int(env.get("LOOP_MAX_PER_MINUTE") or defaults.loop_max_per_minute),
            loop_quiet_seconds=int(env.get("LOOP_QUIET_SECONDS") or defaults.loop_quiet_seconds),
            bot_kind=(env.get("BOT_KIND") or defaults.bot_kind).lower(),
            bot_url=env.get("BOT_URL") or defaults.bot_url,
            bot_timeout=float(env.get("BOT_TIMEOUT") or defaults.bot_timeout),
            bot_attempts=int(env.get("BOT_ATTEMPTS") or defaults.bot_attempts),
            bot_apology=env.get("BOT_APOLOGY") or defaults.bot_apology,
            lex_bot_id=env.get("LEX_BOT_ID") or defaults.lex_bot_id,
            lex_bot_alias_id=env.get("LEX_BOT_ALIAS_ID") or defaults.lex_bot_alias_id,
            lex_locale_id=env.get("LEX_LOCALE_ID") or defaults.lex_locale_id,
            x_dm_api=(env.get("X_DM_API") or defaults.x_dm_api).lower(),
        )
