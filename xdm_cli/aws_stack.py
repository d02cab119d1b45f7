"""The deployed stack's outputs and its credentials secret."""

import json
from typing import Any

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

from dmchannel.credentials import CredentialsError, XCredentials, credentials_from


class StackError(Exception):
    """The stack or its secret could not be read or written."""


def aws_problem(error: BotoCoreError) -> str:
    """One line for a problem of the AWS set-up itself (not of the stack)."""
    if isinstance(error, NoRegionError):
        return "no AWS region: pass --region, or set AWS_REGION (or a profile with a region)"
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return "no AWS credentials: pass --profile, or set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
    if isinstance(error, ProfileNotFound):
        return f"{error}: see `aws configure list-profiles`"
    if isinstance(error, EndpointConnectionError):
        return f"AWS could not be reached ({error}): check the network and --region"
    return f"AWS: {error}"


def stack_outputs(stack_name: str) -> dict[str, str]:
    """OutputKey -> OutputValue of a CloudFormation stack."""
    try:
        stacks = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        raise StackError(
            f"cannot read the stack '{stack_name}' in {boto3.session.Session().region_name} ({error}): deploy it with "
            "`make deploy`, or pass --stack / --region"
        ) from error
    return {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}


def read_secret(secret_id: str, *, missing_ok: bool = False) -> dict[str, Any]:
    """The secret's JSON (missing_ok: a secret that does not exist yet reads as empty)."""
    try:
        value = boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    except ClientError as error:
        if missing_ok and error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return {}
        raise StackError(f"cannot read the secret {secret_id} ({error})") from error
    parsed = json.loads(value or "{}")
    return parsed if isinstance(parsed, dict) else {}


def check_writable(secret_id: str) -> None:
    """Check that the secret can be written, without changing it.

    Putting the current version's value again under that version's id is a no-op for
    Secrets Manager, but needs the same permission as a real write.
    """
    client = boto3.client("secretsmanager")
    try:
        current = client.get_secret_value(SecretId=secret_id)
        client.put_secret_value(
            SecretId=secret_id, ClientRequestToken=current["VersionId"], SecretString=current.get("SecretString", "")
        )
    except ClientError as error:
        raise StackError(f"cannot write the secret {secret_id} ({error}): nothing was asked or changed") from error


def write_credentials(secret_id: str, values: dict[str, str]) -> None:
    """Put the four credentials in the secret, keeping its other keys (such as bot_token)."""
    current = read_secret(secret_id)
    try:
        boto3.client("secretsmanager").put_secret_value(
            SecretId=secret_id, SecretString=json.dumps({**current, **values})
        )
    except ClientError as error:
        raise StackError(f"cannot write the secret {secret_id} ({error})") from error


def credentials_from_secret(secret_id: str) -> XCredentials:
    """The X credentials held in the secret."""
    try:
        return credentials_from(read_secret(secret_id), secret_id)
    except CredentialsError as error:
        raise StackError(f"{error}: run `x-dm-channel credentials set`") from error


def _describe(stack_name: str) -> Any:
    try:
        stack: Any = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    except ClientError as error:
        raise StackError(
            f"cannot read the stack '{stack_name}' in {boto3.session.Session().region_name} ({error}): deploy it with "
            "`make deploy`, or pass --stack / --region"
        ) from error
    return stack


def stack_parameter(stack_name: str, name: str, default: str) -> str:
    """A parameter the stack was deployed with."""
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in _describe(stack_name).get("Parameters", [])}
    return parameters.get(name) or default


def accounts_prefix(stack_name: str) -> str:
    """The name prefix of the secrets of the accounts besides the primary one."""
    return stack_outputs(stack_name).get("AccountsSecretPrefix") or f"{stack_name}/accounts/"


def account_ids(prefix: str) -> list[str]:
    """The ids of the accounts that have a secret under the prefix."""
    pages = boto3.client("secretsmanager").get_paginator("list_secrets")
    try:
        names = [
            secret["Name"]
            for page in pages.paginate(Filters=[{"Key": "name", "Values": [prefix]}])
            for secret in page["SecretList"]
        ]
    except ClientError as error:
        raise StackError(f"cannot list the accounts' secrets ({error})") from error
    return sorted(
        name.removeprefix(prefix) for name in names if name.startswith(prefix) and name[len(prefix) :].isdigit()
    )


def put_secret(name: str, value: dict[str, Any]) -> None:
    """Create the secret, or put a new value in it."""
    client = boto3.client("secretsmanager")
    try:
        try:
            client.put_secret_value(SecretId=name, SecretString=json.dumps(value))
        except client.exceptions.ResourceNotFoundException:
            client.create_secret(Name=name, SecretString=json.dumps(value))
    except ClientError as error:
        raise StackError(f"cannot write the secret {name} ({error})") from error


def delete_secret(name: str) -> None:
    """Delete the secret (Secrets Manager keeps it 7 days before it is gone)."""
    try:
        boto3.client("secretsmanager").delete_secret(SecretId=name, RecoveryWindowInDays=7)
    except ClientError as error:
        raise StackError(f"cannot delete the secret {name} ({error})") from error
