"""A person taking a conversation from the bot: the takeover (``human#``) and the channel's own texts (``outgoing#``).

A person answering from the account, or a user asking for one, gives the conversation to a
person for a while. The channel notes each text it sends (links and spacing left out, hashed)
before X is called, so that X's echo of it is never taken for a person's message.
"""

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from dmchannel.storage.table import AccountItems, Prefix

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
class Takeovers(AccountItems):
    """Which of one account's conversations a person has, and what the channel itself sent."""

    def hand_to_person(self, user_id: str, seconds: int) -> None:
        """A person has the conversation for the next seconds: the bot stays quiet in it."""
        until = str(int(self.clock()) + seconds)
        item = {**Prefix.HUMAN.key(self.account_id, user_id), "until": {"N": until}, "expires_at": {"N": until}}
        self.dynamodb.put_item(TableName=self.table, Item=item)

    def with_person(self, user_id: str) -> bool:
        """Whether a person has the conversation now."""
        item = self._get(Prefix.HUMAN.key(self.account_id, user_id))
        return float(item.get("until", {}).get("N", "0")) > self.clock()

    def give_back_to_bot(self, user_id: str) -> bool:
        """End a person's takeover; False when there was none."""
        answer = self.dynamodb.delete_item(
            TableName=self.table, Key=Prefix.HUMAN.key(self.account_id, user_id), ReturnValues="ALL_OLD"
        )
        return float(answer.get("Attributes", {}).get("until", {}).get("N", "0")) > self.clock()

    def note_outgoing(self, user_id: str, text: str) -> None:
        """Note a message the channel is about to send, before X is called: its echo may come first."""
        expires = str(int(self.clock()) + OUTGOING_TTL_SECONDS)
        key = Prefix.OUTGOING.key(self.account_id, user_id, _fingerprint(text))
        self.dynamodb.put_item(TableName=self.table, Item={**key, "expires_at": {"N": expires}})

    def sent_by_channel(self, user_id: str, text: str) -> bool:
        """Whether the channel sent (or was about to send) this text to the user in the last days."""
        return bool(self._get(Prefix.OUTGOING.key(self.account_id, user_id, _fingerprint(text))))

    def note_outgoing_id(self, user_id: str, message_id: str, dm_id: str, index: int) -> None:
        """Note an XChat message the channel is about to send, by its id (its text is never kept), and as the newest.

        What it answered is noted with it: a Failure X reports later finds the reply it is about.
        """
        now = int(self.clock())
        what = {"dm_id": {"S": dm_id}, "index": {"N": str(index)}, "at": {"N": str(now)}}
        what |= {"expires_at": {"N": str(now + OUTGOING_TTL_SECONDS)}}
        items = [
            {**Prefix.OUTGOING.key(self.account_id, user_id, part), **what} for part in (_id(message_id), LAST_SEND)
        ]
        request: Any = {self.table: [{"PutRequest": {"Item": item}} for item in items]}
        while request:
            request = self.dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or None

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
