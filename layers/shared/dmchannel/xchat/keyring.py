"""One account's XChat keys in X's SDK, kept across invocations.

Its identity, the signing keys of the users it talks to, and the conversation keys it has
opened (only ever from signed key-change events).
"""

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from dmchannel.storage.sealing import SEALED_PREFIX
from dmchannel.xchat.sdk import Identity
from dmchannel.xchat.secret import XChatSecret

SIGNING_KEYS_MAX_AGE_SECONDS = 3_600  # a user's keys are read again after an hour, or when a message fails to verify
SIGNING_KEYS_REREAD_SECONDS = 60  # but not more often than this: a flood of bad messages costs X one call a minute


def signing_key(user_id: str, public_key: Mapping[str, Any], version: str) -> dict[str, str]:
    """A registered key (an item of X's public_keys answer, or a registration body's) as the SDK verifies with it."""
    return {
        "user_id": user_id,
        "public_key_version": version,
        "public_key": str(public_key.get("signing_public_key", "")),
        "identity_public_key": str(public_key.get("public_key", "")),
        "identity_public_key_signature": str(public_key.get("identity_public_key_signature", "")),
    }


def newest(versions: Iterable[str]) -> str | None:
    """The newest of some conversation key versions (X's are increasing numbers)."""
    return max(versions, key=lambda version: (len(version), version), default=None)


@dataclass
class Keyring:
    """The account's identity, and the keys it has learnt."""

    account_id: str
    sdk: Identity
    own_key: dict[str, str]
    clock: Callable[[], float] = time.time
    signing: dict[str, tuple[list[dict[str, str]], float]] = field(default_factory=dict)  # user -> (keys, when)
    conversations: dict[str, dict[str, bytes]] = field(default_factory=dict)  # other user -> version -> key

    def knows_signing_keys_of(self, user_id: str) -> bool:
        """Whether the user's signing keys were learnt within the hour."""
        entry = self.signing.get(user_id)
        return entry is not None and self.clock() - entry[1] < SIGNING_KEYS_MAX_AGE_SECONDS

    def learn_signing_keys(self, user_id: str, registered: list[dict[str, Any]]) -> None:
        """Keep a user's registered keys (X's public_keys answer) in the form the SDK verifies with."""
        keys = [
            signing_key(user_id, key, str(key.get("public_key_version", "")))
            for key in registered
            if key.get("signing_public_key")
        ]
        self.signing[user_id] = (keys, self.clock())

    def forget_stale_signing_keys(self, user_id: str) -> bool:
        """Forget a user's keys (to read them again) unless they were read within the minute; whether it did."""
        entry = self.signing.get(user_id)
        if entry is None or self.clock() - entry[1] < SIGNING_KEYS_REREAD_SECONDS:
            return False
        del self.signing[user_id]
        return True

    def signing_keys(self, user_id: str) -> list[dict[str, str]]:
        """The keys that may sign in the conversation with a user: theirs and the account's own."""
        return [*self.signing.get(user_id, ([], 0.0))[0], self.own_key]

    def open_key_changes(self, user_id: str, events: list[str]) -> None:
        """Learn the keys of the one-to-one conversation with a user from key changes that verified.

        A key is adopted only from a key change whose signature verified, made by one of the two
        participants, for this very conversation: the SDK opens every key it can, but one from a
        forged change, a third party's, or a group's never touches this conversation.
        """
        if not events:
            return
        opened = self.sdk.open_key_changes(events, self.signing_keys(user_id))
        keys = opened.get("conversation_keys", {}).get("keys") or {}
        participants = {self.account_id, user_id}
        verified = {
            str(event.get("key_version"))
            for message in opened.get("messages") or []
            if isinstance(event := (message or {}).get("event"), dict)
            and event.get("type") == "KeyChange"
            and event.get("verified") is True
            and str(event.get("sender_id")) in participants
            and set(str(event.get("conversation_id", "")).split(":")) == participants
        }
        learnt = {str(version): bytes(key) for version, key in keys.items() if str(version) in verified}
        self.conversations.setdefault(user_id, {}).update(learnt)

    def conversation_keys(self, user_id: str) -> dict[str, bytes]:
        """The conversation keys learnt for the conversation with a user, by version."""
        return self.conversations.get(user_id, {})

    def seal_text(self, user_id: str, text: str) -> str:
        """Text encrypted with the conversation's newest key, marked with that key's version."""
        keys = self.conversation_keys(user_id)
        version = newest(keys)
        if version is None:
            raise ValueError("no conversation key to seal with")
        return f"{SEALED_PREFIX}{version}:{self.sdk.seal(text, keys[version])}"

    def unseal_text(self, user_id: str, stored: str) -> str | None:
        """Text sealed by seal_text, or None when its key is not at hand (it is then as if nothing was kept)."""
        version, _, ciphertext = stored.removeprefix(SEALED_PREFIX).partition(":")
        key = self.conversation_keys(user_id).get(version)
        if not stored.startswith(SEALED_PREFIX) or key is None:
            return None
        try:
            return self.sdk.unseal(ciphertext, key)
        except ValueError:
            return None


@cache
def keyring_for(account_id: str, key_version: str, private_keys: bytes) -> Keyring:
    """The account's keyring, made once per key (X's SDK is loaded then: only XChat pays for it)."""
    return Keyring(account_id, Identity.of_account(account_id, private_keys, key_version), {})


def keyring_of(account_id: str, secret: XChatSecret) -> Keyring:
    """The account's keyring for the keys its secret holds now."""
    keyring = keyring_for(account_id, secret.key_version, secret.private_keys)
    keyring.own_key = signing_key(account_id, secret.registration.get("public_key", {}), secret.key_version)
    return keyring
