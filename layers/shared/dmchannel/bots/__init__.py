"""Bot back ends: a conversation turn in, a list of replies out.

``base`` holds the protocol (Turn, Reply, Button, BotError, Bot) that the
responder and every bot share, and ``BotKind``; ``factory`` builds the one
BOT_KIND names: ``faq`` (the built-in FAQ bot from a YAML file), ``http`` (any
bot speaking the Rasa REST protocol), ``lex`` (Amazon Lex V2) or ``bedrock``
(the AI assistant on Bedrock's Converse API).
"""
