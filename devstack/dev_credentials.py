"""The development credentials: safe to publish, documented in the README, never valid on X."""

import os

DEV_CREDENTIALS = {
    "consumer_key": "dev-consumer-key",
    "consumer_secret": "dev-consumer-secret",
    "access_token": "4337869213-dev-access-token",
    "access_token_secret": "dev-access-token-secret",
}

# Each credential can be replaced through the environment, e.g. X_CONSUMER_SECRET.
ENVIRONMENT_NAMES = {key: f"X_{key.upper()}" for key in DEV_CREDENTIALS}


def local_credentials() -> dict[str, str]:
    """The credentials of the local stack: the environment's, else the development ones."""
    return {key: os.environ.get(ENVIRONMENT_NAMES[key], value) for key, value in DEV_CREDENTIALS.items()}
