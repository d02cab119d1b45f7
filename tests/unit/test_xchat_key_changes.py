"""Conversation keys come only from key changes that verified, by a participant, for that very conversation.

With X's own test vectors (tests/data, MIT: see the notice beside them) and real cryptography.
"""

import base64
import json

from dmchannel.xchat.keyring import Keyring, signing_key
from dmchannel.xchat.sdk import Identity
from tests.conftest import ROOT

VECTORS: dict[str, str] = json.loads((ROOT / "tests" / "data" / "chatxdk-sdk-vectors.json").read_text())
SENDER, VERSION = VECTORS["event_sender_id"], VECTORS["event_conversation_key_version"]


def keyring_of(account_id: str, *, trusted: bool = True) -> Keyring:
    identity = Identity.of_account(
        account_id, base64.b64decode(VECTORS["private_keys_concat_b64"]), VECTORS["event_recipient_key_version"]
    )
    registered = {
        "public_key_version": VECTORS["event_signing_key_version"],
        "signing_public_key": VECTORS["signing_public_b64"] if trusted else VECTORS["identity_public_b64"],
        "public_key": VECTORS["identity_public_b64"],
        "identity_public_key_signature": VECTORS["identity_public_key_signature_b64"],
    }
    keyring = Keyring(account_id, identity, signing_key(account_id, registered, VECTORS["event_recipient_key_version"]))
    keyring.learn_signing_keys(SENDER, [registered])
    return keyring


def test_a_verified_key_change_of_the_conversation_teaches_its_key() -> None:
    keyring = keyring_of("2222")
    keyring.open_key_changes(SENDER, [VECTORS["event_key_change_b64"]])
    assert keyring.conversation_keys(SENDER) == {VERSION: base64.b64decode(VECTORS["conversation_key_b64"])}


def test_a_key_change_of_another_conversation_teaches_nothing() -> None:
    keyring = keyring_of("3333")  # 1111:2222's key change, read by an account that is not in that conversation
    keyring.open_key_changes(SENDER, [VECTORS["event_key_change_b64"]])
    assert keyring.conversation_keys(SENDER) == {}


def test_a_key_change_that_does_not_verify_teaches_nothing() -> None:
    keyring = keyring_of("2222", trusted=False)  # the sender's signing key is not the one that signed it
    keyring.open_key_changes(SENDER, [VECTORS["event_key_change_b64"]])
    assert keyring.conversation_keys(SENDER) == {}
