"""The Lex V2 bot through botocore's Stubber, with RecognizeText's real response shapes."""

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from devstack.fake_lex import lex_answer
from dmchannel.bots.base import BotError, BotKind, Button, Reply, Turn
from dmchannel.bots.factory import build_bot
from dmchannel.bots.lex import LexBot
from dmchannel.responder.settings import ResponderSettings

PARAMS = {"botId": "BOT1234567", "botAliasId": "ALIAS12345", "localeId": "en_US", "sessionId": "3001969357"}
CARD_ANSWER = {
    "messages": [
        {"contentType": "PlainText", "content": "Welcome!"},
        {
            "contentType": "ImageResponseCard",
            "imageResponseCard": {
                "title": "Pick a size",
                "subtitle": "Coffee",
                "imageUrl": "https://example.com/cup.png",
                "buttons": [{"text": "Small", "value": "small"}, {"text": "Large", "value": "large"}],
            },
        },
        {"contentType": "CustomPayload", "content": '{"ignored": true}'},
    ],
    "sessionState": {
        "dialogAction": {"type": "ElicitSlot", "slotToElicit": "size"},
        "intent": {"name": "Order", "state": "InProgress"},
    },
    "interpretations": [{"intent": {"name": "Order"}, "nluConfidence": {"score": 0.93}}],
    "sessionId": "3001969357",
}


def make_bot() -> tuple[LexBot, Stubber]:
    client = boto3.client(
        "lexv2-runtime", region_name="us-east-1", endpoint_url="https://runtime-v2-lex.us-east-1.amazonaws.com"
    )
    return LexBot(client, "BOT1234567", "ALIAS12345", "en_US"), Stubber(client)


def test_texts_and_cards_become_replies_with_buttons() -> None:
    bot, stubber = make_bot()
    stubber.add_response("recognize_text", CARD_ANSWER, {**PARAMS, "text": "I want coffee"})
    with stubber:
        replies = bot.answer(Turn(sender_id="3001969357", text="I want coffee"))
    assert replies == [
        Reply("Welcome!"),
        Reply("Pick a size\nCoffee\nhttps://example.com/cup.png", (Button("Small", "small"), Button("Large", "large"))),
    ]


def test_a_tap_sends_the_buttons_value() -> None:
    bot, stubber = make_bot()
    stubber.add_response("recognize_text", lex_answer("coffee", "3001969357"), {**PARAMS, "text": "large"})
    with stubber:
        assert bot.answer(Turn(sender_id="3001969357", text="Large", button_payload="large")) == [
            Reply("One coffee coming up.")
        ]


@pytest.mark.parametrize(
    ("code", "retryable"),
    [
        ("ThrottlingException", True),
        ("InternalFailureException", True),
        ("AccessDeniedException", False),
        ("ResourceNotFoundException", False),
    ],
)
def test_errors_are_sorted(code: str, retryable: bool) -> None:
    bot, stubber = make_bot()
    stubber.add_client_error("recognize_text", code, http_status_code=400)
    with stubber, pytest.raises(BotError) as raised:
        bot.answer(Turn(sender_id="3001969357", text="hi"))
    assert raised.value.retryable is retryable


def test_empty_text_asks_nothing() -> None:
    bot, stubber = make_bot()
    with stubber:
        assert bot.answer(Turn(sender_id="3001969357", text="  ")) == []


def test_the_lex_client_tries_once_within_the_bots_timeout() -> None:
    settings = ResponderSettings(
        table_name="t",
        queue_url="q",
        secret_id="s",
        bot_kind=BotKind.LEX,
        lex_bot_id="B",
        lex_bot_alias_id="A",
        bot_timeout=4,
    )
    bot = build_bot(settings, lambda: None)
    assert isinstance(bot, LexBot)
    config: Any = bot.client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (3.0, 4)
    assert config.retries == {"mode": "standard", "total_max_attempts": 1}
