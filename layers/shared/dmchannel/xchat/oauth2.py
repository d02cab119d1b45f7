"""OAuth 2.0 for XChat with requests-oauthlib: the authorization code with PKCE (set-up), and refreshing.

X's refresh tokens are single-use and rotate on every refresh: whoever refreshes must store
the new pair at once, and only one may refresh at a time (the token keeper, alone).
"""

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
TOKEN_PATH = "/2/oauth2/token"  # noqa: S105 - a path, not a secret
SCOPES = ["dm.read", "dm.write", "tweet.read", "users.read", "offline.access"]
TIMEOUT = 10
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})  # the only hosts a callback may be on over plain http


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


def authorization(client_id: str, redirect_uri: str) -> tuple[OAuth2Session, str, str]:
    """The session of a login (it holds the PKCE verifier), the URL to open in a browser, and the login's state."""
    session = OAuth2Session(client_id, redirect_uri=redirect_uri, scope=SCOPES, pkce="S256")
    url, state = session.authorization_url(AUTHORIZE_URL)
    return session, str(url), str(state)


def code_of(answer: str, redirect_uri: str, state: str) -> str:
    """The authorization code in what X's consent screen gave back: the address it sent the browser to, or the code.

    ValueError when the address is not the app's callback, is plain http off this machine, carries
    X's refusal, or belongs to another login (its state).
    """
    answer = answer.strip()
    if not answer.startswith(("http://", "https://")):
        return answer
    given, expected = urlsplit(answer), urlsplit(redirect_uri)
    if (given.scheme, given.netloc, given.path) != (expected.scheme, expected.netloc, expected.path):
        raise ValueError(f"it is not the app's callback {redirect_uri}")
    if given.scheme == "http" and given.hostname not in LOOPBACK:
        raise ValueError("a callback over plain http must be on this machine (127.0.0.1 or localhost)")
    query = parse_qs(given.query)
    if "error" in query:
        raise ValueError(f"X answered {query['error'][0]}")
    if query.get("state", [state])[0] != state:
        raise ValueError("it belongs to another login (its state differs): use the address of this one")
    if not query.get("code"):
        raise ValueError("it carries no code")
    return query["code"][0]


def exchange(session: OAuth2Session, base_url: str, code: str, client_secret: str = "") -> dict[str, Any]:
    """The tokens for an authorization code (with the login's PKCE verifier, which the session holds)."""
    token: dict[str, Any] = session.fetch_token(
        base_url.rstrip("/") + TOKEN_PATH,
        code=code,
        auth=_client_auth(str(session.client_id), client_secret),
        include_client_id=True,
        timeout=TIMEOUT,
    )
    return token
