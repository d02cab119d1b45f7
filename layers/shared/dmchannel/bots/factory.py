"""Chooses the bot back end from the configuration (BOT_KIND); each kind imports only what it needs."""

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from dmchannel.bots.base import Bot, BotKind
from dmchannel.responder.settings import ResponderSettings

if TYPE_CHECKING:
    from botocore.config import Config


def build_bot(
    settings: ResponderSettings,
    bot_token: Callable[[], str | None],
    spend_tokens: Callable[[int], None] | None = None,
) -> Bot:
    """The configured bot: the built-in FAQ bot, an HTTP bot (Rasa REST protocol), Amazon Lex V2 or Bedrock.

    spend_tokens: told each Bedrock answer's tokens (input and output), for the daily token budget.
    """
    if settings.bot_kind is BotKind.HTTP:
        from dmchannel.bots.http import HttpBot  # noqa: PLC0415

        return HttpBot(settings.bot_url, bot_token, settings.bot_timeout)
    if settings.bot_kind is BotKind.LEX:
        import boto3  # noqa: PLC0415

        from dmchannel.bots.lex import LexBot  # noqa: PLC0415

        client = boto3.client("lexv2-runtime", config=_one_try(settings))
        return LexBot(client, settings.lex_bot_id, settings.lex_bot_alias_id, settings.lex_locale_id)
    if settings.bot_kind is BotKind.BEDROCK:
        return _bedrock_bot(settings, spend_tokens)
    from dmchannel.bots.faq import load_faq_bot  # noqa: PLC0415

    faq = load_faq_bot(settings.faq_path)
    return replace(faq, greeting=settings.greeting) if settings.greeting else faq


def _one_try(settings: ResponderSettings) -> "Config":
    """One try within the bot's timeout: the queue retries, not boto3 (whose default waits 60 s, 3 times)."""
    from botocore.config import Config  # noqa: PLC0415

    return Config(
        connect_timeout=min(3.0, settings.bot_timeout),
        read_timeout=settings.bot_timeout,
        retries={"mode": "standard", "total_max_attempts": 1},
    )


def _bedrock_bot(settings: ResponderSettings, spend_tokens: Callable[[int], None] | None) -> Bot:
    import boto3  # noqa: PLC0415

    from dmchannel.bots.bedrock import BedrockBot, Usage  # noqa: PLC0415
    from dmchannel.observability import Metric, count  # noqa: PLC0415

    def counted(usage: Usage) -> None:
        count(Metric.BEDROCK_INPUT_TOKENS, usage.input_tokens)
        count(Metric.BEDROCK_OUTPUT_TOKENS, usage.output_tokens)
        if usage.guardrail_intervened:
            count(Metric.GUARDRAIL_INTERVENTIONS)
        if spend_tokens:
            spend_tokens(usage.input_tokens + usage.output_tokens)

    guardrail = settings.bedrock_guardrail_id, settings.bedrock_guardrail_version
    return BedrockBot(
        boto3.client("bedrock-runtime", config=_one_try(settings)),
        settings.bedrock_model_id,
        settings.assistant_prompt_path.read_text(encoding="utf-8"),
        settings.bedrock_max_tokens,
        settings.bedrock_temperature,
        guardrail if all(guardrail) else None,
        counted,
    )
