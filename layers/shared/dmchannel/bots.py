"""Chooses the bot back end from the configuration (BOT_KIND)."""

from collections.abc import Callable

from dmchannel.bot import Bot
from dmchannel.settings import ResponderSettings

BOT_KINDS = ("faq", "http", "lex")


def build_bot(settings: ResponderSettings, bot_token: Callable[[], str | None]) -> Bot:
    """The configured bot: the built-in FAQ bot, an HTTP bot (Rasa REST protocol) or Amazon Lex V2."""
    if settings.bot_kind == "faq":
        from dmchannel.faq_bot import load_faq_bot  # noqa: PLC0415 - each kind imports only what it needs

        return load_faq_bot(settings.faq_path)
    if settings.bot_kind == "http":
        from dmchannel.http_bot import HttpBot  # noqa: PLC0415

        if not settings.bot_url:
            raise ValueError("BOT_KIND=http needs BOT_URL")
        return HttpBot(settings.bot_url, bot_token, settings.bot_timeout)
    if settings.bot_kind == "lex":
        import boto3  # noqa: PLC0415

        from dmchannel.lex_bot import LexBot  # noqa: PLC0415

        if not (settings.lex_bot_id and settings.lex_bot_alias_id):
            raise ValueError("BOT_KIND=lex needs LEX_BOT_ID and LEX_BOT_ALIAS_ID")
        client = boto3.client("lexv2-runtime")
        return LexBot(client, settings.lex_bot_id, settings.lex_bot_alias_id, settings.lex_locale_id)
    raise ValueError(f"BOT_KIND must be one of {', '.join(BOT_KINDS)}, not {settings.bot_kind!r}")
