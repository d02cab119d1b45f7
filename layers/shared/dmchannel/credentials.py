"""The X credentials, read from Secrets Manager through Powertools parameters (cached)."""

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.config import Config
from botocore.exceptions import ClientError

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


_PROVIDING = threading.Lock()  # boto3 makes no client safely in two threads at once


def _provider() -> SecretsProvider:
    """Powertools' own secrets provider (so that its clear_caches() holds for it too), made once whatever the threads."""
    with _PROVIDING:
        provider = DEFAULT_PROVIDERS.get("secrets")
        if provider is None:
            provider = DEFAULT_PROVIDERS["secrets"] = SecretsProvider(boto_config=SECRETS_CONFIG)
        return provider


def secrets_client() -> "SecretsManagerClient":
    """The Secrets Manager client the secrets are read with (one per container)."""
    client: SecretsManagerClient = _provider().client
    return client


def load_secret(secret_id: str, *, fresh: bool = False) -> dict[str, Any]:
    """A secret's JSON object (cached for a few minutes; fresh: read again now)."""
    value = _provider().get(secret_id, transform="json", max_age=SECRET_MAX_AGE_SECONDS, force_fetch=fresh)
    if not isinstance(value, dict):
        raise CredentialsError(f"secret {secret_id} is not a JSON object")
    return value


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


def not_found(error: GetParameterError) -> bool:
    """Whether Secrets Manager said the secret does not exist (not throttled, failing or unreachable)."""
    cause = error.__cause__ or error.__context__  # Powertools raises it inside its except, without "from"
    return isinstance(cause, ClientError) and cause.response.get("Error", {}).get("Code") == "ResourceNotFoundException"
