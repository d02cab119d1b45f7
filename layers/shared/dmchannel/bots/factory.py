"""Chooses the bot back end from the configuration (BOT_KIND); each kind imports only what it needs."""

from collections.abc import Callable
from dataclasses import replace

from dmchannel.bots.base import Bot
from dmchannel.responder.settings import ResponderSettings


def build_bot(settings: ResponderSettings, bot_token: Callable[[], str | None]) -> Bot:
    """The configured bot: the built-in FAQ bot, an HTTP bot (Rasa REST protocol) or Amazon Lex V2."""
    if settings.bot_kind == "http":
        from dmchannel.bots.http import HttpBot  # noqa: PLC0415

        return HttpBot(settings.bot_url, bot_token, settings.bot_timeout)
    if settings.bot_kind == "lex":
        import boto3  # noqa: PLC0415
        from botocore.config import Config  # noqa: PLC0415

        from dmchannel.bots.lex import LexBot  # noqa: PLC0415

        # One try within the bot's timeout: the queue retries, not boto3 (whose default waits 60 s, 3 times).
        config = Config(
            connect_timeout=min(3.0, settings.bot_timeout),
            read_timeout=settings.bot_timeout,
            retries={"mode": "standard", "total_max_attempts": 1},
        )
        client = boto3.client("lexv2-runtime", config=config)
        return LexBot(client, settings.lex_bot_id, settings.lex_bot_alias_id, settings.lex_locale_id)
    from dmchannel.bots.faq import load_faq_bot  # noqa: PLC0415

    faq = load_faq_bot(settings.faq_path)
    return replace(faq, greeting=settings.greeting) if settings.greeting else faq
