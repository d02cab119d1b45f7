"""A POST's body read within bounds: brackets inside strings do not nest, the bound is exact, base64 is sized first."""

import base64

import pytest

from dmchannel.webhook.body import MAX_BODY_BYTES, MAX_DEPTH, nests_deeper_than, raw_body
from dmchannel.webhook.errors import DeliveryTooLargeError


@pytest.mark.parametrize(
    ("text", "deeper"),
    [
        ("[" * MAX_DEPTH + "]" * MAX_DEPTH, False),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), True),
        ('{"a": [' + '"' + "[" * 100 + '"' + "]}", False),  # brackets in a string do not nest
        ('["\\"[[[[", "\\\\", ' + "[" * 70 + "]" * 70 + "]", True),  # escaped quotes and backslashes end right
        ("[]" * 10_000, False),  # many, side by side
        ('{"café ☕": "[[[", "n": 1}', False),
    ],
)
def test_nesting_is_counted_outside_strings(text: str, deeper: bool) -> None:
    assert nests_deeper_than(text, MAX_DEPTH) is deeper


@pytest.mark.parametrize("size", [MAX_BODY_BYTES - 2, MAX_BODY_BYTES - 1, MAX_BODY_BYTES])
def test_base64_bodies_up_to_the_limit_are_read_whatever_their_padding(size: int) -> None:
    body = b"x" * size
    assert raw_body(base64.b64encode(body).decode("ascii"), True) == body


@pytest.mark.parametrize("size", [MAX_BODY_BYTES + 1, MAX_BODY_BYTES + 2, MAX_BODY_BYTES + 3])
def test_base64_bodies_over_the_limit_are_refused(size: int) -> None:
    with pytest.raises(DeliveryTooLargeError):
        raw_body(base64.b64encode(b"x" * size).decode("ascii"), True)


def test_a_text_body_is_measured_in_utf8_bytes() -> None:
    with pytest.raises(DeliveryTooLargeError):
        raw_body("é" * (MAX_BODY_BYTES // 2 + 1), False)
