"""Keeps each account's XChat OAuth 2.0 token fresh: the one writer of the token pair.

Run on a schedule with reserved concurrency 1, it refreshes a token well before it expires
and stores the newest pair in the account's secret at once (X's refresh tokens are single-use).
A lease in DynamoDB keeps a second run (a retry, a manual invoke) from refreshing the same
token; responders only read the token. A failed refresh is logged and counted (its alarm);
one account's broken secret never keeps the others' tokens from being kept, and a run stops
before its deadline (the next one, 15 minutes on, goes on). The new pair is stored as soon as
X gives it, tried again if the write fails: X has already spent the old refresh token.
"""

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests
from botocore.exceptions import BotoCoreError, ClientError
from oauthlib.oauth2 import OAuth2Error

from dmchannel.observability import Metric, count, logger
from dmchannel.storage.table import Prefix, conditional
from dmchannel.xchat.oauth2 import refreshed
from dmchannel.xchat.secret import XCHAT_KEY

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_secretsmanager import SecretsManagerClient

REFRESH_BEFORE_SECONDS = 30 * 60  # X's tokens live about 2 hours; the keeper runs every 15 minutes
LEASE_SECONDS = 60
SECONDS_PER_SECRET = 15  # what keeping one secret may take at most: a refresh (10 s) and its writes
STORE_ATTEMPTS = 3


@dataclass
class TokenKeeper:
    """Refreshes the XChat tokens held in the given secrets."""

    secrets: "SecretsManagerClient"
    dynamodb: "DynamoDBClient"
    table: str
    base_url: str
    http: requests.Session | None = None
    clock: Callable[[], float] = field(default=time.time)

    def _lease(self, secret_id: str) -> bool:
        """Hold the secret's refresh for a minute; False when another run (or the set-up command) holds it."""
        return take_lease(self.dynamodb, self.table, secret_id, self.clock())

    def keep(
        self, secret_ids: Iterable[str], seconds_left: Callable[[], float] = lambda: float("inf")
    ) -> dict[str, str]:
        """Refresh each secret's token that expires soon; what became of each ("later": no time left for it)."""
        kept: dict[str, str] = {}
        for secret_id in secret_ids:
            if seconds_left() < SECONDS_PER_SECRET:
                kept[secret_id] = "later"
                continue
            try:
                kept[secret_id] = self.keep_one(secret_id)
            except Exception as error:  # one account's broken secret: counted, and the others are kept
                logger.error("The account's secret could not be kept", secret_id=secret_id, error=type(error).__name__)
                count(Metric.XCHAT_TOKEN_REFRESH_FAILED)
                kept[secret_id] = "failed"
        return kept

    def keep_one(self, secret_id: str) -> str:
        """Refresh the secret's token if it expires soon: refreshed, fresh, none, busy (another run) or failed."""
        value = self._read(secret_id)
        xchat = value.get(XCHAT_KEY)
        if not isinstance(xchat, dict) or not xchat.get("refresh_token"):
            return "none"
        if float(xchat.get("expires_at", 0)) - self.clock() > REFRESH_BEFORE_SECONDS:
            return "fresh"
        if not self._lease(secret_id):
            return "busy"
        value = self._read(secret_id)  # read again under the lease: another run may just have stored a new pair
        xchat = value[XCHAT_KEY]
        if float(xchat.get("expires_at", 0)) - self.clock() > REFRESH_BEFORE_SECONDS:
            return "fresh"
        try:
            token = refreshed(self.base_url, xchat, self.http)
        except (OAuth2Error, requests.RequestException, ValueError) as error:
            logger.error("The XChat token could not be refreshed", secret_id=secret_id, error=type(error).__name__)
            count(Metric.XCHAT_TOKEN_REFRESH_FAILED)
            return "failed"
        xchat.update(
            access_token=token["access_token"],
            refresh_token=token.get("refresh_token", xchat["refresh_token"]),
            expires_at=int(self.clock()) + int(token.get("expires_in", 7_200)),
        )
        self._store(secret_id, json.dumps(value))
        logger.info("XChat token refreshed", secret_id=secret_id)
        return "refreshed"

    def _store(self, secret_id: str, value: str) -> None:
        """Store the new pair, trying again: X has spent the old refresh token, so this pair is the only one."""
        for attempt in range(1, STORE_ATTEMPTS + 1):
            try:
                self.secrets.put_secret_value(SecretId=secret_id, SecretString=value)
                return
            except (BotoCoreError, ClientError) as error:
                if attempt == STORE_ATTEMPTS:
                    logger.critical("The new XChat token pair could not be stored: log in again", secret_id=secret_id)
                    raise
                logger.warning("Storing the new XChat token pair failed; trying again", error=type(error).__name__)
                time.sleep(attempt)

    def _read(self, secret_id: str) -> dict[str, Any]:
        value = json.loads(self.secrets.get_secret_value(SecretId=secret_id)["SecretString"])
        return value if isinstance(value, dict) else {}


def take_lease(dynamodb: "DynamoDBClient", table: str, secret_id: str, now: float) -> bool:
    """Hold a secret's XChat material for a minute: its one writer then (the keeper, or the set-up command)."""
    until = str(int(now) + LEASE_SECONDS)
    return conditional(
        lambda: dynamodb.put_item(
            TableName=table,
            Item={**Prefix.TOKEN_LEASE.key(secret_id), "until": {"N": until}, "expires_at": {"N": until}},
            ConditionExpression="attribute_not_exists(pk) OR #until < :now",
            ExpressionAttributeNames={"#until": "until"},
            ExpressionAttributeValues={":now": {"N": str(int(now))}},
        )
    )


def release_lease(dynamodb: "DynamoDBClient", table: str, secret_id: str) -> None:
    """Let the secret's lease go before its minute is up."""
    dynamodb.delete_item(TableName=table, Key=Prefix.TOKEN_LEASE.key(secret_id))
