"""What `xchat login` accepts as X's answer: the pasted address of a loopback callback, or the bare code."""

import pytest

from dmchannel.xchat.oauth2 import code_of

CALLBACK = "http://127.0.0.1:8976/callback"


def test_a_loopback_http_callback_pasted_whole_gives_its_code() -> None:
    assert code_of(f"{CALLBACK}?state=s1&code=abc", CALLBACK, "s1") == "abc"
    assert code_of("http://localhost:9000/cb?code=xyz", "http://localhost:9000/cb", "s1") == "xyz"  # no state: PKCE
    assert code_of("  abc  ", CALLBACK, "s1") == "abc"  # the bare code


@pytest.mark.parametrize(
    ("answer", "callback", "why"),
    [
        ("http://example.com/callback?code=abc", "http://example.com/callback", "must be on this machine"),
        ("http://127.0.0.1:8976/elsewhere?code=abc", CALLBACK, "not the app's callback"),
        (f"{CALLBACK}?error=access_denied&state=s1", CALLBACK, "X answered access_denied"),
        (f"{CALLBACK}?code=abc&state=another", CALLBACK, "another login"),
        (f"{CALLBACK}?state=s1", CALLBACK, "no code"),
    ],
)
def test_an_answer_that_is_not_this_logins_callback_is_refused_in_one_line(
    answer: str, callback: str, why: str
) -> None:
    with pytest.raises(ValueError, match=why):
        code_of(answer, callback, "s1")


def test_an_https_callback_anywhere_is_fine() -> None:
    assert code_of("https://bot.example.com/cb?code=c&state=s1", "https://bot.example.com/cb", "s1") == "c"
