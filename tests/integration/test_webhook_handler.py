"""The webhook Lambda driven with API Gateway events, against moto's FIFO queue and secret."""

import base64
import io
import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import boto3
import pytest

from devstack.apigw import http_api_event
from devstack.deliveries import BOT_USER, USER, activity_delivery, dm_delivery, dm_event, encode
from devstack.dev_credentials import DEV_CREDENTIALS
from devstack.lambda_runtime import LocalLambdaContext
from devstack.provision import LocalStack
from devstack.sample_events import CRC_TOKEN
from dmchannel import credentials
from dmchannel.queued_dm import QueuedDM, Surface
from dmchannel.webhook.signature import SIGNATURE_HEADER, sign
from tests.conftest import EVENTS, load_event
from tests.integration.conftest import drain

SECRET = DEV_CREDENTIALS.consumer_secret
# printf '%s' Q0hBTExFTkdFLXRva2VuLWZyb20tWA | openssl dgst -sha256 -hmac dev-consumer-secret -binary | base64
CRC_ANSWER = "sha256=icpsGHIMvQnKukzmFT1NQI+ijwLu9AhNTFv7VpgJI6g="

# events/ file -> (status, queued event ids)
EXPECTED = {
    "webhook-crc.json": (200, []),
    "webhook-dm.json": (200, ["1795521600000000001"]),
    "webhook-quick-reply.json": (200, ["1795521600000000002"]),
    "webhook-echo.json": (200, ["1795521600000000003"]),  # queued: a person may have written it
    "webhook-forged.json": (401, []),
    "webhook-activity-dm.json": (200, ["1795521600000000004"]),
    "webhook-xchat.json": (200, ["7f0c2b6e-4a1d-4c2e-9a51-5d3b2f1e0a01"]),  # queued still encrypted
}


@pytest.fixture
def webhook(load_function: Callable[..., ModuleType]) -> ModuleType:
    return load_function("webhook", "WebhookFunction")


def invoke(module: ModuleType, event: dict[str, Any], context: LocalLambdaContext) -> tuple[int, Any]:
    response = module.lambda_handler(event, context)
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], json.loads(response["body"])


def queued(stack: LocalStack) -> list[dict[str, Any]]:
    return drain(stack.refs["DmQueue"])


def post(body: bytes, signature: str | None, **options: Any) -> dict[str, Any]:
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    return http_api_event("POST", "/webhook", headers=headers, body=body, **options)


def test_every_sample_event_is_covered() -> None:
    assert sorted(path.name for path in EVENTS.glob("webhook-*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_events(name: str, webhook: ModuleType, stack: LocalStack, lambda_context: LocalLambdaContext) -> None:
    status, ids = EXPECTED[name]
    answer_status, _ = invoke(webhook, load_event(name), lambda_context)
    assert answer_status == status
    messages = queued(stack)
    assert [QueuedDM.from_body(m["Body"]).dm_id for m in messages] == ids
    for message in messages:
        dm = QueuedDM.from_body(message["Body"])
        assert dm.account_id == BOT_USER["id"]
        writer = BOT_USER if dm.from_account else USER
        if dm.surface is Surface.XCHAT:  # X's chat.received names no user, and the text is still encrypted
            assert (dm.sender_screen_name, dm.text) == ("", "") and dm.encoded_event
        else:
            assert dm.sender_screen_name == writer["screen_name"]
        assert message["Attributes"]["MessageGroupId"] == f"{BOT_USER['id']}-{USER['id']}"
        assert message["Attributes"]["MessageDeduplicationId"] == f"{dm.account_id}-{dm.dm_id}-{dm.surface.value}"


def test_crc_answer(webhook: ModuleType, lambda_context: LocalLambdaContext) -> None:
    assert invoke(webhook, load_event("webhook-crc.json"), lambda_context) == (
        200,
        {"response_token": CRC_ANSWER},
    )


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"crc_token": ""},
        {"nonce": "abc"},
        {"crc_token": '{"for_user_id":"4337869213"}'},
        {"crc_token": "short"},
    ],
)
def test_crc_refuses_missing_or_unshaped_tokens(
    query: dict[str, str], webhook: ModuleType, lambda_context: LocalLambdaContext
) -> None:
    status, body = invoke(webhook, http_api_event("GET", "/webhook", query=query), lambda_context)
    assert status == 400
    assert "crc_token" in body["error"]


def test_crc_uses_the_rotated_secret_after_the_cache(
    webhook: ModuleType, stack: LocalStack, lambda_context: LocalLambdaContext
) -> None:
    event = load_event("webhook-crc.json")
    assert invoke(webhook, event, lambda_context)[1]["response_token"] == CRC_ANSWER
    boto3.client("secretsmanager").put_secret_value(
        SecretId=stack.refs["XCredentialsSecret"],
        SecretString=json.dumps({**DEV_CREDENTIALS.secret_values(), "consumer_secret": "rotated"}),
    )
    assert invoke(webhook, event, lambda_context)[1]["response_token"] == CRC_ANSWER  # still cached
    credentials.SECRETS.forget()  # what the cache's expiry does after SECRET_MAX_AGE_SECONDS
    assert invoke(webhook, event, lambda_context)[1]["response_token"] == sign("rotated", CRC_TOKEN.encode())


def test_unconfigured_secret_answers_500_and_says_why(
    webhook: ModuleType, stack: LocalStack, lambda_context: LocalLambdaContext, service_logs: io.StringIO
) -> None:
    boto3.client("secretsmanager").put_secret_value(
        SecretId=stack.refs["XCredentialsSecret"],
        SecretString=json.dumps({**DEV_CREDENTIALS.secret_values(), "consumer_secret": ""}),
    )
    status, body = invoke(webhook, load_event("webhook-crc.json"), lambda_context)
    assert (status, body) == (500, {"error": "internal error"})
    assert "has no value for: consumer_secret" in service_logs.getvalue()


def test_missing_signature_is_401(webhook: ModuleType, stack: LocalStack, lambda_context: LocalLambdaContext) -> None:
    body = encode(dm_delivery([dm_event("1", USER["id"], BOT_USER["id"], "hi")], [USER]))
    assert invoke(webhook, post(body, None), lambda_context) == (401, {"error": "missing signature"})
    assert queued(stack) == []


def test_signature_header_name_is_case_insensitive(
    webhook: ModuleType, stack: LocalStack, lambda_context: LocalLambdaContext
) -> None:
    body = encode(dm_delivery([dm_event("7", USER["id"], BOT_USER["id"], "hi")], [USER]))
    event = post(body, None)
    event["headers"]["X-Twitter-Webhooks-Signature"] = sign(SECRET, body)  # as a REST API would pass it
    assert invoke(webhook, event, lambda_context) == (200, {"queued": 1})
    assert len(queued(stack)) == 1


def test_signature_is_checked_on_the_decoded_bytes(
    webhook: ModuleType, stack: LocalStack, lambda_context: LocalLambdaContext
) -> None:
    body = encode(dm_delivery([dm_event("8", USER["id"], BOT_USER["id"], "ça va ? 👋")], [USER]))
    signed_over_base64 = sign(SECRET, base64.b64encode(body))
    assert invoke(webhook, post(body, signed_over_base64, base64_body=True), lambda_context)[0] == 401
    assert invoke(webhook, post(body, sign(SECRET, body), base64_body=True), lambda_context) == (
        200,
        {"queued": 1},
    )
    assert QueuedDM.from_body(queued(stack)[0]["Body"]).text == "ça va ? 👋"


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"text"', b"", b"[" + b"1" * 5_000 + b"]"])
def test_signed_body_that_is_not_a_json_object_is_400(
    body: bytes, webhook: ModuleType, stack: LocalStack, lambda_context: LocalLambdaContext
) -> None:
    event = post(body, sign(SECRET, body), base64_body=True)
    assert invoke(webhook, event, lambda_context) == (400, {"error": "body is not a JSON object"})
    assert queued(stack) == []


def a_dm_saying(text: bytes) -> bytes:
    """A delivery of one DM whose JSON text is given as raw bytes (as X's JSON would carry it)."""
    return encode(dm_delivery([dm_event("20", USER["id"], BOT_USER["id"], "PLACEHOLDER")], [USER])).replace(
        b'"PLACEHOLDER"', text
    )


# Signed bodies that X never sends: each is refused with a 4xx, and nothing is queued.
BAD_BODIES = {
    "6 MB": (a_dm_saying(b'"' + b"a" * 6_000_000 + b'"'), 413, "body is over 1048576 bytes"),
    "one byte over 1 MiB": (b'"' + b"a" * 1_048_575 + b'"', 413, "body is over 1048576 bytes"),
    "a lone surrogate escape": (a_dm_saying(b'"hi \\ud800"'), 400, "body holds an unpaired surrogate"),
    "a trailing high surrogate": (a_dm_saying(b'"hi \\ud83d"'), 400, "body holds an unpaired surrogate"),
    "a low surrogate first": (a_dm_saying(b'"\\ude00\\ud83d"'), 400, "body holds an unpaired surrogate"),
    "a lone surrogate in a key": (b'{"\\udfff": 1}', 400, "body holds an unpaired surrogate"),
    "a surrogate's UTF-8 bytes": (a_dm_saying(b'"\xed\xa0\x80"'), 400, "body is not valid UTF-8"),
    "invalid UTF-8": (a_dm_saying(b'"\xff\xfe"'), 400, "body is not valid UTF-8"),
    "100,000 levels of [": (b"[" * 100_000, 400, "body nests deeper than 64 levels"),
    "100,000 levels in a DM": (a_dm_saying(b'{"a":' * 100_000 + b"1" + b"}" * 100_000), 400, "body nests deeper"),
    "65 levels": (b"[" * 65 + b"]" * 65, 400, "body nests deeper than 64 levels"),
}


@pytest.mark.parametrize("case", [(name, b64) for name in sorted(BAD_BODIES) for b64 in (True, False)], ids=str)
def test_bad_bodies_are_refused_with_a_4xx_and_queue_nothing(
    case: tuple[str, bool],
    webhook: ModuleType,
    stack: LocalStack,
    lambda_context: LocalLambdaContext,
    service_logs: io.StringIO,
) -> None:
    name, base64_body = case
    body, status, error = BAD_BODIES[name]
    event = post(body, sign(SECRET, body), base64_body=True)
    if not base64_body:  # a text body, as a proxy may pass it (bytes that are not UTF-8 become lone surrogates)
        event["body"], event["isBase64Encoded"] = body.decode("utf-8", "surrogateescape"), False
    answer_status, answer = invoke(webhook, event, lambda_context)
    assert answer_status == status
    assert answer["error"].startswith(error)
    assert queued(stack) == []
    assert "Traceback" not in service_logs.getvalue() and "Delivery refused" in service_logs.getvalue()


def test_a_huge_body_is_refused_before_its_signature_is_checked(
    webhook: ModuleType, lambda_context: LocalLambdaContext
) -> None:
    body = b"a" * 6_000_000
    assert invoke(webhook, post(body, None, base64_body=True), lambda_context)[0] == 413


def test_nesting_within_the_bound_and_surrogate_pairs_are_read(
    webhook: ModuleType, stack: LocalStack, lambda_context: LocalLambdaContext
) -> None:
    delivery = dm_delivery([dm_event("21", USER["id"], BOT_USER["id"], "PLACEHOLDER")], [USER])
    delivery["deep"] = json.loads("[" * 60 + "]" * 60)
    body = encode(delivery).replace(b'"PLACEHOLDER"', b'"\\ud83d\\udc4b \\\\ud800 [{"')  # a pair, an escaped backslash
    assert invoke(webhook, post(body, sign(SECRET, body)), lambda_context) == (200, {"queued": 1})
    assert QueuedDM.from_body(queued(stack)[0]["Body"]).text == "👋 \\ud800 [{"


def test_a_delivery_of_exactly_1_mib_is_read(
    webhook: ModuleType, stack: LocalStack, lambda_context: LocalLambdaContext
) -> None:
    delivery = dm_delivery([dm_event("22", USER["id"], BOT_USER["id"], "hi")], [USER])
    delivery["padding"] = ""
    body = encode(delivery)
    body = body.replace(b'"padding":""', b'"padding":"' + b"p" * (1_048_576 - len(body)) + b'"')
    assert len(body) == 1_048_576
    assert invoke(webhook, post(body, sign(SECRET, body), base64_body=True), lambda_context) == (200, {"queued": 1})
    assert len(queued(stack)) == 1


def test_a_forged_bad_body_is_refused_before_it_is_read(
    webhook: ModuleType, stack: LocalStack, lambda_context: LocalLambdaContext
) -> None:
    body = b"[" * 100_000
    assert invoke(webhook, post(body, sign("not the secret", body)), lambda_context) == (
        401,
        {"error": "invalid signature"},
    )


def test_a_dm_over_xs_limit_is_dropped_and_its_siblings_queued(
    webhook: ModuleType, stack: LocalStack, lambda_context: LocalLambdaContext, service_logs: io.StringIO
) -> None:
    texts = [
        "before",
        "TooLong " + "x" * 9_993,  # 10,001 characters
        "y" * 10_000,  # at the limit
        "&" * 10_000,  # 50,000 characters as X escapes them
    ]
    for surface, build in (("3", dm_delivery), ("4", activity_delivery)):
        events = [dm_event(f"{surface}{i}", USER["id"], BOT_USER["id"], text) for i, text in enumerate(texts)]
        body = encode(build(events, [USER]))
        assert invoke(webhook, post(body, sign(SECRET, body)), lambda_context) == (200, {"queued": 3})
        assert [QueuedDM.from_body(m["Body"]).dm_id for m in queued(stack)] == [f"{surface}{i}" for i in (0, 2, 3)]
    logs = service_logs.getvalue()
    assert logs.count("DM dropped: its text is over X's DM limit") == 2
    assert '"dm_id":"31"' in logs and '"dm_id":"41"' in logs and "TooLong" not in logs


def test_invalid_base64_body_is_400(webhook: ModuleType, lambda_context: LocalLambdaContext) -> None:
    event = post(b"{}", sign(SECRET, b"{}"))
    event["isBase64Encoded"] = True
    event["body"] = "%%%"
    assert invoke(webhook, event, lambda_context) == (400, {"error": "body is not valid base64"})


def test_deliveries_without_dms_are_200_and_queue_nothing(
    webhook: ModuleType, stack: LocalStack, lambda_context: LocalLambdaContext
) -> None:
    for delivery in (
        {"for_user_id": BOT_USER["id"], "direct_message_indicate_typing_events": [{"sender_id": USER["id"]}]},
        {"for_user_id": BOT_USER["id"], "follow_events": [{"type": "follow"}]},
        {"something": "else"},
    ):
        body = encode(delivery)
        assert invoke(webhook, post(body, sign(SECRET, body)), lambda_context) == (200, {"queued": 0})
    assert queued(stack) == []


def test_twelve_dms_in_one_delivery_are_all_queued(
    webhook: ModuleType, stack: LocalStack, lambda_context: LocalLambdaContext
) -> None:
    events = [dm_event(str(500 + i), USER["id"], BOT_USER["id"], f"n{i}") for i in range(12)]
    body = encode(dm_delivery(events, [USER]))
    assert invoke(webhook, post(body, sign(SECRET, body)), lambda_context) == (200, {"queued": 12})
    assert [QueuedDM.from_body(m["Body"]).dm_id for m in queued(stack)] == [str(500 + i) for i in range(12)]


def test_queue_failure_is_500_so_that_x_delivers_again(
    webhook: ModuleType, stack: LocalStack, lambda_context: LocalLambdaContext
) -> None:
    boto3.client("sqs").delete_queue(QueueUrl=stack.refs["DmQueue"])
    status, body = invoke(webhook, load_event("webhook-dm.json"), lambda_context)
    assert status == 500
    assert "retry" in body["error"]


def test_unknown_path_is_404(webhook: ModuleType, lambda_context: LocalLambdaContext) -> None:
    assert invoke(webhook, http_api_event("GET", "/other"), lambda_context) == (404, {"error": "not found"})


def test_no_text_signature_or_secret_in_the_logs(
    webhook: ModuleType, lambda_context: LocalLambdaContext, service_logs: io.StringIO
) -> None:
    event = load_event("webhook-dm.json")
    invoke(webhook, event, lambda_context)
    invoke(webhook, load_event("webhook-forged.json"), lambda_context)
    invoke(webhook, load_event("webhook-crc.json"), lambda_context)
    logs = service_logs.getvalue()
    assert "1795521600000000001" in logs  # ids are logged
    for secret in ("What can you do", SECRET, event["headers"][SIGNATURE_HEADER], CRC_ANSWER):  # type: ignore[index]
        assert secret not in logs


def test_the_same_dm_is_queued_once_from_each_surface(
    webhook: ModuleType, stack: LocalStack, lambda_context: LocalLambdaContext
) -> None:
    event = dm_event("9", USER["id"], BOT_USER["id"], "hello")
    for delivery in (dm_delivery([event], [USER]), activity_delivery([event], [USER])) * 2:
        body = encode(delivery)
        assert invoke(webhook, post(body, sign(SECRET, body)), lambda_context) == (200, {"queued": 1})
    surfaces = [QueuedDM.from_body(message["Body"]).surface for message in queued(stack)]
    assert surfaces == ["account_activity", "activity_api"]  # each surface's re-delivery dropped by SQS


def test_activity_api_events_that_are_not_dms_received_are_acknowledged(
    webhook: ModuleType, stack: LocalStack, lambda_context: LocalLambdaContext
) -> None:
    for event_type in ("dm.read", "dm.indicate_typing", "something.new"):
        delivery = activity_delivery([dm_event("10", USER["id"], BOT_USER["id"], "x")], [USER], event_type=event_type)
        body = encode(delivery)
        assert invoke(webhook, post(body, sign(SECRET, body)), lambda_context) == (200, {"queued": 0})
    assert queued(stack) == []
