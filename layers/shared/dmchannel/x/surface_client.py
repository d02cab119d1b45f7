"""What the responder needs of the surface a DM came through: read it, seal its plan, send, show courtesy.

Legacy DMs (``XClient``: OAuth 1.0a, v1.1 or v2) are read as queued and sent as planned;
XChat (``dmchannel.xchat.session``) decrypts the DM and encrypts the plan before it is stored,
and reads X's ``Failure`` events, which say after the fact that one of our sends failed.
"""

from dataclasses import dataclass
from typing import Protocol

from dmchannel.queued_dm import QueuedDM
from dmchannel.x.message import OutboundMessage
from dmchannel.x.sent import Sent

Plan = tuple[OutboundMessage, ...]

# X's Failure kinds (XChat) that say our tier's sending is throttled: the account's sends wait this long, then go on.
THROTTLED_KINDS = frozenset({"RateLimitUpsell", "TooManyMessages"})
THROTTLED_HOLD_SECONDS = 15 * 60  # X names no window: its rate-limit windows are 15 minutes
# Kinds the same bytes cannot cure: the reply needs a new encryption (its text is never kept) or a person's trust.
NOT_RESENDABLE_KINDS = frozenset({"RecipientKeyChanged", "NonLatestKeyVersion", "RecipientNotTrusted"})


@dataclass(frozen=True)
class SendFailed(Exception):  # noqa: N818 - X's report, not our error
    """X reported, after taking it, that a message of ours failed (an XChat ``Failure`` event): never a person's."""

    kind: str  # RateLimitUpsell, RecipientKeyChanged, ...
    message_id: str  # the Failure's own id (whether X sets it to the failed message's is unconfirmed)
    at: float  # when X says it failed (epoch seconds)

    @property
    def hold_seconds(self) -> int:
        """How long the account's sends wait (a throttled tier), or 0."""
        return THROTTLED_HOLD_SECONDS if self.kind in THROTTLED_KINDS else 0

    @property
    def resendable(self) -> bool:
        """Whether sending the same stored bytes again may succeed."""
        return self.kind not in NOT_RESENDABLE_KINDS


class SurfaceClient(Protocol):
    """Reads and answers the DMs of one surface as the bot account."""

    @property
    def read_timeout(self) -> float:
        """How long a call to X may wait for its answer."""

    @property
    def quick_replies(self) -> bool:
        """Whether buttons can be sent as X's quick-reply options."""

    @property
    def numbered_choices(self) -> bool:
        """Whether buttons are also written as a numbered list (answered by number or title)."""

    @property
    def courtesy(self) -> bool:
        """Whether the surface has read receipts and typing indicators."""

    @property
    def typing_every(self) -> float | None:
        """How often the typing indicator is shown again while the bot thinks (None: once)."""

    def open(self, dm: QueuedDM) -> QueuedDM:
        """The DM as the bot reads it (XChat: decrypted, verified); Ended by a rule; SendFailed: X's Failure report."""

    def encrypt(self, plan: Plan) -> Plan:
        """The plan as it is stored and sent (XChat: encrypted, so a retry sends the same bytes)."""

    def send_dm(self, recipient_id: str, message: OutboundMessage) -> Sent:
        """Send one DM of the plan."""

    def indicate_typing(self, recipient_id: str) -> None:
        """Show the typing indicator to the user for a few seconds."""

    def mark_read(self, recipient_id: str, last_read_event_id: str) -> None:
        """Mark the user's messages read up to the DM."""
