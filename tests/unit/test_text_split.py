"""Splitting long texts: boundaries in order of preference, never inside a character."""

import pytest

from dmchannel.responder.text_split import is_safe_cut, split_text

LIMIT = 10_000


def test_10000_characters_is_one_message() -> None:
    assert split_text("a" * 10_000, LIMIT) == ["a" * 10_000]


def test_10001_characters_of_one_word_are_cut_at_the_limit() -> None:
    assert split_text("a" * 10_001, LIMIT) == ["a" * 10_000, "a"]


def test_words_are_not_cut() -> None:
    text = ("word " * 2_001).strip()  # 10,004 characters
    pieces = split_text(text, LIMIT)
    assert [len(p) for p in pieces] == [9_999, 4]
    assert all(not p.startswith(" ") and not p.endswith(" ") for p in pieces)
    assert " ".join(pieces) == text


def test_paragraph_break_is_preferred_to_a_later_sentence_end() -> None:
    first = "x" * 6_000 + "."
    text = first + "\n\n" + "Second paragraph. " * 300
    pieces = split_text(text, LIMIT)
    assert pieces[0] == first


def test_sentence_end_is_preferred_to_a_later_space() -> None:
    text = "y" * 7_000 + ". " + "z " * 2_000
    assert split_text(text, LIMIT)[0] == "y" * 7_000 + "."


def test_early_paragraph_break_is_not_wasted() -> None:
    text = "Title\n\n" + "word " * 3_000
    assert len(split_text(text, LIMIT)[0]) > 9_000


@pytest.mark.parametrize(
    ("cluster", "name"),
    [
        ("e\u0301", "combining accent"),
        ("👍🏽", "skin tone"),
        ("👩\u200d💻", "zwj sequence"),
        ("🇫🇷", "flag"),
        ("❤\ufe0f", "variation selector"),
        ("1\ufe0f\u20e3", "keycap"),
    ],
)
def test_clusters_at_the_limit_are_kept_whole(cluster: str, name: str) -> None:
    text = "a" * (LIMIT - 1) + cluster + "b"
    pieces = split_text(text, LIMIT)
    assert "".join(pieces) == text, name
    assert all(len(p) <= LIMIT for p in pieces)
    assert pieces[1].startswith(cluster), name


def test_emoji_before_the_limit_stays_in_the_first_piece() -> None:
    text = "a" * (LIMIT - 1) + "😀" + "b" * 5
    assert split_text(text, LIMIT) == ["a" * (LIMIT - 1) + "😀", "bbbbb"]


def test_flags_are_cut_between_pairs() -> None:
    text = "🇫🇷🇩🇪"
    assert is_safe_cut(text, 2)
    assert not is_safe_cut(text, 1)
    assert not is_safe_cut(text, 3)


def test_empty_and_blank_texts_give_nothing() -> None:
    assert split_text("", LIMIT) == []
    assert split_text("  \n ", LIMIT) == []
