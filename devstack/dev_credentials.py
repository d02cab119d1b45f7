"""The development credentials: safe to publish, documented in the README, never valid on X."""

import os

from dmchannel.credentials import CREDENTIAL_KEYS, ENVIRONMENT_NAMES, XCredentials

DEV_CREDENTIALS = XCredentials(
    consumer_key="dev-consumer-key",
    consumer_secret="dev-consumer-secret",
    access_token="4337869213-dev-access-token",
    access_token_secret="dev-access-token-secret",
)


def local_credentials() -> XCredentials:
    """The credentials of the local stack: the environment's, else the development ones."""
    return XCredentials(
        **{key: os.environ.get(ENVIRONMENT_NAMES[key], getattr(DEV_CREDENTIALS, key)) for key in CREDENTIAL_KEYS}
    )
