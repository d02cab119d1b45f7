"""`--local` (or X_DM_CHANNEL_LOCAL=1): every command against the running `make run` stack instead of AWS and X.

`make run` describes itself on its own port (LOCAL_PORT, 3000 by default): its AWS stand-in,
where the stack's outputs and parameters are as CloudFormation gives a deployed stack's, and
its fake X. So credentials, accounts, the webhook, subscriptions and XChat's set-up can be
rehearsed before deploying, with the very commands a deployment needs.
"""

import argparse
import os

import requests

from dmchannel.settings import Environment, SettingsError
from dmchannel.x.endpoints import DEFAULT_BASE_URL
from xdm_cli.context import CommandError

LOCAL_VARIABLE = "X_DM_CHANNEL_LOCAL"
DEFAULT_PORT = 3000
TIMEOUT_SECONDS = 5


def wanted(args: argparse.Namespace) -> bool:
    """Whether this run is against the local stack: --local, or X_DM_CHANNEL_LOCAL set to true."""
    try:
        return bool(args.local) or Environment(os.environ).flag(LOCAL_VARIABLE, default=False)
    except SettingsError as error:
        raise CommandError(str(error)) from error


def use_local_stack(args: argparse.Namespace) -> None:
    """Point boto3 at the local stack's AWS stand-in, and X's calls at its X (unless --api-base names another)."""
    try:
        port = Environment(os.environ).integer("LOCAL_PORT", DEFAULT_PORT, 1, 65535)
    except SettingsError as error:
        raise CommandError(str(error)) from error
    url = f"http://127.0.0.1:{port}/local/stack"
    try:
        answer = requests.get(url, timeout=TIMEOUT_SECONDS)
        answer.raise_for_status()
        described = answer.json()
    except (requests.RequestException, ValueError) as error:
        raise CommandError(
            f"no local stack answers at {url}: start one with `make run` (LOCAL_PORT names another port)"
        ) from error
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    # The stand-in takes any key; the machine's own AWS credentials are never sent to it.
    os.environ.update(
        AWS_ENDPOINT_URL=described["aws_endpoint_url"],
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",  # noqa: S106 - the stand-in's, not a secret
        OAUTHLIB_INSECURE_TRANSPORT="1",  # the local X is plain HTTP on this machine
    )
    args.region, args.profile = described["region"], None
    if args.x_api_base_url == DEFAULT_BASE_URL:
        args.x_api_base_url = described["x_api_base_url"]
