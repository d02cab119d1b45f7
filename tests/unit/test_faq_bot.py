"""The built-in FAQ bot with the shipped sample FAQ."""

import json
from pathlib import Path

import pytest
import yaml

from dmchannel.bots.base import Turn
from dmchannel.bots.faq import FaqBot, faq_bot_from_data, load_faq_bot, normalize, words_match
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def bot() -> FaqBot:
    return load_faq_bot(ROOT / "functions" / "responder" / "faq.yaml")


def ask(bot: FaqBot, text: str, payload: str | None = None) -> tuple[str, list[str]]:
    (reply,) = bot.answer(Turn(sender_id="1", text=text, sender_name="Jordan", button_payload=payload))
    return reply.text, [button.payload for button in reply.buttons]


def test_normalize_removes_case_accents_and_punctuation() -> None:
    assert normalize("Où EST-ce, Café ?") == ["ou", "est", "ce", "cafe"]


@pytest.mark.parametrize(
    ("word", "known"), [("limits", "limits"), ("limtis", "limits"), ("limit", "limits"), ("deplyo", "deploy")]
)
def test_one_typo_is_tolerated(word: str, known: str) -> None:
    assert words_match(word, known)


@pytest.mark.parametrize(("word", "known"), [("lex", "lux"), ("limits", "lemons"), ("dep", "deploy")])
def test_short_words_and_two_typos_do_not_match(word: str, known: str) -> None:
    assert not words_match(word, known)


@pytest.mark.parametrize("text", ["hi", "Hello!", "  HEY  ", "bonjour", "Good morning", ""])
def test_greeting(bot: FaqBot, text: str) -> None:
    answer, payloads = ask(bot, text)
    assert answer.startswith("Hi Jordan!")
    assert payloads == ["intent:what", "intent:how", "intent:limits", "intent:own_bot"]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("What can you do?", "what"),
        ("WHAT ARE THE LIMITS", "limits"),
        ("what are the limtis", "limits"),
        ("Hów does it wörk", "how"),
        ("can I connect my Rasa bot", "own_bot"),
        ("how do I deplyo it", "deploy"),
        ("unsubscribe", "stop"),
    ],
)
def test_questions_find_their_intent(bot: FaqBot, text: str, intent: str) -> None:
    answer, _ = ask(bot, text)
    assert answer == next(i.answer for i in bot.intents if i.name == intent)


def test_tapped_button_selects_its_intent_exactly(bot: FaqBot) -> None:
    answer, payloads = ask(bot, "label text that matches nothing", payload="intent:deploy")
    assert answer.startswith("Run `make deploy")
    assert payloads == ["intent:how", "intent:limits"]


def test_fallback_suggests_the_likeliest_intents(bot: FaqBot) -> None:
    answer, payloads = ask(bot, "opt in please")
    assert answer.startswith("Sorry")
    assert payloads[0] == "intent:stop"
    assert len(payloads) <= 3


def test_nonsense_falls_back_to_the_main_topics(bot: FaqBot) -> None:
    answer, payloads = ask(bot, "xylophone zebra")
    assert answer.startswith("Sorry")
    assert payloads == ["intent:what", "intent:how", "intent:limits", "intent:own_bot"]


def test_matching_is_deterministic(bot: FaqBot) -> None:
    assert len({tuple(ask(bot, "how limits deploy")[1]) for _ in range(20)}) == 1


def test_unknown_button_reference_is_refused(tmp_path: Path) -> None:
    data = {
        "greeting": {"text": "hi", "buttons": ["nope"]},
        "fallback": {"text": "?"},
        "intents": [{"name": "a", "answer": "A"}],
    }
    with pytest.raises(ValueError, match="nope"):
        faq_bot_from_data(data)


def _titles_and_examples() -> list[tuple[str, str]]:
    """(intent, text) for each intent's title and example phrase in the shipped FAQ."""
    data = yaml.safe_load((ROOT / "functions" / "responder" / "faq.yaml").read_text(encoding="utf-8"))
    return [(item["name"], str(text)) for item in data["intents"] for text in [item["title"], *item["examples"]]]


@pytest.mark.parametrize(("intent", "text"), _titles_and_examples())
def test_a_buttons_title_or_an_example_typed_gets_its_own_entry(bot: FaqBot, intent: str, text: str) -> None:
    answer, _ = ask(bot, text)
    assert answer == next(entry.answer for entry in bot.intents if entry.name == intent)


def test_can_i_use_my_own_bot_is_not_what_is_this(bot: FaqBot) -> None:
    answer, payloads = ask(bot, "Can I use my own bot?")
    assert "Rasa" in answer or "HTTP bot" in answer
    assert "intent:own_bot" not in payloads


def test_the_faq_as_the_build_writes_it_makes_the_same_bot(bot: FaqBot, tmp_path: Path) -> None:
    source = ROOT / "functions" / "responder" / "faq.yaml"
    built = tmp_path / "faq.yaml"  # JSON under the same name, as `sam build` writes it
    built.write_text(json.dumps(yaml.safe_load(source.read_text(encoding="utf-8"))), encoding="utf-8")
    assert load_faq_bot(built) == bot
