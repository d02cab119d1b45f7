"""How answering a DM can end other than answered: each tells the queue what to do with the DM."""


class NotStartedError(Exception):
    """Too little of the function's time is left to answer the DM: it goes back at once, untouched."""


class HeldError(Exception):
    """X's send window for the account is spent: the DM waits until it resets, and that costs it no attempt."""

    def __init__(self, until: float) -> None:
        super().__init__(f"X's send window is spent until {until:.0f}")
        self.until = until


class RetryLaterError(Exception):
    """The attempt failed (the bot or X could not answer now): the DM goes back to the queue."""


class DeadLetterError(Exception):
    """The DM cannot be answered by trying again: it goes to the dead-letter queue with this reason."""


class UnreadableError(Exception):
    """An encrypted message that is not to be answered: it did not verify, or is no one-to-one text message."""

    def __init__(self, reason: str, *, verified: bool) -> None:
        super().__init__(reason)
        self.verified = verified  # False: the message failed verification or decryption (fail closed)
