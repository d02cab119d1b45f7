"""A POST's body, read with bounds: its size before anything else, then its text and its JSON, each refused cheaply.

Whatever a body holds, it is refused with a WebhookError of its kind, in milliseconds: no
RecursionError or UnicodeError gets past it, and nothing after it walks a body nested deeper than MAX_DEPTH.
"""

import base64
import binascii
import json
import re
from itertools import accumulate
from typing import Any

from dmchannel.webhook.errors import DeliveryTooLargeError, MalformedDeliveryError

MAX_BODY_BYTES = 1_048_576  # 1 MiB: X's deliveries are a few KB (a DM is at most 10,000 characters)
# X's deliveries nest about 12 levels at the most (data, payload, direct_message_events, an event,
# message_create, message_data, attachment, media, video_info, variants, a variant). 64 leaves a wide
# margin for what X may add, and keeps what reads the JSON afterwards (json.dumps among them) far below
# Python's recursion limit (1,000); json.loads itself stops with a RecursionError at about that depth.
MAX_DEPTH = 64
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')  # a JSON string: the brackets inside it do not nest
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_DEPTH_STEP = tuple({ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}.get(byte, 0) for byte in range(256))
# An escape in the surrogate range (\uD800 to \uDFFF): only a body with one may hold an unpaired surrogate.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def raw_body(body: str | None, is_base64_encoded: bool) -> bytes:
    """The request body's bytes as X sent them (API Gateway may base64-encode them), refused over MAX_BODY_BYTES."""
    if body is None:
        return b""
    # Known before decoding: 4 base64 characters carry 3 bytes, less the padding; text has at least a byte
    # a character, so its length refuses nothing under the limit (its bytes are counted once encoded).
    size = len(body) // 4 * 3 - body[-2:].count("=") if is_base64_encoded else len(body)
    if size > MAX_BODY_BYTES:
        raise DeliveryTooLargeError(f"body is over {MAX_BODY_BYTES} bytes")
    try:
        payload = base64.b64decode(body, validate=True) if is_base64_encoded else body.encode("utf-8")
    except binascii.Error as error:
        raise MalformedDeliveryError("body is not valid base64") from error
    except UnicodeEncodeError as error:  # an unpaired surrogate in the event's body
        raise MalformedDeliveryError("body is not valid UTF-8") from error
    if len(payload) > MAX_BODY_BYTES:
        raise DeliveryTooLargeError(f"body is over {MAX_BODY_BYTES} bytes")
    return payload


def nests_deeper_than(json_text: str, limit: int) -> bool:
    """Whether valid JSON text opens more than limit arrays and objects inside one another (without recursion).

    The text must be JSON that json.loads accepted: every quote outside a string then opens one that
    ends, so the strings are skipped in linear time; outside them JSON is ASCII, and its brackets are
    counted in C (translate, map, accumulate), not one by one in Python.
    """
    brackets = _STRING.sub("", json_text).encode("ascii", "ignore").translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets), initial=0)) > limit


def _has_unpaired_surrogate(text: str, value: Any) -> bool:
    """Whether the parsed JSON holds a string with an unpaired surrogate (an escape of one half of a pair alone)."""
    if not _SURROGATE_ESCAPE.search(text):
        return False
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")  # UTF-8 has no encoding for a lone surrogate
    except UnicodeEncodeError:
        return True
    return False


def delivery_of(payload: bytes) -> dict[str, Any]:
    """The JSON object of a body: refused when it is not UTF-8, nests too deep, or is not valid Unicode JSON."""
    try:
        text = payload.decode("utf-8")  # strict: invalid bytes and encoded surrogates are refused
    except UnicodeDecodeError as error:
        raise MalformedDeliveryError("body is not valid UTF-8") from error
    try:
        delivery = json.loads(text)
    except RecursionError as error:  # deeper than the parser goes: it stops at once (C, about 1,000 levels)
        raise MalformedDeliveryError(f"body nests deeper than {MAX_DEPTH} levels") from error
    except ValueError as error:  # not JSON, or a number too long to read (Python's 4,300 digits)
        raise MalformedDeliveryError("body is not a JSON object") from error
    if nests_deeper_than(text, MAX_DEPTH):
        raise MalformedDeliveryError(f"body nests deeper than {MAX_DEPTH} levels")
    if not isinstance(delivery, dict):
        raise MalformedDeliveryError("body is not a JSON object")
    if _has_unpaired_surrogate(text, delivery):
        raise MalformedDeliveryError("body holds an unpaired surrogate")
    return delivery
