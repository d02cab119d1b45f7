"""An account's XChat material, in its secret under the key ``xchat``.

The private key blob, the registered key version, the registration body, and the OAuth 2.0
client and tokens (the token keeper alone writes the newest pair; responders only read it).
"""

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dmchannel.credentials import load_secret
from dmchannel.xchat import sdk

if TYPE_CHECKING:
    from chat_xdk import PublicKeyRegistrationPayload  # a type of the SDK's, named for the checker only

XCHAT_KEY = "xchat"


class XChatSecretError(Exception):
    """The account's secret holds no usable XChat keys or token."""


@dataclass(frozen=True)
class XChatSecret:
    """What the responder needs to read and answer XChat as one account."""

    private_keys: bytes = field(repr=False)
    key_version: str  # the version X gave the registered public key
    registration: Mapping[str, Any]  # the public registration body (the account's own signing key, for verifying)
    access_token: str = field(repr=False)


def xchat_secret_from(value: Mapping[str, Any], secret_id: str) -> XChatSecret:
    """The XChat material of a secret's JSON, or XChatSecretError naming what is missing."""
    xchat = value.get(XCHAT_KEY)
    if not isinstance(xchat, Mapping):
        raise XChatSecretError(f"secret {secret_id} has no {XCHAT_KEY} keys: run x-dm-channel xchat keys register")
    missing = [name for name in ("private_keys", "key_version", "access_token") if not xchat.get(name)]
    if missing or not isinstance(xchat.get("registration"), Mapping):
        raise XChatSecretError(f"secret {secret_id} has no XChat {', '.join(missing) or 'registration'}")
    try:
        blob = base64.b64decode(str(xchat["private_keys"]), validate=True)
    except binascii.Error as error:
        raise XChatSecretError(f"secret {secret_id}: the XChat private keys are not base64") from error
    return XChatSecret(blob, str(xchat["key_version"]), xchat["registration"], str(xchat["access_token"]))


def token_source(secret_id: str) -> Callable[[bool], str]:
    """The account's access token as its secret holds it (True: read past the cache: the keeper may have rotated it)."""

    def token(fresh: bool) -> str:
        return xchat_secret_from(load_secret(secret_id, fresh=fresh), secret_id).access_token

    return token


def registration_body(registration: "PublicKeyRegistrationPayload") -> dict[str, Any]:
    """The public registration body of keys the SDK made (what X's public_keys endpoint takes)."""
    key = registration.public_key
    return {
        "public_key": {
            "public_key": key.public_key,
            "signing_public_key": key.signing_public_key,
            "identity_public_key_signature": key.identity_public_key_signature,
            "registration_method": key.registration_method,
        },
        "version": registration.version,
        "generate_version": registration.generate_version,
    }


def new_keys() -> tuple[str, dict[str, Any], str]:
    """Fresh XChat keys: the private key blob (base64), the public registration body, and the SDK's version."""
    try:
        private_keys, registration, version = sdk.new_keys()
    except ValueError as error:
        raise XChatSecretError(str(error)) from error
    return private_keys, registration_body(registration), version
