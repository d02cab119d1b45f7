"""The requests the webhook refuses, by kind; the function maps each kind to its HTTP status."""

from collections.abc import Sequence

from dmchannel.queued_dm import QueuedDM


class WebhookError(Exception):
    """A request the webhook cannot take; the message is what the caller is told."""


class BadCrcTokenError(WebhookError):
    """A CRC without a crc_token, or with one not shaped like X's."""


class BadSignatureError(WebhookError):
    """A POST without X's signature, or with a signature the consumer secret did not make."""


class MalformedDeliveryError(WebhookError):
    """A POST whose body is not UTF-8 JSON text (valid Unicode, nested within bounds) holding an object."""


class DeliveryTooLargeError(WebhookError):
    """A POST whose body is larger than any delivery of X's: refused before it is read."""


class QueueRefusedError(WebhookError):
    """Some DMs could not be put on the queue: X must deliver again."""

    def __init__(self, failed: Sequence[QueuedDM], detail: str) -> None:
        super().__init__("could not queue the delivery, please retry")
        self.failed = list(failed)
        self.detail = f"{len(self.failed)} DM(s) not queued: {detail}"
