"""The deployed stack's outputs and its credentials secret."""

import json
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from dmchannel.credentials import CredentialsError, XCredentials, credentials_from


class StackError(Exception):
    """The stack or its secret could not be read or written."""


def stack_outputs(stack_name: str) -> dict[str, str]:
    """OutputKey -> OutputValue of a CloudFormation stack."""
    try:
        stacks = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    except (BotoCoreError, ClientError) as error:
        raise StackError(
            f"cannot read the stack '{stack_name}' ({error}); deploy it with `make deploy`, or pass --stack"
        ) from error
    return {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}


def read_secret(secret_id: str) -> dict[str, Any]:
    """The secret's JSON."""
    try:
        value = boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    except (BotoCoreError, ClientError) as error:
        raise StackError(f"cannot read the secret {secret_id} ({error})") from error
    parsed = json.loads(value or "{}")
    return parsed if isinstance(parsed, dict) else {}


def write_credentials(secret_id: str, values: dict[str, str]) -> None:
    """Put the four credentials in the secret, keeping its other keys (such as bot_token)."""
    current = read_secret(secret_id)
    try:
        boto3.client("secretsmanager").put_secret_value(
            SecretId=secret_id, SecretString=json.dumps({**current, **values})
        )
    except (BotoCoreError, ClientError) as error:
        raise StackError(f"cannot write the secret {secret_id} ({error})") from error


def credentials_from_secret(secret_id: str) -> XCredentials:
    """The X credentials held in the secret."""
    try:
        return credentials_from(read_secret(secret_id), secret_id)
    except CredentialsError as error:
        raise StackError(f"{error}: run `x-dm-channel credentials set`") from error
