"""How text the channel keeps for later (numbered menus, the assistant's memory) is stored.

Legacy DMs keep it as it is. An XChat conversation's is kept sealed: encrypted with the
conversation's key, so DynamoDB never holds an encrypted conversation's plaintext.
"""

from typing import Protocol


class Sealer(Protocol):
    """Seals text before it is stored and opens it when it is read back."""

    def seal_text(self, text: str) -> str:
        """The stored form of text."""

    def unseal_text(self, stored: str) -> str | None:
        """The text again (None: it can no longer be opened, so it is as if nothing was kept)."""


SEALED_PREFIX = "xchat:"  # what sealed text starts with


class Plain:
    """Stores text as it is (legacy DMs, which X itself holds in plaintext)."""

    def seal_text(self, text: str) -> str:
        """The text itself."""
        return text

    def unseal_text(self, stored: str) -> str | None:
        """The text itself; None for text an XChat conversation sealed (the same user, on the other surface)."""
        return None if stored.startswith(SEALED_PREFIX) else stored


PLAIN = Plain()
