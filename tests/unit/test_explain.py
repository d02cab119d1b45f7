"""Each documented X error becomes one line that says what to do."""

import pytest

from dmchannel.x.errors import ErrorKind, XApiError
from xdm_cli.explain import explain

URL = "https://abc.execute-api.us-east-1.amazonaws.com/webhook"


@pytest.mark.parametrize(
    ("status", "codes", "message", "expected"),
    [
        (
            400,
            (214,),
            "Webhook URL does not meet the requirements. Invalid CRC token or json response format.",
            f"CRC check of {URL} failed",
        ),
        (400, (), "CRC validation failed for https://…", "curl"),
        (403, (214,), "Too many resources already created.", "--replace"),
        (401, (32,), "Could not authenticate you.", "X refused the credentials (32)"),
        (401, (89,), "Invalid or expired token.", "X refused the credentials (89)"),
        (403, (99,), "Unable to verify your credentials", "regenerate them"),
        (400, (215,), "Bad Authentication data.", "Bad authentication data (215)"),
        (
            403,
            (93,),
            "This application is not allowed to access or delete your direct messages.",
            "regenerate the access token",
        ),
        (403, (200,), "Forbidden.", "labelled 'prod'"),
        (429, (88,), "Rate limit exceeded.", "wait 15 minutes"),
        (404, (34,), "Sorry, that page does not exist.", "check --env"),
        (409, (355,), "Subscription already exists.", "already subscribed"),
        (409, (), "DuplicateSubscription", "already subscribed"),
        (403, (), "DM events can only be subscribed to with the account's own user context", "accounts add"),
        (403, (261,), "Application cannot perform write actions.", "write actions (261)"),
        (403, (226,), "This request looks like it might be automated.", "restricted the account (226)"),
        (403, (326,), "To protect our users from spam…", "restricted the account (326)"),
        (None, (), "ConnectionError", "could not be reached"),
        (418, (999,), "teapot", "HTTP 418"),
    ],
)
def test_one_line_per_error(status: int | None, codes: tuple[int, ...], message: str, expected: str) -> None:
    kind = ErrorKind.AMBIGUOUS if status is None else ErrorKind.PERMANENT
    line = explain(XApiError(kind, "register the webhook", message, status=status, codes=codes), URL, "prod")
    assert expected in line
    assert "\n" not in line
