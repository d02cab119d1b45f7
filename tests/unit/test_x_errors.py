"""X's error answers, sorted by what they mean for a DM: a spent bill is neither a rate limit nor a refusal."""

import json

import pytest
import requests

from dmchannel.x.errors import ErrorKind, error_from_response


def answer(status: int, body: object, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content = status, json.dumps(body).encode()
    response.headers.update(headers or {})
    return response


@pytest.mark.parametrize(
    ("status", "body", "headers", "kind"),
    [
        (402, {"title": "Payment Required", "detail": "Your credits are depleted"}, {}, ErrorKind.OUT_OF_CREDITS),
        (402, "", {}, ErrorKind.OUT_OF_CREDITS),  # X's 402 body is not documented: the status says it
        (
            429,
            {"title": "UsageCapExceeded", "type": "https://api.x.com/2/problems/usage-capped", "period": "Monthly"},
            {"x-rate-limit-remaining": "100"},
            ErrorKind.OUT_OF_CREDITS,
        ),
        (429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": "1900000000"}, ErrorKind.RATE_LIMITED),
        (503, {"errors": [{"code": 131, "message": "Internal error"}]}, {}, ErrorKind.TRANSIENT),
        (403, {"errors": [{"code": 349, "message": "You cannot send messages"}]}, {}, ErrorKind.PERMANENT),
    ],
    ids=["402", "402 without a body", "usage cap", "rate limit", "5xx", "refused"],
)
def test_each_answer_is_sorted_by_what_it_means(
    status: int, body: object, headers: dict[str, str], kind: ErrorKind
) -> None:
    assert error_from_response("send a DM", answer(status, body, headers), now=0).kind is kind
