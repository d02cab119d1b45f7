"""The X credentials and the other secrets, read from Secrets Manager and kept a few minutes.

A small cache of its own rather than Powertools parameters: that package loads every provider it has
(SSM, AppConfig, DynamoDB), 5 ms of the webhook's cold start, for the one call used here.
"""

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

# A rotated secret takes effect within this many seconds, without a redeploy.
SECRET_MAX_AGE_SECONDS = 300
CREDENTIAL_KEYS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
# Where the local stack and the x-dm-channel command read each credential: X_CONSUMER_KEY...
ENVIRONMENT_NAMES = {key: f"X_{key.upper()}" for key in CREDENTIAL_KEYS}
BOT_TOKEN_KEY = "bot_token"  # noqa: S105 - the name of a key, not a value
# A secret read fails fast (twice 1 s + 3 s at most), within the webhook's 10 s and long before the responder's
# deadline: a stalled Secrets Manager brings the DM back rather than holding the invocation (botocore waits 60 s).
SECRETS_CONFIG = Config(connect_timeout=1, read_timeout=3, retries={"mode": "standard", "max_attempts": 2})


class CredentialsError(Exception):
    """The secret does not hold the four X credentials."""


@dataclass(frozen=True)
class XCredentials:
    """OAuth 1.0a user-context credentials: the app's and the bot account's."""

    consumer_key: str = field(repr=False)
    consumer_secret: str = field(repr=False)
    access_token: str = field(repr=False)
    access_token_secret: str = field(repr=False)

    @property
    def bot_user_id(self) -> str:
        """The bot account's user id: the numeric prefix of its access token."""
        return self.access_token.split("-", 1)[0]

    def secret_values(self) -> dict[str, str]:
        """The four keys as the secret's JSON holds them."""
        return {key: getattr(self, key) for key in CREDENTIAL_KEYS}


class SecretUnreadableError(Exception):
    """Secrets Manager gave no value: the secret is gone (``missing``), or it is throttled, failing or unreachable."""

    def __init__(self, secret_id: str, *, missing: bool) -> None:
        super().__init__(f"secret {secret_id} {'does not exist' if missing else 'could not be read'}")
        self.missing = missing


class SecretCache:
    """The secrets read through one client, each kept SECRET_MAX_AGE_SECONDS; the container has one (SECRETS)."""

    def __init__(self, client: "SecretsManagerClient | None" = None, clock: Callable[[], float] = time.time) -> None:
        self._client, self._clock = client, clock
        self._making = threading.Lock()  # boto3 makes no client safely in two threads at once
        self._read: dict[str, tuple[float, dict[str, Any]]] = {}  # secret id -> (when read, its JSON object)

    def client(self) -> "SecretsManagerClient":
        """The Secrets Manager client, made on first use."""
        with self._making:
            if self._client is None:
                self._client = boto3.client("secretsmanager", config=SECRETS_CONFIG)
            return self._client

    def read(self, secret_id: str, *, fresh: bool = False) -> dict[str, Any]:
        """The secret's JSON object, from the cache unless it is older than SECRET_MAX_AGE_SECONDS or fresh is asked."""
        now = self._clock()
        kept = self._read.get(secret_id)
        if kept is not None and not fresh and now - kept[0] < SECRET_MAX_AGE_SECONDS:
            return kept[1]
        try:
            text = self.client().get_secret_value(SecretId=secret_id).get("SecretString", "")
        except ClientError as error:
            raise SecretUnreadableError(secret_id, missing=gone(error)) from error
        except BotoCoreError as error:
            raise SecretUnreadableError(secret_id, missing=False) from error
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise CredentialsError(f"secret {secret_id} is not a JSON object")
        kept = self._read.get(secret_id)
        if kept is None or kept[0] <= now:  # a read begun later (a fresh one) keeps its newer value
            self._read[secret_id] = (now, value)
        return value

    def forget(self) -> None:
        """Read every secret again on its next use (what their age does after SECRET_MAX_AGE_SECONDS)."""
        self._read = {}


SECRETS = SecretCache()


def gone(error: ClientError) -> bool:
    """Whether Secrets Manager said the secret does not exist, or is scheduled for deletion (`accounts remove`)."""
    details = error.response.get("Error", {})
    code, message = details.get("Code"), details.get("Message", "").lower()
    return code == "ResourceNotFoundException" or (code == "InvalidRequestException" and "delet" in message)


def secrets_client() -> "SecretsManagerClient":
    """The Secrets Manager client the secrets are read with (one per container)."""
    return SECRETS.client()


def load_secret(secret_id: str, *, fresh: bool = False) -> dict[str, Any]:
    """A secret's JSON object (cached for a few minutes; fresh: read again now)."""
    return SECRETS.read(secret_id, fresh=fresh)


def load_bot_token(secret_id: str) -> str | None:
    """The HTTP bot's bearer token, if the secret holds one (key ``bot_token``)."""
    token = load_secret(secret_id).get(BOT_TOKEN_KEY)
    return token if isinstance(token, str) and token else None


def credentials_from(value: Mapping[str, Any], secret_id: str) -> XCredentials:
    """The four credentials of a secret's JSON, or CredentialsError naming the missing ones."""
    missing = [key for key in CREDENTIAL_KEYS if not isinstance(value.get(key), str) or not value[key]]
    if missing:
        raise CredentialsError(f"secret {secret_id} has no value for: {', '.join(missing)}")
    return XCredentials(**{key: value[key] for key in CREDENTIAL_KEYS})


def load_credentials(secret_id: str) -> XCredentials:
    """Return the credentials held in the secret (cached for a few minutes)."""
    return credentials_from(load_secret(secret_id), secret_id)
