"""Secrets read from Secrets Manager on moto: kept 5 minutes, read again when asked, and a missing one told apart."""

import json
import threading
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from devstack.provision import LocalStack
from dmchannel.credentials import CredentialsError, SecretCache, SecretUnreadableError


def counted_client(asked: list[str], throttled: list[bool] | None = None) -> Any:
    """A Secrets Manager client that notes each secret read, and is throttled while throttled[0]."""
    client = boto3.client("secretsmanager")

    def note(params: dict[str, Any], **_: Any) -> None:
        asked.append(params["SecretId"])
        if throttled and throttled[0]:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "GetSecretValue")

    client.meta.events.register("provide-client-params.secrets-manager.GetSecretValue", note)
    return client


def test_a_secret_is_read_once_in_5_minutes_unless_asked_fresh(stack: LocalStack) -> None:
    asked: list[str] = []
    now = [0.0]
    secrets = SecretCache(counted_client(asked), clock=lambda: now[0])
    secret_id = stack.refs["XCredentialsSecret"]
    first = secrets.read(secret_id)
    boto3.client("secretsmanager").put_secret_value(SecretId=secret_id, SecretString=json.dumps({**first, "k": "v"}))
    now[0] = 299.0
    assert secrets.read(secret_id) == first and len(asked) == 1
    assert secrets.read(secret_id, fresh=True)["k"] == "v" and len(asked) == 2
    now[0] = 600.0
    secrets.read(secret_id)
    secrets.forget()
    secrets.read(secret_id)
    assert len(asked) == 4


def test_a_missing_secret_is_told_apart_from_one_that_could_not_be_read(stack: LocalStack) -> None:
    throttled = [True]
    secrets = SecretCache(counted_client([], throttled))
    with pytest.raises(SecretUnreadableError) as raised:
        secrets.read(stack.refs["XCredentialsSecret"])
    assert not raised.value.missing and isinstance(raised.value.__cause__, ClientError)
    throttled[0] = False
    with pytest.raises(SecretUnreadableError, match=r"^secret x-dm-channel/accounts/1 does not exist$") as raised:
        secrets.read("x-dm-channel/accounts/1")
    assert raised.value.missing


def test_a_secret_that_is_not_a_json_object_is_named(stack: LocalStack) -> None:
    boto3.client("secretsmanager").create_secret(Name="plain", SecretString="not json")
    with pytest.raises(CredentialsError, match=r"^secret plain is not a JSON object$"):
        SecretCache().read("plain")


def test_a_secret_scheduled_for_deletion_reads_as_missing(stack: LocalStack) -> None:
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name="x-dm-channel/accounts/42", SecretString=json.dumps({"a": "b"}))
    secrets.delete_secret(SecretId="x-dm-channel/accounts/42", RecoveryWindowInDays=7)  # `accounts remove`
    with pytest.raises(SecretUnreadableError) as raised:
        SecretCache().read("x-dm-channel/accounts/42")
    assert raised.value.missing


def test_a_fresh_read_is_not_undone_by_an_older_read_that_ends_after_it(stack: LocalStack) -> None:
    now, read, answered = [0.0], threading.Event(), threading.Event()
    client = boto3.client("secretsmanager")

    def late(http_response: Any, **_: Any) -> None:
        if threading.current_thread().name == "late":
            read.set()  # it has the value as it was,
            answered.wait(10)  # and hands it over after the fresh read

    client.meta.events.register("after-call.secrets-manager.GetSecretValue", late)
    secrets = SecretCache(client, clock=lambda: now[0])
    secret_id = stack.refs["XCredentialsSecret"]
    older = threading.Thread(target=secrets.read, args=(secret_id,), name="late")
    older.start()
    assert read.wait(10)
    value = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])
    boto3.client("secretsmanager").put_secret_value(SecretId=secret_id, SecretString=json.dumps(value | {"k": "new"}))
    now[0] = 1.0
    assert secrets.read(secret_id, fresh=True)["k"] == "new"  # X refused the old token: read again now
    answered.set()
    older.join()
    now[0] = 2.0
    assert secrets.read(secret_id)["k"] == "new"
