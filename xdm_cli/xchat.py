"""`x-dm-channel xchat`: an account's OAuth 2.0 login and its XChat keys, stored in the account's secret.

X allows only a few key registrations a day: the keys and their registration body are stored
before X is called, and X's current key is checked before any new registration, so a retry
after a failure adopts what X already holds instead of spending another registration.
"""

import argparse
import json
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import boto3
import requests
from oauthlib.oauth2 import OAuth2Error

from dmchannel.x.errors import XApiError
from dmchannel.xchat.api import ChatApi
from dmchannel.xchat.oauth2 import AUTHORIZE_URL, authorization, code_of, exchange
from dmchannel.xchat.secret import new_keys
from dmchannel.xchat.token_keeper import release_lease, take_lease
from xdm_cli.aws_stack import put_secret, read_secret, stack_outputs
from xdm_cli.context import CommandError, ask, ask_optional, credentials, xchat_material, xchat_token

DEFAULT_REDIRECT = "http://127.0.0.1:8976/callback"
LEASE_WAIT_SECONDS = 70  # the keeper holds a secret's lease a minute at most
NOT_FOUND, TOO_MANY = 404, 429


def _account(args: argparse.Namespace) -> tuple[str, str, dict[str, Any]]:
    account_id = args.account or credentials(args).bot_user_id
    secret_id, value = xchat_material(args, account_id)
    return account_id, secret_id, value


def store_xchat(
    args: argparse.Namespace,
    secret_id: str,
    changes: dict[str, Any],
    dropped: tuple[str, ...] = (),
    account_fields: dict[str, Any] | None = None,
) -> None:
    """Write these fields of the XChat material (and account_fields) onto the secret as it is now, under its lease.

    The token keeper writes under the same lease, so neither can put back what the other just
    replaced (a refresh token X has already spent, or keys just registered).
    """
    table = stack_outputs(args.stack).get("StateTableName", "")
    dynamodb = boto3.client("dynamodb")
    deadline = time.monotonic() + LEASE_WAIT_SECONDS
    while table and not take_lease(dynamodb, table, secret_id, time.time()):
        if time.monotonic() > deadline:
            raise CommandError("the token keeper is writing the account's secret: run this again in a minute")
        time.sleep(1)
    try:
        value = read_secret(secret_id, missing_ok=True)
        if not value.get("xchat"):  # the first write to its own secret: start from what was kept before, if any
            value = value | {
                "xchat": xchat_material(args, args.account or credentials(args).bot_user_id)[1].get("xchat", {})
            }
        xchat = {key: kept for key, kept in dict(value.get("xchat") or {}).items() if key not in dropped}
        put_secret(secret_id, value | (account_fields or {}) | {"xchat": xchat | changes})
    finally:
        if table:
            release_lease(dynamodb, table, secret_id)


def xchat_login(args: argparse.Namespace) -> str:
    """Log the account in with OAuth 2.0 (authorization code with PKCE) and store its tokens in its secret."""
    account_id, secret_id, _ = _account(args)
    client_id = ask("OAuth 2.0 client id", "X_OAUTH2_CLIENT_ID")
    client_secret = ask_optional("OAuth 2.0 client secret (empty for a public client)", "X_OAUTH2_CLIENT_SECRET")
    session, url, state = authorization(client_id, args.redirect_uri)
    if args.local:  # the local X's consent screen: it signs in as the account, at once
        url = url.replace(AUTHORIZE_URL, args.x_api_base_url + urlsplit(AUTHORIZE_URL).path) + f"&user_id={account_id}"
    print(
        f"Open this address signed in as the account {account_id}, allow the app, then paste where X sent you:\n{url}",
        file=sys.stderr,
    )
    answer = ask("the redirect URL (or its code)", "X_OAUTH2_REDIRECT")
    try:
        code = code_of(answer, args.redirect_uri, state)
    except ValueError as error:
        raise CommandError(f"that is not where X sent you: {error}") from error
    try:
        token = exchange(session, args.x_api_base_url, code, client_secret)
    except (OAuth2Error, requests.RequestException, ValueError) as error:
        raise CommandError(f"X did not give tokens for that answer ({type(error).__name__}): log in again") from error
    signed_in = _chat_api(args, str(token["access_token"])).me()
    if signed_in != account_id:  # the browser was signed in as someone else: never answer with their token
        raise CommandError(f"X gave tokens of the user {signed_in}, not of {account_id}: sign in as the bot account")
    tokens = {
        "client_id": client_id,
        "client_secret": client_secret,
        "access_token": token["access_token"],
        "refresh_token": token.get("refresh_token", ""),
        "expires_at": int(time.time()) + int(token.get("expires_in", 7_200)),
    }
    store_xchat(args, secret_id, tokens)
    return f"Saved the OAuth 2.0 tokens of {account_id} to {secret_id}; the token keeper refreshes them from now on."


def _chat_api(args: argparse.Namespace, access_token: str) -> ChatApi:
    """X's Chat API with one OAuth 2.0 token."""
    return ChatApi(args.x_api_base_url, requests.Session(), lambda _fresh: access_token)


def xchat_settings(args: argparse.Namespace) -> str:
    """Show the account's chat settings; --who-can-message VALUE sets who can message it (X's values, exactly)."""
    account_id = args.account or credentials(args).bot_user_id
    api = _chat_api(args, xchat_token(args, account_id))
    settings = api.settings()
    if args.who_can_message:
        settings = api.update_settings(settings | {"allow_dms_from": args.who_can_message})
    shown = "\n".join(f"  {name}: {json.dumps(value)}" for name, value in sorted(settings.items()))
    return f"The chat settings of {account_id}:\n{shown}"


def _registered(api: ChatApi, account_id: str) -> list[dict[str, Any]]:
    """The keys X holds for the account now (none: an empty list)."""
    try:
        return api.public_keys(account_id)
    except XApiError as error:
        if error.status == NOT_FOUND:
            return []
        raise


def xchat_keys_register(args: argparse.Namespace) -> str:
    """Make the account's XChat keys, store them in its secret, then register the public key with X."""
    account_id, secret_id, value = _account(args)
    xchat = dict(value.get("xchat") or {})
    api = _chat_api(args, xchat_token(args, account_id))
    at_x = _registered(api, account_id)
    pending = xchat.get("registration", {}).get("public_key", {}).get("public_key")
    ours = next((key for key in at_x if pending and key.get("public_key") == pending), None)
    if ours and not args.replace:  # an earlier run registered it: adopt X's version, register nothing
        xchat["key_version"] = str(ours["public_key_version"])
        store_xchat(args, secret_id, {"key_version": xchat["key_version"]})
        return f"The account {account_id}'s key is registered (version {xchat['key_version']}); nothing more to do."
    if at_x and not args.replace:
        raise CommandError(
            f"X holds another key for {account_id}: replacing it breaks its conversations; add --replace to do it anyway"
        )
    if not pending or args.replace:
        private_keys, registration, _ = new_keys()
        xchat.update(private_keys=private_keys, registration=registration)
        xchat.pop("key_version", None)
        keys = {"private_keys": private_keys, "registration": registration}
        store_xchat(
            args, secret_id, keys, dropped=("key_version",)
        )  # stored before X is called: a failure loses nothing
    try:
        xchat["key_version"] = api.register_key(account_id, xchat["registration"])
    except XApiError as error:
        if error.status == TOO_MANY:
            raise CommandError(
                "X allows only a few key registrations a day: run this again tomorrow (the keys are kept)"
            ) from error
        raise
    store_xchat(args, secret_id, {"key_version": xchat["key_version"]})
    return f"Registered the XChat key of {account_id} (version {xchat['key_version']}); its keys are in {secret_id}."
