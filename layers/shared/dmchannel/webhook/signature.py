"""X's webhook signatures: the CRC answer and the check of a POST body."""

import base64
import hashlib
import hmac
import re

SIGNATURE_HEADER = "x-twitter-webhooks-signature"
SIGNATURE_PREFIX = "sha256="

# X's CRC tokens are base64 / base64url text. Signing only such tokens keeps the CRC
# endpoint from signing attacker-chosen JSON bodies (a signing oracle).
_CRC_TOKEN = re.compile(r"[A-Za-z0-9+/_=-]{16,256}")


def sign(consumer_secret: str, message: bytes) -> str:
    """Return X's signature of a message: ``sha256=`` + base64(HMAC-SHA256)."""
    digest = hmac.new(consumer_secret.encode("utf-8"), message, hashlib.sha256).digest()
    return SIGNATURE_PREFIX + base64.b64encode(digest).decode("ascii")


def is_crc_token(token: str) -> bool:
    """Tell whether a CRC token is shaped like the ones X sends."""
    return _CRC_TOKEN.fullmatch(token) is not None


def is_valid_signature(consumer_secret: str, body: bytes, header: str | None) -> bool:
    """Check a POST's signature header against the raw body, in constant time."""
    if not header:
        return False
    expected = sign(consumer_secret, body).encode("ascii")
    return hmac.compare_digest(expected, header.strip().encode("utf-8"))
