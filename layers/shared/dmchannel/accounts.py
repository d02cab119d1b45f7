"""The bot accounts one deployment answers for, all of one X app.

The stack's secret holds the app's consumer key and secret and the primary account's
access token. Every other account has a secret of its own, named ACCOUNTS_SECRET_PREFIX
+ its user id, holding its access token and secret, its screen name and, optionally,
settings of its own (``settings``: DAILY_MESSAGE_LIMIT, DAILY_X_SPEND_LIMIT_USD, BOT_KIND,
BOT_URL, FAQ_PATH, GREETING). One secret per account scales to hundreds with no template change, keeps
each token apart (IAM allows only that prefix), and rotates like any secret.
The webhook only asks whether an account's secret exists (DescribeSecret: it never
reads a token); the responder reads the tokens. Whether a DM's sender is itself a served
account (a bot the channel must not answer) is learnt from the names of the secrets under
the prefix (ListSecrets), listed at most once every 5 minutes: a sender never seen before
costs no request. All cache what they learn for 5 minutes.
"""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from dmchannel.credentials import (
    SECRET_MAX_AGE_SECONDS,
    SecretUnreadableError,
    XCredentials,
    gone,
    load_credentials,
    load_secret,
    secrets_client,
)
from dmchannel.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

ACCOUNT_SETTINGS = frozenset(
    {"DAILY_MESSAGE_LIMIT", "DAILY_X_SPEND_LIMIT_USD", "BOT_KIND", "BOT_URL", "FAQ_PATH", "GREETING"}
)


@dataclass(frozen=True)
class Account:
    """One bot account: the app's keys with the account's token, its screen name, its own settings."""

    credentials: XCredentials
    screen_name: str = ""
    settings: Mapping[str, str] = field(default_factory=dict)
    secret_id: str = ""  # the secret that holds its token (and its XChat keys, if it has any)
    # Where its XChat material is looked for, in order: the primary account's is in a secret of its own
    # under the accounts' prefix (the webhook can only describe those), else, as set up before, the stack's.
    xchat_secret_ids: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """The account's user id."""
        return self.credentials.bot_user_id


def _is_bot(value: Mapping[str, Any]) -> bool:
    """Whether the secret is a Bots API account's (``x-dm-channel bots create``)."""
    xchat = value.get("xchat")
    return isinstance(xchat, Mapping) and xchat.get("token_kind") == "bot"


def account_settings(value: Mapping[str, Any]) -> dict[str, str]:
    """The settings an account's secret may set for it (others are ignored)."""
    settings = value.get("settings")
    if not isinstance(settings, Mapping):
        return {}
    return {str(name): str(setting) for name, setting in settings.items() if name in ACCOUNT_SETTINGS}


@dataclass
class AccountDirectory:
    """Which accounts the deployment serves, from Secrets Manager (cached)."""

    secret_id: str  # the stack's secret: the app's keys and the primary account
    prefix: str  # ACCOUNTS_SECRET_PREFIX; empty: the primary account only
    clock: Callable[[], float] = time.time
    _known: dict[str, tuple[bool, float]] = field(default_factory=dict)  # account id -> (served, when learnt)
    _listed: tuple[frozenset[str], float] = (frozenset(), -SECRET_MAX_AGE_SECONDS)  # ids with a secret, when listed

    def _remembered(self, account_id: str) -> bool | None:
        """What was learnt of the account in the last 5 minutes, if anything."""
        if account_id not in self._known:
            return None
        served, learnt = self._known[account_id]
        return served if self.clock() - learnt < SECRET_MAX_AGE_SECONDS else None

    def _remember(self, account_id: str, served: bool) -> bool:
        self._known[account_id] = (served, self.clock())
        return served

    def is_served(self, account_id: str) -> bool:
        """Whether the deployment answers for the account (reads no token)."""
        if account_id == load_credentials(self.secret_id).bot_user_id:
            return True
        if not self.prefix or not account_id.isdigit():
            return False
        remembered = self._remembered(account_id)
        if remembered is not None:
            return remembered
        try:
            described = secrets_client().describe_secret(SecretId=self.prefix + account_id)
        except ClientError as error:
            if not gone(error):
                raise
            return self._remember(account_id, False)
        return self._remember(account_id, "DeletedDate" not in described)  # `accounts remove` keeps it 7 days

    def listed_as_served(self, account_id: str) -> bool:
        """Whether the account is served, as the last listing of the secrets says (an account added since: soon)."""
        if account_id == load_credentials(self.secret_id).bot_user_id:
            return True
        if not self.prefix or not account_id.isdigit():
            return False
        return account_id in self._with_secrets() or self._remembered(account_id) is True

    def _with_secrets(self) -> frozenset[str]:
        """The ids of the accounts with a secret under the prefix, listed at most once every 5 minutes.

        A listing that fails keeps the last one for a minute more (none yet: the DM comes back).
        """
        ids, listed = self._listed
        if self.clock() - listed < SECRET_MAX_AGE_SECONDS:
            return ids
        try:
            names = account_secrets(secrets_client(), self.secret_id, self.prefix)[1:]
        except (BotoCoreError, ClientError) as error:
            if listed < 0:
                raise
            logger.warning("The accounts' secrets could not be listed: the last listing stands", error=str(error))
            self._listed = (ids, self.clock() - SECRET_MAX_AGE_SECONDS + 60)
            return ids
        self._listed = (frozenset(name.removeprefix(self.prefix) for name in names), self.clock())
        return self._listed[0]

    def account(self, account_id: str) -> Account | None:
        """The account with its token, or None when the deployment does not serve it."""
        app = load_credentials(self.secret_id)
        if account_id == app.bot_user_id:
            own = (self.prefix + account_id,) if self.prefix else ()
            settings = account_settings(load_secret(self.secret_id))
            return Account(app, settings=settings, secret_id=self.secret_id, xchat_secret_ids=(*own, self.secret_id))
        if not self.prefix or not account_id.isdigit() or self._remembered(account_id) is False:
            return None
        name = self.prefix + account_id
        try:
            value = load_secret(name)
        except SecretUnreadableError as error:
            if not error.missing:
                raise  # throttled, 5xx, KMS, the network: the DM comes back, never taken as "not served"
            self._remember(account_id, False)
            return None
        token, token_secret = value.get("access_token"), value.get("access_token_secret")
        if _is_bot(value) and token is None:  # a Bots API account: XChat only, with its bot token; no OAuth 1.0a
            token, token_secret = f"{account_id}-", ""
        if not (isinstance(token, str) and isinstance(token_secret, str) and token.split("-", 1)[0] == account_id):
            # Never answer with a token that is not the account's own.
            logger.error("The account's secret holds no access token of that account", account_id=account_id)
            return None
        credentials = replace(app, access_token=token, access_token_secret=token_secret)
        self._remember(account_id, True)
        return Account(credentials, str(value.get("screen_name", "")), account_settings(value), name, (name,))


def account_secrets(secrets: "SecretsManagerClient", primary: str, prefix: str) -> list[str]:
    """The stack's secret and every account's under the prefix."""
    names = [primary]
    if prefix:
        pages = secrets.get_paginator("list_secrets").paginate(Filters=[{"Key": "name", "Values": [prefix]}])
        names += sorted(s["Name"] for page in pages for s in page.get("SecretList", []) if s["Name"].startswith(prefix))
    return names
