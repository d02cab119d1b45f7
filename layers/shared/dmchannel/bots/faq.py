"""The built-in FAQ bot: intents from a YAML file, matched tolerantly and deterministically."""

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from dmchannel.bots.base import Button, Reply, Turn

INTENT_PAYLOAD_PREFIX = "intent:"
_WORD = re.compile(r"[a-z0-9]+")


def normalize(text: str) -> list[str]:
    """Lowercase words without accents: "Où est-ce ?" -> ["ou", "est", "ce"]."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _WORD.findall(plain)


def _within_one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance of at most 1 (one typo: insert, delete, replace or swap)."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    index = 0
    while index < len(a) and a[index] == b[index]:
        index += 1
    if len(a) == len(b):
        swapped = index + 1 < len(a) and a[index] == b[index + 1] and a[index + 1] == b[index]
        return a[index + 1 :] == b[index + 1 :] or (swapped and a[index + 2 :] == b[index + 2 :])
    return a[index:] == b[index + 1 :]


def words_match(word: str, known: str) -> bool:
    """Whether a user's word is a known word, allowing one typo in words of 4 letters or more."""
    return word == known or (min(len(word), len(known)) >= 4 and _within_one_edit(word, known))


@dataclass(frozen=True)
class Intent:
    """A question the bot can answer."""

    name: str
    title: str
    answer: str
    phrases: tuple[tuple[str, ...], ...]
    keywords: frozenset[str]
    follow_ups: tuple[str, ...]
    exact: frozenset[tuple[str, ...]] = frozenset()  # its title and examples, word for word: these select it


@dataclass(frozen=True)
class FaqBot:
    """Answers from a FAQ: a greeting, intents, and a fallback that suggests the likeliest intents."""

    intents: tuple[Intent, ...]
    greeting: str
    greeting_words: frozenset[str]
    greeting_buttons: tuple[str, ...]
    fallback: str
    suggestions: int
    stop_words: frozenset[str]
    threshold: float = 0.5  # an intent answers when it scores above this
    keyword_weight: float = 0.6

    def answer(self, turn: Turn) -> list[Reply]:
        """Answer one turn."""
        by_name = {intent.name: intent for intent in self.intents}
        if turn.button_payload and turn.button_payload.startswith(INTENT_PAYLOAD_PREFIX):
            chosen = by_name.get(turn.button_payload.removeprefix(INTENT_PAYLOAD_PREFIX))
            if chosen:
                return [self._reply(chosen.answer, chosen.follow_ups, turn)]
        all_words = normalize(turn.text)
        greeting_only = all(word in self.greeting_words or word in self.stop_words for word in all_words)
        if not all_words or (greeting_only and not self.greeting_words.isdisjoint(all_words)):
            return [self._reply(self.greeting, self.greeting_buttons, turn)]
        exact = next((intent for intent in self.intents if tuple(all_words) in intent.exact), None)
        if exact:  # a button's title typed, or one of the FAQ's own examples: that entry, whatever else scores
            return [self._reply(exact.answer, exact.follow_ups, turn)]
        # Questions made only of common words ("what can you do") are matched on all their words.
        words = [word for word in all_words if word not in self.stop_words] or all_words
        scored = sorted(
            ((self.score(intent, words), -position, intent) for position, intent in enumerate(self.intents)),
            key=lambda item: (item[0], item[1]),
            reverse=True,
        )
        best_score, _, best = scored[0]
        if best_score > self.threshold:
            return [self._reply(best.answer, best.follow_ups, turn)]
        likely = [intent.name for score, _, intent in scored[: self.suggestions] if score > 0]
        return [self._reply(self.fallback, tuple(likely) or self.greeting_buttons, turn)]

    def score(self, intent: Intent, words: Sequence[str]) -> float:
        """How well the user's words match an intent, from 0 to 1 (and above with keywords)."""
        best = 0.0
        for phrase in intent.phrases:
            if phrase:
                matched = sum(any(words_match(word, known) for word in words) for known in phrase)
                best = max(best, matched / len(phrase))
        keyword_hits = sum(any(words_match(word, keyword) for word in words) for keyword in intent.keywords)
        return best + self.keyword_weight * keyword_hits

    def _reply(self, text: str, intent_names: Sequence[str], turn: Turn) -> Reply:
        by_name = {intent.name: intent for intent in self.intents}
        buttons = tuple(
            Button(by_name[name].title, INTENT_PAYLOAD_PREFIX + name) for name in intent_names if name in by_name
        )
        return Reply(text.replace("{name}", turn.sender_name or "there"), buttons)


def _words(phrases: Sequence[Any], stop_words: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The words of phrases (YAML may have read some as numbers or booleans)."""
    return tuple(word for phrase in phrases for word in normalize(str(phrase)) if word not in stop_words)


def faq_bot_from_data(data: Mapping[str, Any]) -> FaqBot:
    """Build the bot from the FAQ file's content (see faq.yaml for the format)."""
    stop_words = frozenset(_words(data.get("stop_words", [])))
    intents = tuple(
        Intent(
            name=str(item["name"]),
            title=str(item.get("title", item["name"])),
            answer=str(item["answer"]),
            phrases=tuple(_words([p], stop_words) or _words([p]) for p in item.get("examples", [])),
            keywords=frozenset(_words(item.get("keywords", []))),
            follow_ups=tuple(item.get("buttons", [])),
            exact=frozenset(
                tuple(normalize(str(text))) for text in [item.get("title", item["name"]), *item.get("examples", [])]
            ),
        )
        for item in data["intents"]
    )
    names = {intent.name for intent in intents}
    greeting, fallback = data["greeting"], data["fallback"]
    referenced = {name for intent in intents for name in intent.follow_ups} | set(greeting.get("buttons", []))
    if referenced - names:
        raise ValueError(f"buttons name unknown intents: {', '.join(sorted(referenced - names))}")
    return FaqBot(
        intents=intents,
        greeting=str(greeting["text"]),
        greeting_words=frozenset(_words(greeting.get("words", []))),
        greeting_buttons=tuple(greeting.get("buttons", [])),
        fallback=str(fallback["text"]),
        suggestions=int(fallback.get("suggestions", 3)),
        stop_words=stop_words,
    )


@lru_cache(maxsize=4)
def load_faq_bot(path: Path) -> FaqBot:
    """Load (once per path) the FAQ bot from a YAML or JSON file (JSON is YAML).

    JSON is read by the standard library: ``sam build`` writes the FAQ as JSON, so a deployed
    responder never imports the YAML parser (a tenth of its cold start).
    """
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except ValueError:
        import yaml  # noqa: PLC0415 - the FAQ as written (make run, tests): YAML

        data = yaml.safe_load(text)
    return faq_bot_from_data(data)
