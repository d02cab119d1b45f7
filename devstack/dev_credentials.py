"""The development credentials: safe to publish, documented in docs/local.md, never valid on X."""

import json
import os
from dataclasses import replace

from dmchannel.credentials import CREDENTIAL_KEYS, ENVIRONMENT_NAMES, XCredentials
from dmchannel.settings import SettingsError

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


ACCOUNTS_FORMAT = "token:secret pairs separated by commas, each token starting with its account's numeric id and a dash"


def local_credentials() -> XCredentials:
    """The credentials of the local stack: the environment's, else the development ones; SettingsError names a bad one."""
    credentials = XCredentials(
        **{key: os.environ.get(ENVIRONMENT_NAMES[key], getattr(DEV_CREDENTIALS, key)) for key in CREDENTIAL_KEYS}
    )
    if not _names_its_account(credentials.access_token):
        raise SettingsError(
            "X_ACCESS_TOKEN is not valid: expected the account's numeric id, a dash, then the rest of the token"
        )
    return credentials


def local_accounts(primary: XCredentials) -> list[XCredentials]:
    """The local stack's other accounts: X_ACCOUNTS ("token:secret,token:secret"), else the development second one."""
    listed = os.environ.get("X_ACCOUNTS")
    if listed is None:
        return [SECOND_ACCOUNT]
    accounts = []
    for pair in filter(str.strip, listed.split(",")):
        token, _, secret = (part.strip() for part in pair.partition(":"))
        if not (secret and _names_its_account(token)):
            raise SettingsError(f"X_ACCOUNTS is not valid: expected {ACCOUNTS_FORMAT}, or empty for none")
        accounts.append(replace(primary, access_token=token, access_token_secret=secret))
    return accounts


def _names_its_account(token: str) -> bool:
    """X's access tokens start with their account's numeric id and a dash: the local stack reads the id from there."""
    account_id, dash, rest = token.partition("-")
    return account_id.isdigit() and bool(dash and rest)
