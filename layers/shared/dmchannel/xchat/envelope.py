"""XChat's envelope: a ``MessageEvent`` in Thrift's binary protocol (thrift/event.thrift in xdevplatform/chat-xdk).

The webhook reads the signed ids in it (``signed_ids``) without decrypting anything; the fake
X frames messages with the same codec. A struct decodes to ``{field id: (type, value)}`` and
encodes back byte for byte, so a test can change one field of it. Strings and binaries stay
bytes; a list is ``(element type, items)``, a map ``(key type, value type, [(key, value)])``.
"""

import base64
import binascii
import struct
from typing import Any, NamedTuple

STOP, BOOL, BYTE, DOUBLE, I16, I32, I64, STRING, STRUCT, MAP, SET, LIST = 0, 2, 3, 4, 6, 8, 10, 11, 12, 13, 14, 15
Struct = dict[int, tuple[int, Any]]
_FIXED = {BOOL: "?", BYTE: "b", DOUBLE: "d", I16: "h", I32: "i", I64: "q"}


class ThriftError(ValueError):
    """Bytes that are not a Thrift binary struct."""


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, size: int) -> bytes:
        if size < 0 or self.at + size > len(self.data):
            raise ThriftError("truncated Thrift data")
        chunk = self.data[self.at : self.at + size]
        self.at += size
        return chunk

    def fixed(self, kind: int) -> Any:
        code = ">" + _FIXED[kind]
        return struct.unpack(code, self.take(struct.calcsize(code)))[0]

    def value(self, kind: int) -> Any:
        if kind in _FIXED:
            return self.fixed(kind)
        if kind == STRING:
            return self.take(self.fixed(I32))
        if kind == STRUCT:
            return self.struct()
        if kind in (LIST, SET):
            element, size = self.fixed(BYTE), self.fixed(I32)
            return element, [self.value(element) for _ in range(size)]
        if kind == MAP:
            key, value, size = self.fixed(BYTE), self.fixed(BYTE), self.fixed(I32)
            return key, value, [(self.value(key), self.value(value)) for _ in range(size)]
        raise ThriftError(f"unknown Thrift type {kind}")

    def struct(self) -> Struct:
        fields: Struct = {}
        while (kind := self.fixed(BYTE)) != STOP:
            field_id = self.fixed(I16)
            fields[field_id] = (kind, self.value(kind))
        return fields


def _value(kind: int, value: Any) -> bytes:
    if kind in _FIXED:
        return struct.pack(">" + _FIXED[kind], value)
    if kind == STRING:
        raw = value.encode() if isinstance(value, str) else bytes(value)
        return struct.pack(">i", len(raw)) + raw
    if kind == STRUCT:
        return encode_struct(value)
    if kind in (LIST, SET):
        element, items = value
        return struct.pack(">bi", element, len(items)) + b"".join(_value(element, item) for item in items)
    if kind == MAP:
        key, val, pairs = value
        return struct.pack(">bbi", key, val, len(pairs)) + b"".join(_value(key, k) + _value(val, v) for k, v in pairs)
    raise ThriftError(f"unknown Thrift type {kind}")


def encode_struct(fields: Struct) -> bytes:
    """A struct's bytes, fields in id order."""
    return (
        b"".join(
            struct.pack(">bh", kind, field_id) + _value(kind, value)
            for field_id, (kind, value) in sorted(fields.items())
        )
        + b"\0"
    )


def decode_struct(data: bytes) -> Struct:
    """The struct the bytes hold (ThriftError if they hold anything else, or more)."""
    reader = _Reader(data)
    try:
        fields = reader.struct()
    except (struct.error, KeyError) as error:
        raise ThriftError(f"not a Thrift struct: {error}") from error
    if reader.at != len(data):
        raise ThriftError("bytes after the end of the Thrift struct")
    return fields


# MessageEvent's fields that the webhook reads (the detail and the signature it leaves to the responder).
MESSAGE_ID, SENDER_ID, CONVERSATION_ID, CREATED_AT_MS, DETAIL = 2, 3, 4, 6, 7
MESSAGE_CREATE = 1  # the detail's union field of a message (others: key changes, failures, typing, ...)


class SignedIds(NamedTuple):
    """What a message's envelope says of it: the ids the signature covers, and when it was written (a NamedTuple: cheap at cold start)."""

    message_id: str
    sender_id: str
    conversation_id: str
    created_at_ms: str
    is_message: bool = False  # a message someone wrote (not a key change, a failure, typing, ...)


def signed_ids(encoded_event: str) -> SignedIds | None:
    """The ids in a message's envelope (base64 Thrift), or None when it is no envelope."""
    try:
        fields = decode_struct(base64.b64decode(encoded_event, validate=True))
    except (ThriftError, binascii.Error, ValueError, RecursionError):
        return None

    def text(field_id: int) -> str:
        kind, value = fields.get(field_id, (STOP, b""))
        return value.decode("utf-8", "replace") if kind == STRING and isinstance(value, bytes) else ""

    kind, detail = fields.get(DETAIL, (STOP, {}))
    is_message = kind == STRUCT and MESSAGE_CREATE in detail
    return SignedIds(text(MESSAGE_ID), text(SENDER_ID), text(CONVERSATION_ID), text(CREATED_AT_MS), is_message)
