"""A pending XChat message request, read whichever of its likely fields X fills (they are not documented)."""

import pytest

from dmchannel.xchat.message_requests import PendingRequest, pending_request

ACCOUNT = "4337869213"


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"id": "r1", "sender_id": "42"}, PendingRequest("r1", "42")),
        ({"id": "r2", "user_id": 42}, PendingRequest("r2", "42")),
        ({"id": "r3", "conversation_id": f"42:{ACCOUNT}"}, PendingRequest("r3", "42")),
        ({"conversation_id": f"{ACCOUNT}-42"}, PendingRequest(f"{ACCOUNT}-42", "42")),  # the conversation as its id
        ({"sender_id": "42"}, PendingRequest("42", "42")),  # no id at all: the person's
    ],
)
def test_a_request_names_its_person_by_any_documented_looking_field(
    item: dict[str, object], expected: PendingRequest
) -> None:
    assert pending_request(item, ACCOUNT) == expected


@pytest.mark.parametrize(
    "item",
    [{"id": "r", "conversation_id": "g1234567890"}, {"id": "r", "sender_id": ACCOUNT}, {"id": "r"}, {}],
    ids=["a group", "the account itself", "no person", "empty"],
)
def test_a_request_naming_no_other_person_is_left_alone(item: dict[str, object]) -> None:
    assert pending_request(item, ACCOUNT) is None
