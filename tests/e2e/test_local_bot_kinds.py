"""Each bot kind and the X API v2 through `make run`, over HTTP only."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from devstack.stack_process import LocalStackProcess, bot_texts, free_port
from tests.conftest import ROOT

JORDAN = {"id": "3001969357", "name": "Jordan", "screen_name": "jordan"}


@pytest.fixture
def example_http_bot() -> Iterator[str]:
    """examples/http_bot/bot.py, started as its README says."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "examples/http_bot/bot.py"], cwd=ROOT, env={**os.environ, "PORT": str(port)}
    )
    url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            requests.post(url, json={"sender": "0", "message": "ping"}, timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


def converse(
    stack: LocalStackProcess, text: str, metadata: str | None = None, expect: int = 1
) -> list[dict[str, object]]:
    before = len(stack.state(JORDAN["id"])["bot_messages"])
    stack.post_dm(text, JORDAN, metadata=metadata)
    stack.wait_until(lambda: len(stack.state(JORDAN["id"])["bot_messages"]) >= before + expect)
    messages: list[dict[str, object]] = stack.state(JORDAN["id"])["bot_messages"][before:]
    return messages


def test_http_bot(example_http_bot: str) -> None:
    with LocalStackProcess(BOT_KIND="http", BOT_URL=example_http_bot) as stack:
        assert "HTTP bot (Rasa REST protocol)" in stack.banner
        (hello,) = converse(stack, "hi")
        assert hello["text"] == "Hello Jordan, I am an HTTP bot. You said: hi"
        assert [o["metadata"] for o in hello["options"]] == ["/pizza", "/joke"]  # type: ignore[attr-defined]
        pizza = converse(stack, "Order a pizza", metadata="/pizza", expect=2)
        assert [m["text"] for m in pizza] == ["Margherita or pepperoni?", "Pizzas take 20 minutes."]


def test_http_bot_down_gets_the_apology() -> None:
    with LocalStackProcess(BOT_KIND="http", BOT_URL=f"http://127.0.0.1:{free_port()}/", BOT_ATTEMPTS="1") as stack:
        (apology,) = converse(stack, "hi")
        assert apology["text"] == "Sorry, I can't answer right now. Please try again in a little while."


def test_lex_bot() -> None:
    with LocalStackProcess(BOT_KIND="lex") as stack:
        assert "fake Amazon Lex V2" in stack.banner
        hello, card = converse(stack, "hi", expect=2)
        assert hello["text"] == "Hello from Lex!"
        assert card["text"] == "What would you like?\nCoffee Shop (Lex)"
        assert [o["metadata"] for o in card["options"]] == ["order coffee", "opening hours"]  # type: ignore[attr-defined]
        (coffee,) = converse(stack, "Order a coffee", metadata="order coffee")
        assert coffee["text"] == "One coffee coming up."


def test_x_api_v2_with_numbered_choices() -> None:
    with LocalStackProcess(X_DM_API="v2") as stack:
        assert "DM API v2" in stack.banner
        (greeting,) = converse(stack, "hello")
        assert greeting["options"] == []
        assert "3. What limits apply?" in str(greeting["text"])
        (answer,) = converse(stack, "3")
        assert str(answer["text"]).startswith("X allows an account 1,000 DMs a day")
        assert bot_texts(stack.state(JORDAN["id"]))[1] == answer["text"]


def test_bedrock_assistant() -> None:
    with LocalStackProcess(BOT_KIND="bedrock") as stack:
        assert "Bedrock stand-in" in stack.banner
        (answer,) = converse(stack, "hello")
        assert answer["text"] == "I'm the channel's assistant (a stand-in for Bedrock). You said: hello"
        options: Any = answer["options"]
        assert [o["label"] for o in options] == ["What is this?", "How does it work?"]
        (tapped,) = converse(stack, "What is this?", metadata="what is this")
        assert str(tapped["text"]).endswith("You said: I choose: what is this (I remember 1 earlier exchange)")
