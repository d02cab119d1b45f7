"""The queued DM: the one shape a DM has between the webhook and the responder, whatever surface brought it.

`to_body()` writes the queue message's JSON and `from_body()` reads it back; nothing
else knows that JSON. Each surface's parser on the webhook side yields QueuedDMs.
"""

import json
from enum import StrEnum
from typing import Any, NamedTuple

REASON_ATTRIBUTE = "reason"  # the message attribute a dead-lettered DM carries: why (never its text)

BODY_VERSION = 1
# Left out of the body when empty (None or ""): XChat's on a legacy DM, and the fields added since the
# first version, so that a body without them (queued by an earlier version) reads as it did.
OPTIONAL_FIELDS = (
    "encoded_event",
    "key_change_event",
    "key_version",
    "text_with_links",
    "latitude",
    "longitude",
    "place_name",
)

# The characters SQS refuses in a message (besides the control ones JSON escapes anyway): they can only be
# in a JSON string, where their escape means the same.
SQS_REFUSED_ESCAPED = str.maketrans({"\ufffe": "\\ufffe", "\uffff": "\\uffff"})


class Surface(StrEnum):
    """Where X delivered the DM from (and so how to answer it)."""

    ACCOUNT_ACTIVITY = "account_activity"
    ACTIVITY_API = "activity_api"  # the X Activity API's dm.received
    XCHAT = "xchat"  # the X Activity API's chat.received: end-to-end encrypted, read by the responder only


class MalformedQueuedDMError(ValueError):
    """A queue message that is not a queued DM."""


class QueuedDM(NamedTuple):
    """A DM a user sent to a bot account, as the responder needs it: text already HTML-unescaped, ids as strings.

    A NamedTuple (``_replace`` makes a changed copy): a frozen dataclass of this size costs the webhook's
    cold start 2 ms to make.
    """

    surface: Surface
    account_id: str  # the bot account the DM was sent to
    dm_id: str  # X's id of the DM event
    sender_id: str
    text: str
    sender_name: str = ""
    sender_screen_name: str = ""
    button_payload: str | None = None  # the metadata of a tapped quick-reply option
    attachment_type: str | None = None  # photo, animated_gif, video (X's media types) or location
    attachment_url: str | None = None  # a photo's image; an animated GIF's or a video's best MP4
    created_at_ms: int | None = None  # when the user sent it, by X's clock
    recipient_id: str = ""  # set on the account's own messages (X's echoes, dm.sent): the user it went to
    # XChat: the message as X delivered it (base64 Thrift, encrypted and signed); text stays empty on the queue.
    encoded_event: str = ""
    key_change_event: str = ""  # the conversation key's signed change event, when X includes it
    key_version: str = ""  # the conversation key version X says the message uses
    # The text with each t.co link replaced by the URL it stands for (what the bot reads); "" when it has none.
    text_with_links: str = ""
    latitude: float | None = None  # a shared location's, or its place's centre
    longitude: float | None = None
    place_name: str = ""  # a shared place's name, when X gives one

    @property
    def from_account(self) -> bool:
        """A message the account itself sent (by the channel, or by a person answering by hand)."""
        return bool(self.recipient_id)

    @property
    def conversation_id(self) -> str:
        """The bot account and the user: one FIFO message group each, so one conversation is answered in order."""
        return f"{self.account_id}-{self.recipient_id or self.sender_id}"

    @property
    def deduplication_id(self) -> str:
        """The account, X's id of the DM and its surface: a surface's re-deliveries are queued once.

        The same DM from the Account Activity API and the X Activity API is queued once from each, so
        that its record learns both (``migrate status``); its record answers it once.
        """
        return f"{self.account_id}-{self.dm_id}-{self.surface.value}"

    def to_body(self) -> str:
        """The queue message body (compact JSON, with its format's version)."""
        fields = {
            name: value
            for name, value in self._asdict().items()
            if name not in OPTIONAL_FIELDS or value not in (None, "")
        }
        body = json.dumps({"v": BODY_VERSION, **fields}, ensure_ascii=False, separators=(",", ":"))
        return body.translate(SQS_REFUSED_ESCAPED)

    @classmethod
    def from_body(cls, body: str) -> "QueuedDM":
        """Read a queue message body written by to_body()."""
        try:
            fields: dict[str, Any] = json.loads(body)
            if fields.pop("v", None) != BODY_VERSION:
                raise MalformedQueuedDMError(f"not a version {BODY_VERSION} queued DM")
            return cls(**{**fields, "surface": Surface(fields["surface"])})
        except (ValueError, TypeError, KeyError) as error:
            raise MalformedQueuedDMError(f"the queue message is not a queued DM: {error}") from error
