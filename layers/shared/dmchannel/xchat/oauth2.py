"""OAuth 2.0 for XChat with requests-oauthlib: the authorization code with PKCE (set-up), and refreshing.

X's refresh tokens are single-use and rotate on every refresh: whoever refreshes must store
the new pair at once, and only one may refresh at a time (the token keeper, alone).
"""

from collections.abc import Mapping
from typing import Any

import requests
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
TOKEN_PATH = "/2/oauth2/token"  # noqa: S105 - a path, not a secret
SCOPES = ["dm.read", "dm.write", "tweet.read", "users.read", "offline.access"]
TIMEOUT = 10


def _client_auth(client_id: str, client_secret: str) -> HTTPBasicAuth | None:
    """A confidential client authenticates with Basic auth; a public one sends only its id."""
    return HTTPBasicAuth(client_id, client_secret) if client_secret else None


def refreshed(base_url: str, client: Mapping[str, Any], http: requests.Session | None = None) -> dict[str, Any]:
    """A new token pair for the stored one (client: the ``xchat`` object of the account's secret)."""
    client_id, client_secret = str(client.get("client_id", "")), str(client.get("client_secret", ""))
    session = OAuth2Session(client_id, token={"access_token": client.get("access_token"), "token_type": "bearer"})
    if http is not None:
        session.mount("http://", http.get_adapter("http://"))
        session.mount("https://", http.get_adapter("https://"))
    token: dict[str, Any] = session.refresh_token(
        base_url.rstrip("/") + TOKEN_PATH,
        refresh_token=str(client.get("refresh_token", "")),
        auth=_client_auth(client_id, client_secret),
        client_id=client_id,
        timeout=TIMEOUT,
    )
    return token


def authorization(client_id: str, redirect_uri: str) -> tuple[OAuth2Session, str]:
    """The session of a login (it holds the PKCE verifier) and the URL to open in a browser."""
    session = OAuth2Session(client_id, redirect_uri=redirect_uri, scope=SCOPES, pkce="S256")
    url, _state = session.authorization_url(AUTHORIZE_URL)
    return session, str(url)


def exchange(session: OAuth2Session, base_url: str, answer: str, client_secret: str = "") -> dict[str, Any]:
    """The tokens for the redirect URL (or its bare code) X's consent screen gave back."""
    found = {"authorization_response": answer} if answer.startswith(("http://", "https://")) else {"code": answer}
    token: dict[str, Any] = session.fetch_token(
        base_url.rstrip("/") + TOKEN_PATH,
        auth=_client_auth(str(session.client_id), client_secret),
        include_client_id=True,
        timeout=TIMEOUT,
        **found,
    )
    return token
