"""A person taking a conversation from the bot: the takeover (``human#``) and the channel's own texts (``outgoing#``).

A person answering from the account, or a user asking for one, gives the conversation to a
person for a while. The channel notes each text it sends (links and spacing left out, hashed)
before X is called, so that X's echo of it is never taken for a person's message.
"""

import hashlib
import re
from dataclasses import dataclass

from dmchannel.storage.table import AccountItems, Prefix

OUTGOING_TTL_SECONDS = 6 * 86_400  # X replays up to about 5 days of events
LINK = re.compile(r"https?://\S+")


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

    def note_outgoing_id(self, user_id: str, message_id: str) -> None:
        """Note an XChat message the channel is about to send, by its id (its text is never kept)."""
        expires = str(int(self.clock()) + OUTGOING_TTL_SECONDS)
        key = Prefix.OUTGOING.key(self.account_id, user_id, f"id:{message_id}")
        self.dynamodb.put_item(TableName=self.table, Item={**key, "expires_at": {"N": expires}})

    def sent_id_by_channel(self, user_id: str, message_id: str) -> bool:
        """Whether the channel sent (or was about to send) the XChat message with this id to the user."""
        return bool(self._get(Prefix.OUTGOING.key(self.account_id, user_id, f"id:{message_id}")))
