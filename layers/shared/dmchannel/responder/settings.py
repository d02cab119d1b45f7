"""The responder function's configuration, read and checked like every function's (see dmchannel.settings)."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dmchannel.bots.base import BotKind
from dmchannel.settings import ENVIRONMENT, X_APIS, Environment, SettingsError
from dmchannel.x import limits
from dmchannel.x.endpoints import DEFAULT_BASE_URL


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
    reserved_for_opt_outs: int = 10  # of the daily DMs, kept for STOP confirmations and handover notices
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
    bot_kind: BotKind = BotKind.FAQ
    bot_url: str = ""
    bot_timeout: float = 10.0
    bot_attempts: int = 3
    bot_apology: str = "Sorry, I can't answer right now. Please try again in a little while."
    lex_bot_id: str = ""
    lex_bot_alias_id: str = ""
    lex_locale_id: str = "en_US"
    bedrock_model_id: str = "amazon.nova-lite-v1:0"
    assistant_prompt_path: Path = Path("assistant.md")
    bedrock_max_tokens: int = 800
    bedrock_temperature: float = 0.3
    bedrock_guardrail_id: str = ""
    bedrock_guardrail_version: str = ""
    memory_turns: int = 10  # exchanges the assistant remembers of a conversation (0: none)
    memory_minutes: int = 60  # minutes a conversation is remembered after its last exchange
    daily_token_budget: int = 1_000_000  # the assistant's tokens per account and UTC day (0: no budget)
    start_over_keywords: frozenset[str] = frozenset({"start over", "restart"})
    start_over_reply: str = "Let's start over. What can I do for you?"
    human_keywords: frozenset[str] = frozenset({"human", "agent"})
    human_handover_text: str = "I've asked a person from our team to take over. They will answer you here."
    human_takeover_minutes: int = 60  # how long the bot stays quiet once a person has a conversation
    daily_x_spend_limit_usd: float = 0.0  # the account's X bill over 24 hours at which answers stop (0: no limit)
    credits_probe_minutes: int = 15  # once X's credits are spent: how often one DM is let through to try again
    handover_topic_arn: str = ""  # an SNS topic told of each handover (optional)
    x_dm_api: str = "v1.1"
    x_read_timeout: float = 10.0  # seconds to wait for X's answer to a send

    @classmethod
    def from_env(
        cls, base_dir: Path, values: Mapping[str, str] = ENVIRONMENT, overrides: Mapping[str, str] | None = None
    ) -> "ResponderSettings":
        """Read and check the environment (and an account's own settings over it).

        A relative FAQ_PATH is relative to base_dir (the function's folder).
        """
        env, defaults = Environment({**values, **(overrides or {})}), cls(table_name="", queue_url="", secret_id="")
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
            reserved_for_opt_outs=env.integer("RESERVED_FOR_OPT_OUTS", defaults.reserved_for_opt_outs, 0),
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
            bot_kind=BotKind(env.choice("BOT_KIND", tuple(BotKind), defaults.bot_kind)),
            bot_url=env.text("BOT_URL", defaults.bot_url),
            bot_timeout=env.number("BOT_TIMEOUT", defaults.bot_timeout, 0.1),
            bot_attempts=env.integer("BOT_ATTEMPTS", defaults.bot_attempts, 1),
            bot_apology=env.text("BOT_APOLOGY", defaults.bot_apology),
            lex_bot_id=env.text("LEX_BOT_ID", defaults.lex_bot_id),
            lex_bot_alias_id=env.text("LEX_BOT_ALIAS_ID", defaults.lex_bot_alias_id),
            lex_locale_id=env.text("LEX_LOCALE_ID", defaults.lex_locale_id),
            bedrock_model_id=env.text("BEDROCK_MODEL_ID", defaults.bedrock_model_id),
            assistant_prompt_path=base_dir / env.text("ASSISTANT_PROMPT_PATH", str(defaults.assistant_prompt_path)),
            bedrock_max_tokens=env.integer("BEDROCK_MAX_TOKENS", defaults.bedrock_max_tokens, 1, 10_000),
            bedrock_temperature=env.number("BEDROCK_TEMPERATURE", defaults.bedrock_temperature, 0, 1),
            bedrock_guardrail_id=env.text("BEDROCK_GUARDRAIL_ID", ""),
            bedrock_guardrail_version=env.text("BEDROCK_GUARDRAIL_VERSION", ""),
            memory_turns=env.integer("MEMORY_TURNS", defaults.memory_turns, 0, 50),
            memory_minutes=env.integer("MEMORY_MINUTES", defaults.memory_minutes, 1, 10_080),
            daily_token_budget=env.integer("DAILY_TOKEN_BUDGET", defaults.daily_token_budget, 0, 10_000_000_000),
            start_over_keywords=env.keywords("START_OVER_KEYWORDS", defaults.start_over_keywords),
            start_over_reply=env.text("START_OVER_REPLY", defaults.start_over_reply),
            human_keywords=env.keywords("HUMAN_KEYWORDS", defaults.human_keywords),
            human_handover_text=env.text("HUMAN_HANDOVER_TEXT", defaults.human_handover_text),
            human_takeover_minutes=env.integer("HUMAN_TAKEOVER_MINUTES", defaults.human_takeover_minutes, 1, 10_080),
            daily_x_spend_limit_usd=env.number("DAILY_X_SPEND_LIMIT_USD", defaults.daily_x_spend_limit_usd, 0),
            credits_probe_minutes=env.integer("CREDITS_PROBE_MINUTES", defaults.credits_probe_minutes, 3, 720),
            handover_topic_arn=env.text("HANDOVER_TOPIC_ARN", ""),
            x_dm_api=env.choice("X_DM_API", X_APIS, defaults.x_dm_api),
            x_read_timeout=env.number("X_READ_TIMEOUT", defaults.x_read_timeout, 0.5, 30),
        )
        if settings.bot_kind is BotKind.HTTP and not settings.bot_url:
            raise SettingsError("BOT_KIND=http needs BOT_URL (the bot's URL)")
        if settings.bot_kind is BotKind.LEX and not (settings.lex_bot_id and settings.lex_bot_alias_id):
            raise SettingsError("BOT_KIND=lex needs LEX_BOT_ID and LEX_BOT_ALIAS_ID")
        if bool(settings.bedrock_guardrail_id) != bool(settings.bedrock_guardrail_version):
            raise SettingsError("BEDROCK_GUARDRAIL_ID and BEDROCK_GUARDRAIL_VERSION go together")
        return settings
