"""A DM as X takes it: text and quick-reply options, or (XChat) the encrypted body X will receive."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    """A quick-reply option."""

    label: str
    metadata: str
    description: str | None = None


@dataclass(frozen=True)
class OutboundMessage:
    """One DM to send."""

    text: str
    options: tuple[Option, ...] = ()
    encrypted_body: str = (
        ""  # XChat: the encrypted send body (JSON), stored and re-sent byte for byte; text is then empty
    )
