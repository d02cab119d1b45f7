"""What the channel keeps of an XChat conversation is sealed with the conversation's key (real cryptography)."""

from chat_xdk import Chat

from dmchannel.storage.sealing import PLAIN
from dmchannel.xchat.keyring import Keyring, newest
from dmchannel.xchat.sdk import Identity

USER = "3001969357"


def keyring_with(keys: dict[str, bytes]) -> Keyring:
    keyring = Keyring("4337869213", Identity(Chat()), {})
    keyring.conversations[USER] = keys
    return keyring


def test_sealed_text_opens_with_its_key_only() -> None:
    keyring = keyring_with({"17": bytes(range(32)), "9": bytes(32)})
    sealed = keyring.seal_text(USER, '[["What is this?", "intent:what"]]')
    assert sealed.startswith("xchat:17:") and "intent" not in sealed  # the newest key, and no plaintext
    assert keyring.unseal_text(USER, sealed) == '[["What is this?", "intent:what"]]'
    assert keyring_with({"9": bytes(32)}).unseal_text(USER, sealed) is None  # its key is gone: nothing was kept
    assert keyring.unseal_text(USER, sealed[:-8] + "AAAAAAA=") is None  # tampered
    assert keyring.unseal_text(USER, '[["plain", "text"]]') is None  # never read as if sealed
    assert PLAIN.unseal_text(sealed) is None  # nor sealed text as plain (the same user on a legacy surface)


def test_the_newest_key_version_is_the_greatest_number() -> None:
    assert newest(["9", "17", "1795580291937", "1795580178569"]) == "1795580291937"
    assert newest([]) is None
