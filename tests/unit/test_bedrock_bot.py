"""The Bedrock assistant through botocore's Stubber, with the Converse API's real request and response shapes."""

from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from devstack.fake_bedrock import GUARDRAIL_MESSAGE, converse_answer
from dmchannel.bots.base import BotError, Button, Reply, Turn
from dmchannel.bots.bedrock import REPLY_TOOL, X_RULES, BedrockBot, Usage

MODEL = "amazon.nova-lite-v1:0"
TURN = Turn(sender_id="3001969357", text="What can you do?", sender_name="Jordan")


def make_bot(guardrail: tuple[str, str] | None = None) -> tuple[BedrockBot, Stubber, list[Usage]]:
    client = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url="https://bedrock.example")
    used: list[Usage] = []
    bot = BedrockBot(client, MODEL, "You help.", 300, 0.2, guardrail, used.append)
    return bot, Stubber(client), used


def answered(bot: BedrockBot, stubber: Stubber, response: dict[str, Any], turn: Turn = TURN) -> list[Reply]:
    expected = {"modelId": MODEL, "system": ANY, "messages": ANY, "inferenceConfig": ANY, "toolConfig": ANY}
    if bot.guardrail:
        expected["guardrailConfig"] = {"guardrailIdentifier": bot.guardrail[0], "guardrailVersion": bot.guardrail[1]}
    stubber.add_response("converse", response, expected)
    with stubber:
        return bot.answer(turn)


def test_the_request_carries_the_prompt_xs_rules_and_the_reply_tool() -> None:
    bot, _, _ = make_bot()
    request = bot.request([{"role": "user", "content": [{"text": "hi"}]}])
    assert request["system"][0]["text"] == f"You help.\n\n{X_RULES}"
    assert "10000 characters" in X_RULES and "at most 20" in X_RULES and "36 characters" in X_RULES
    (tool,) = request["toolConfig"]["tools"]
    assert tool["toolSpec"]["name"] == REPLY_TOOL and request["toolConfig"]["toolChoice"] == {"any": {}}
    assert request["inferenceConfig"] == {"maxTokens": 300, "temperature": 0.2}
    assert "guardrailConfig" not in request


def test_the_reply_tool_gives_text_and_buttons_and_usage_is_reported() -> None:
    bot, stubber, used = make_bot()
    _, _, response = converse_answer({"messages": [{"role": "user", "content": [{"text": "hi"}]}]})
    replies = answered(bot, stubber, response)
    assert replies == [
        Reply(
            "I'm the channel's assistant (a stand-in for Bedrock). You said: hi",
            (Button("What is this?", "what is this"), Button("How does it work?", "How does it work?")),
        )
    ]
    assert used[0].output_tokens == 40 and not used[0].guardrail_intervened


def test_a_tapped_option_goes_back_as_the_users_choice() -> None:
    bot, stubber, _ = make_bot()
    tapped = Turn(sender_id="1", text="What is this?", button_payload="what is this")
    text_only = {
        "output": {"message": {"role": "assistant", "content": [{"text": "A channel."}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
        "metrics": {"latencyMs": 1},
    }
    stubber.add_response(
        "converse",
        text_only,
        {
            "modelId": MODEL,
            "system": ANY,
            "messages": [{"role": "user", "content": [{"text": "I choose: what is this"}]}],
            "inferenceConfig": ANY,
            "toolConfig": ANY,
        },
    )
    with stubber:
        assert bot.answer(tapped) == [Reply("A channel.")]


def test_a_guardrail_intervention_is_answered_with_its_message_and_counted() -> None:
    bot, stubber, used = make_bot(("gr-123", "1"))
    _, _, response = converse_answer({"messages": [{"role": "user", "content": [{"text": "something forbidden"}]}]})
    assert answered(bot, stubber, response) == [Reply(GUARDRAIL_MESSAGE)]
    assert used[0].guardrail_intervened


@pytest.mark.parametrize(
    ("code", "retryable"),
    [
        ("ThrottlingException", True),
        ("ServiceUnavailableException", True),
        ("ModelTimeoutException", True),
        ("ValidationException", False),
        ("AccessDeniedException", False),
    ],
)
def test_errors_are_sorted(code: str, retryable: bool) -> None:
    bot, stubber, used = make_bot()
    stubber.add_client_error("converse", code, http_status_code=429 if retryable else 400)
    with stubber, pytest.raises(BotError) as raised:
        bot.answer(TURN)
    assert raised.value.retryable is retryable and used == []


@pytest.mark.parametrize(
    ("turn", "said"),
    [
        (
            Turn("1", "meet here?", attachment_type="location", latitude=37.75, longitude=-122.4, place_name="SF"),
            "meet here?\n(shared a location: latitude 37.75, longitude -122.4, SF)",
        ),
        (
            Turn("1", "", attachment_type="location", latitude=0.0, longitude=0.5),
            "(shared a location: latitude 0.0, longitude 0.5)",
        ),
        (Turn("1", "", attachment_type="location"), "(shared a location)"),
        (
            Turn("1", "lol https://x.com/a", attachment_type="animated_gif", attachment_url="https://v/g.mp4"),
            "lol https://x.com/a\n(sent a animated_gif: https://v/g.mp4)",
        ),
        (Turn("1", "", attachment_type="photo"), "(sent a photo: no link)"),
        (Turn("1", "just text"), "just text"),
    ],
)
def test_the_model_reads_what_the_dm_carries(turn: Turn, said: str) -> None:
    bot, stubber, _ = make_bot()
    messages = [{"role": "user", "content": [{"text": said}]}]
    _, _, response = converse_answer({"messages": messages})
    expected = {"modelId": MODEL, "system": ANY, "messages": messages, "inferenceConfig": ANY, "toolConfig": ANY}
    stubber.add_response("converse", response, expected)
    with stubber:
        assert bot.answer(turn)  # the Stubber checked that the model was given said


def test_the_conversations_history_comes_before_the_new_message() -> None:
    bot, stubber, _ = make_bot()
    turn = Turn(sender_id="1", text="and then?", history=(("user", "hello"), ("assistant", "hi!")))
    messages = [
        {"role": "user", "content": [{"text": "hello"}]},
        {"role": "assistant", "content": [{"text": "hi!"}]},
        {"role": "user", "content": [{"text": "and then?"}]},
    ]
    _, _, response = converse_answer({"messages": messages})
    stubber.add_response(
        "converse",
        response,
        {"modelId": MODEL, "system": ANY, "messages": messages, "inferenceConfig": ANY, "toolConfig": ANY},
    )
    with stubber:
        (reply,) = bot.answer(turn)
    assert reply.text.endswith("You said: and then? (I remember 1 earlier exchange)")
