"""The channel's own sends (``outgoing#``): a message from the account that the channel did not send is a person's.

The channel notes each reply it sends (a legacy one by its text, links and spacing left out,
hashed; an XChat one by its id) with the reply's reservation, before X is called, so that X's
echo of it is never taken for a person taking the conversation over.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from dmchannel.storage.table import AccountItems, Item, Prefix, Write
from dmchannel.x.message import OutboundMessage

OUTGOING_TTL_SECONDS = 6 * 86_400  # X replays up to about 5 days of events
LINK = re.compile(r"https?://\S+")
LAST_SEND = "last"  # outgoing#ACCOUNT#USER#last: the newest XChat message sent in the conversation
FAILURE_REPORTED_WITHIN_SECONDS = 15 * 60  # a Failure naming no message of ours is about the newest send this recent


@dataclass(frozen=True)
class OwnSend:
    """An XChat message of ours, by the DM it answered and its place in that answer."""

    dm_id: str
    index: int
    at: float


def _fingerprint(text: str) -> str:
    """A message's text, as X echoes it or not: links (X shortens them) and spacing left out, then hashed."""
    plain = " ".join(LINK.sub(" ", text).split())
    return hashlib.sha256(plain.encode()).hexdigest()[:32]


@dataclass
class OwnSends(AccountItems):
    """What the channel itself sent in one account's conversations."""

    def notes(self, user_id: str, message: OutboundMessage, dm_id: str, index: int) -> list[Write]:
        """The notes of a reply the channel is about to send, written with its reservation (before X is called).

        A legacy reply is noted by its text; an XChat one by its id (its text is never kept), as the
        conversation's newest, with what it answered: a Failure X reports later finds the reply it is about.
        """
        now = int(self.clock())
        noted = {"expires_at": {"N": str(now + OUTGOING_TTL_SECONDS)}}
        if not message.encrypted_body:
            return [self._put({**Prefix.OUTGOING.key(self.account_id, user_id, _fingerprint(message.text)), **noted})]
        message_id = str(json.loads(message.encrypted_body)["message_id"])
        noted |= {"dm_id": {"S": dm_id}, "index": {"N": str(index)}, "at": {"N": str(now)}}
        return [
            self._put({**Prefix.OUTGOING.key(self.account_id, user_id, part), **noted})
            for part in (_id(message_id), LAST_SEND)
        ]

    def _put(self, item: Item) -> Write:
        return {"Put": {"TableName": self.table, "Item": item}}

    def sent_by_channel(self, user_id: str, text: str) -> bool:
        """Whether the channel sent (or was about to send) this text to the user in the last days."""
        return bool(self._get(Prefix.OUTGOING.key(self.account_id, user_id, _fingerprint(text))))

    def sent_id_by_channel(self, user_id: str, message_id: str) -> bool:
        """Whether the channel sent (or was about to send) the XChat message with this id to the user."""
        return bool(self._get(Prefix.OUTGOING.key(self.account_id, user_id, _id(message_id))))

    def failed_send(self, user_id: str, message_id: str, at: float) -> OwnSend | None:
        """The message of ours a Failure is about: the one with its id, else the newest sent shortly before it."""
        named = _own_send(self._get(Prefix.OUTGOING.key(self.account_id, user_id, _id(message_id))))
        if named:
            return named
        last = _own_send(self._get(Prefix.OUTGOING.key(self.account_id, user_id, LAST_SEND)))
        recent = last and -60 <= at - last.at <= FAILURE_REPORTED_WITHIN_SECONDS  # a minute of clock skew
        return last if recent else None


def _id(message_id: str) -> str:
    return f"id:{message_id}"


def _own_send(item: dict[str, Any]) -> OwnSend | None:
    """A noted send (None: none, or one noted before sends named their DM)."""
    if "dm_id" not in item:
        return None
    return OwnSend(item["dm_id"]["S"], int(item["index"]["N"]), float(item["at"]["N"]))
