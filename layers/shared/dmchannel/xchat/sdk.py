"""The one seam between the channel and X's SDK (``chat_xdk``, pinned at 0.5.2): every call it makes to it.

The SDK does all of XChat's cryptography; the channel asks it for six things, named here, so
that a new SDK API (chatxdk 0.7's parameter objects) changes this file alone. It is imported
on first use: legacy DMs never load it. The simulated users of ``devstack`` are the people on
the other side, with SDKs of their own, and call it themselves. An account's identity is
used by one thread at a time: a batch's conversations are answered side by side.
"""

import base64
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chat_xdk import Chat, PublicKeyRegistrationPayload, SendPayload

Keys = dict[str, bytes]  # a conversation's keys, by version
SigningKeys = list[dict[str, str]]  # registered keys, as the SDK verifies with them


def send_body(payload: "SendPayload") -> dict[str, str]:
    """What X's messages endpoint takes of a message the SDK encrypted and signed (its id is inside the signature)."""
    return {
        "message_id": payload.message_id,
        "encoded_message_create_event": payload.encrypted_content,
        "encoded_message_event_signature": payload.encoded_event_signature,
    }


class Identity:
    """One account's identity in the SDK: its private keys, and what the channel does with them."""

    def __init__(self, chat: "Chat") -> None:
        self._chat = chat
        self._using = threading.Lock()  # the SDK's objects are not said to be safe to share between threads

    @classmethod
    def of_account(cls, account_id: str, private_keys: bytes, key_version: str) -> "Identity":
        """The account's identity, from the private key blob kept in its secret."""
        from chat_xdk import Chat  # noqa: PLC0415 - off the cold start of legacy DMs

        chat = Chat()
        chat.import_keys(private_keys, version=key_version)
        chat.set_identity(account_id, key_version)
        return cls(chat)

    def open_key_changes(self, events: list[str], signing: SigningKeys) -> dict[str, Any]:
        """The SDK's reading of key-change events: ``conversation_keys`` and each event's ``messages``."""
        with self._using:
            return dict(self._chat.decrypt_events(events, signing))

    def decrypt_event(self, encoded_event: str, keys: Keys, signing: SigningKeys) -> dict[str, Any]:
        """A message event decrypted and checked (``verified``); ValueError when it cannot be."""
        with self._using:
            return dict(self._chat.decrypt_event(encoded_event, keys, signing))

    def encrypt_reply(
        self, conversation_id: str, text: str, key: tuple[str, bytes], quoted: dict[str, Any], quick_reply: Any
    ) -> dict[str, str]:
        """A reply, encrypted and signed once under the key (version, bytes): the body X's endpoint takes."""
        version, raw = key
        with self._using:
            payload = self._chat.encrypt_reply(
                conversation_id,
                text,
                conversation_key=raw,
                conversation_key_version=version,
                quick_reply=quick_reply,
                **quoted,
            )
        return send_body(payload)

    def seal(self, text: str, key: bytes) -> str:
        """Text encrypted with a conversation's key, to be kept."""
        with self._using:
            return str(self._chat.encrypt(text, key))

    def unseal(self, sealed: str, key: bytes) -> str:
        """Kept text opened again (ValueError when the key is not its own)."""
        with self._using:
            return str(self._chat.decrypt(sealed, key))


def new_keys() -> tuple[str, "PublicKeyRegistrationPayload", str]:
    """Fresh keys: the private key blob (base64), the SDK's registration, and its version."""
    from chat_xdk import Chat  # noqa: PLC0415 - only setting keys up needs it

    chat = Chat()
    registration = chat.generate_keypairs()
    exported = chat.export_keys()
    if exported is None:
        raise ValueError("the SDK made no keys")
    return base64.b64encode(bytes(exported)).decode(), registration, str(registration.version)
