"""The development credentials: safe to publish, documented in the README, never valid on X."""

import json
import os
from dataclasses import replace

from dmchannel.credentials import CREDENTIAL_KEYS, ENVIRONMENT_NAMES, XCredentials

DEV_CREDENTIALS = XCredentials(
    consumer_key="dev-consumer-key",
    consumer_secret="dev-consumer-secret",
    access_token="4337869213-dev-access-token",
    access_token_secret="dev-access-token-secret",
)


SECOND_SCREEN_NAME = "salesbot"
# A second bot account of the same app, for `make run` and the tests of several accounts.
SECOND_ACCOUNT = replace(
    DEV_CREDENTIALS, access_token="4337869214-dev-access-token-2", access_token_secret="dev-access-token-secret-2"
)


def account_secret(credentials: XCredentials, screen_name: str, **settings: str) -> str:
    """The JSON of an account's own secret (as `x-dm-channel accounts add` writes it)."""
    return json.dumps(
        {
            "access_token": credentials.access_token,
            "access_token_secret": credentials.access_token_secret,
            "screen_name": screen_name,
            "settings": settings,
        }
    )


def local_credentials() -> XCredentials:
    """The credentials of the local stack: the environment's, else the development ones."""
    return XCredentials(
        **{key: os.environ.get(ENVIRONMENT_NAMES[key], getattr(DEV_CREDENTIALS, key)) for key in CREDENTIAL_KEYS}
    )


def local_accounts(primary: XCredentials) -> list[XCredentials]:
    """The local stack's other accounts: X_ACCOUNTS ("token:secret,token:secret"), else the development second one."""
    listed = os.environ.get("X_ACCOUNTS")
    if listed is None:
        return [SECOND_ACCOUNT]
    pairs = [pair.split(":", 1) for pair in listed.split(",") if pair.strip()]
    return [replace(primary, access_token=token.strip(), access_token_secret=secret.strip()) for token, secret in pairs]
