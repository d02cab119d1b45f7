"""The development credentials: safe to publish, documented in the README, never valid on X."""

import os

from dmchannel.credentials import ENVIRONMENT_NAMES

DEV_CREDENTIALS = {
    "consumer_key": "dev-consumer-key",
    "consumer_secret": "dev-consumer-secret",
    "access_token": "4337869213-dev-access-token",
    "access_token_secret": "dev-access-token-secret",
}


def local_credentials() -> dict[str, str]:
    """The credentials of the local stack: the environment's, else the development ones."""
    return {key: os.environ.get(ENVIRONMENT_NAMES[key], value) for key, value in DEV_CREDENTIALS.items()}
