"""CRC answers and POST signatures against values computed independently (openssl dgst -hmac)."""

import pytest

from dmchannel.webhook.signature import is_crc_token, is_valid_signature, sign

SECRET = "dev-consumer-secret"
# printf '%s' TOKEN | openssl dgst -sha256 -hmac dev-consumer-secret -binary | base64
TOKEN = "Q0hBTExFTkdFLXRva2VuLWZyb20tWA"
TOKEN_SIGNATURE = "sha256=icpsGHIMvQnKukzmFT1NQI+ijwLu9AhNTFv7VpgJI6g="
BODY = b'{"for_user_id":"1"}'
BODY_SIGNATURE = "sha256=AOrve3xcrCfEz/HgBQWOMC4TAGyjkNrbHHbBjmpQ+E8="


def test_sign_matches_openssl() -> None:
    assert sign(SECRET, TOKEN.encode()) == TOKEN_SIGNATURE
    assert sign(SECRET, BODY) == BODY_SIGNATURE


@pytest.mark.parametrize(
    "token",
    [TOKEN, "a" * 16, "a" * 256, "AbC+/=_-0123456789xyz", "dGVzdC10b2tlbi13aXRoLXBhZGRpbmc="],
)
def test_tokens_shaped_like_xs_are_signed(token: str) -> None:
    assert is_crc_token(token)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a" * 15,
        "a" * 257,
        '{"for_user_id":"1"}',
        "abcdefghijklmnop qrs",
        "abcdefghijklmnopé",
        "abcdefghijklmnop\n",
    ],
)
def test_other_tokens_are_refused(token: str) -> None:
    assert not is_crc_token(token)


def test_valid_signature_is_accepted() -> None:
    assert is_valid_signature(SECRET, BODY, BODY_SIGNATURE)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        BODY_SIGNATURE.replace("sha256=", ""),
        BODY_SIGNATURE[:-2] + "A=",
        "sha256=" + "A" * 44,
        "sha256=é",
        sign("another-secret", BODY),
    ],
)
def test_wrong_signatures_are_refused(header: str | None) -> None:
    assert not is_valid_signature(SECRET, BODY, header)


def test_signature_covers_every_byte() -> None:
    assert not is_valid_signature(SECRET, BODY + b" ", BODY_SIGNATURE)
    assert not is_valid_signature(SECRET, BODY.replace(b"1", b"2"), BODY_SIGNATURE)
