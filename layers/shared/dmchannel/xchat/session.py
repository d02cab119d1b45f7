"""One XChat DM, read and answered: the responder's surface client for XChat, and the sealer of what it keeps.

Reading is fail-closed: the conversation key comes only from a signed key-change event (the
delivery's, or else the conversation's events at X), the sender's signing key from X, and a
message that does not verify is never answered. Answering encrypts each reply once, as a
reply to the user's message, before the plan is stored: a retry posts the same bytes, so
the user sees one message (the SDK mints the message id inside the signature).
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dmchannel.credentials import SECRET_MAX_AGE_SECONDS, SecretUnreadableError, load_secret
from dmchannel.observability import Metric, count, count_by
from dmchannel.queued_dm import QueuedDM
from dmchannel.responder.lifecycle import Ended, Rule, dead_letter, retry_later, unanswered
from dmchannel.x.errors import ErrorKind, XApiError
from dmchannel.x.message import OutboundMessage
from dmchannel.x.sent import Sent
from dmchannel.x.surface_client import Plan, SendFailed
from dmchannel.xchat.api import ChatApi, TokenSource
from dmchannel.xchat.envelope import signed_ids
from dmchannel.xchat.keyring import Keyring, keyring_of, newest
from dmchannel.xchat.secret import XChatSecretError, token_source, xchat_secret_from

TYPING_EVERY_SECONDS = 4.0  # XChat's typing indicator expires within seconds
PREVIEW_CHARS = 140  # of the user's text, shown by the later replies of an answer as what they answer


@dataclass(frozen=True)
class _Opened:
    """What answering needs of the DM read (in memory only: the stored plan holds it encrypted, if at all)."""

    user_id: str
    conversation_id: str  # the decrypted one: the signatures cover it
    sequence_id: str
    encoded_event: str  # the user's message, which the first reply quotes whole
    preview: str  # the start of the user's text, which the later replies show as what they answer
    key_version: str  # the conversation key the message came under: its replies go under it too


def _is_group(conversation_id: str) -> bool:
    """Whether a conversation id names a group (g...), not two people (the lower user id, a colon, the higher)."""
    people = conversation_id.split(":")
    return bool(conversation_id) and not (len(people) == 2 and all(person.isdigit() for person in people))


def _button_payload(content: dict[str, Any]) -> str | None:
    """The metadata of the quick-reply option the user tapped, if they tapped one."""
    response = (content.get("quick_reply") or {}).get("response") or {}
    metadata = (response.get("options") or {}).get("metadata")
    return str(metadata) if metadata is not None else None


def _quick_reply(message: OutboundMessage, request_id: str) -> dict[str, Any] | None:
    if not message.options:
        return None
    options = [
        {"id": str(number), "label": option.label, "metadata": option.metadata}
        | ({"description": option.description} if option.description else {})
        for number, option in enumerate(message.options, 1)
    ]
    return {"request": {"options": {"id": request_id, "options": options}}}


@dataclass
class XChatSession:
    """Reads one XChat DM and answers it, as the account whose keyring and token it has."""

    api: ChatApi
    keyring: Keyring
    quick_replies = True  # sent as XChat's quick-reply options...
    numbered_choices = True  # ...and written as a numbered list too: whether X's apps show the options is unconfirmed
    courtesy = True
    typing_every = TYPING_EVERY_SECONDS
    _opened: _Opened | None = None

    @property
    def read_timeout(self) -> float:
        """How long a call to X may wait for its answer."""
        return self.api.read_timeout

    def _x(self, call: Any, *args: Any) -> Any:
        """A call to X while reading: a failure that may pass comes back later, a refusal leaves the DM unread."""
        try:
            return call(*args)
        except XApiError as error:
            if error.kind in (ErrorKind.UNAUTHORIZED, ErrorKind.OUT_OF_CREDITS):
                raise  # the responder holds the DM until X takes the account's token, or the app's sends
            if error.kind is ErrorKind.PERMANENT:
                raise unanswered(Rule.UNREADABLE, f"X refused: {error}") from error
            raise retry_later(str(error)) from error

    def _learn_keys(self, dm: QueuedDM, from_x: bool) -> None:
        keyring, user = self.keyring, dm.sender_id
        if not keyring.knows_signing_keys_of(user):
            keyring.learn_signing_keys(user, self._x(self.api.public_keys, user))
        if from_x:
            events = self._x(self.api.conversation_events, user)
            found = (events.get("meta") or {}).get("conversation_key_events") or []
            keyring.open_key_changes(user, [str(event) for event in found])
        elif dm.key_change_event:
            keyring.open_key_changes(user, [dm.key_change_event])

    def _decrypt(self, dm: QueuedDM) -> dict[str, Any]:
        """The verified event; the conversation's key is fetched from X when the delivery did not bring it."""
        self._learn_keys(dm, from_x=False)
        keys = self.keyring.conversation_keys(dm.sender_id)
        fetched = not keys or bool(dm.key_version and dm.key_version not in keys)
        if fetched:
            self._learn_keys(dm, from_x=True)
        while True:
            keys, signing = self.keyring.conversation_keys(dm.sender_id), self.keyring.signing_keys(dm.sender_id)
            try:
                return self.keyring.sdk.decrypt_event(dm.encoded_event, keys, signing)
            except ValueError as error:
                if fetched:
                    raise unanswered(Rule.UNREADABLE, f"did not verify: {type(error).__name__}") from error
            self._learn_keys(dm, from_x=True)  # a key version the delivery did not name
            fetched = True

    def _verified(self, dm: QueuedDM) -> dict[str, Any]:
        event = self._decrypt(dm)
        if event.get("type") == "Failure":  # X saying a message of ours failed (RateLimitUpsell, ...): never a person's
            kind = str(event.get("failure") or "unknown")
            count_by(Metric.XCHAT_FAILURES, "kind", kind)
            count(Metric.XCHAT_FAILURES)  # all kinds together, for the alarm
            at = float(event.get("created_at_msec") or dm.created_at_ms or 0) / 1000
            raise SendFailed(kind, str(event.get("id") or ""), at)
        if not event.get("verified"):
            raise unanswered(Rule.UNREADABLE, "not verified")
        return event

    def open(self, dm: QueuedDM) -> QueuedDM:
        """The DM decrypted and verified (its text in memory only), or Ended: unanswered, unreadable or not answerable.

        A message that does not verify is tried once more with the sender's keys read again from X
        (at most once a minute): a person who registered new keys is answered at once.
        """
        signed = signed_ids(dm.encoded_event)
        if signed and _is_group(signed.conversation_id):
            # A group's message (its envelope says so): never answered, so neither keys nor X are needed for it.
            raise unanswered(Rule.NOT_ANSWERABLE, "not a one-to-one conversation with the account")
        try:
            event = self._verified(dm)
        except Ended:
            if not self.keyring.forget_stale_signing_keys(dm.sender_id):
                raise
            event = self._verified(dm)
        if str(event.get("sender_id")) != dm.sender_id or str(event.get("id")) != dm.dm_id:
            raise unanswered(Rule.UNREADABLE, "the signed sender or message id is not the one delivered")
        kind = str(event.get("type"))
        conversation_id = str(event.get("conversation_id", ""))
        if kind != "Message":
            raise unanswered(Rule.NOT_ANSWERABLE, f"an XChat {kind} event: only text messages are answered")
        if not self._one_to_one(conversation_id, dm):
            raise unanswered(Rule.NOT_ANSWERABLE, "not a one-to-one conversation with the account")
        content = event.get("content") or {}
        if content.get("content_type") != "Text" or content.get("attachments"):
            raise unanswered(Rule.NOT_ANSWERABLE, "not a text message (media)")
        text = str(content.get("text", ""))
        sequence_id = str(event.get("sequence_id", ""))
        self._opened = _Opened(
            dm.sender_id, conversation_id, sequence_id, dm.encoded_event, text[:PREVIEW_CHARS], dm.key_version
        )
        return dm._replace(text=text, button_payload=_button_payload(content))

    @staticmethod
    def _one_to_one(conversation_id: str, dm: QueuedDM) -> bool:
        """Whether the conversation is the account's with the DM's sender alone."""
        return set(conversation_id.split(":")) == {dm.account_id, dm.sender_id}

    def _conversation(self) -> tuple[_Opened, str, bytes]:
        if self._opened is None:
            raise RuntimeError("open() the DM first")
        keys = self.keyring.conversation_keys(self._opened.user_id)
        version = self._opened.key_version if self._opened.key_version in keys else newest(keys)
        if version is None:
            raise RuntimeError("no conversation key")
        return self._opened, version, keys[version]

    def encrypt(self, plan: Plan) -> Plan:
        """Each reply encrypted and signed once, as a reply to the user's message; nothing of its text is kept.

        The first reply quotes the user's signed message whole (the apps check the quote against
        it); the later ones name it by its sequence id with a short preview, so that a long
        message is not copied into every reply of the plan.
        """
        opened, version, key = self._conversation()
        encrypted = []
        for index, message in enumerate(plan):
            quoted: dict[str, Any] = (
                {"reply_to_event": opened.encoded_event}
                if index == 0
                else {
                    "reply_to_sequence_id": opened.sequence_id,
                    "reply_to_sender_id": int(opened.user_id),
                    "reply_to_text": opened.preview,
                }
            )
            body = self.keyring.sdk.encrypt_reply(
                opened.conversation_id,
                message.text,
                (version, key),
                quoted,
                _quick_reply(message, f"{opened.sequence_id}-{index}"),
            )
            encrypted.append(OutboundMessage("", encrypted_body=json.dumps(body, separators=(",", ":"))))
        return tuple(encrypted)

    def send_dm(self, recipient_id: str, message: OutboundMessage) -> Sent:
        """Post the stored encrypted body, byte for byte."""
        return self.api.send(recipient_id, json.loads(message.encrypted_body))

    def indicate_typing(self, recipient_id: str) -> None:
        """Show the typing indicator in the conversation."""
        self.api.typing(recipient_id)

    def mark_read(self, recipient_id: str, last_read_event_id: str) -> None:
        """Mark the conversation read up to the user's message (by its sequence id)."""
        if self._opened is not None and self._opened.sequence_id:
            self.api.mark_read(recipient_id, self._opened.sequence_id)

    def seal_text(self, text: str) -> str:
        """Text kept for later, encrypted with the conversation's key."""
        return self.keyring.seal_text(self._conversation()[0].user_id, text)

    def unseal_text(self, stored: str) -> str | None:
        """Text kept for later, opened (None when its key is not at hand)."""
        return self.keyring.unseal_text(self._conversation()[0].user_id, stored)


@dataclass
class FirstSecret:
    """Which of the places an account's XChat material may be holds it (a secret not found: the next is looked at).

    One found missing is not asked for again while a found one would be cached, so that an account
    whose material is where it was set up before costs no failed read per DM.
    """

    clock: Callable[[], float] = time.time
    _absent: dict[str, float] = field(default_factory=dict)  # secret id -> when it was found missing

    def of(self, secret_ids: tuple[str, ...]) -> str:
        """The first of the secrets that exists, else the last."""
        for secret_id in secret_ids[:-1]:
            if self.clock() - self._absent.get(secret_id, -SECRET_MAX_AGE_SECONDS) < SECRET_MAX_AGE_SECONDS:
                continue
            try:
                load_secret(secret_id)
            except SecretUnreadableError as error:
                if not error.missing:
                    raise
                self._absent[secret_id] = self.clock()
                continue
            return secret_id
        return secret_ids[-1]


def xchat_session(account_id: str, secret_id: str, api: Callable[[TokenSource], ChatApi]) -> XChatSession:
    """The session of one DM to the account: its keyring (cached) and the Chat API with its newest token.

    Ended (dead-lettered) when the secret holds no XChat keys: the DM waits on the dead-letter queue.
    """
    try:
        secret = xchat_secret_from(load_secret(secret_id), secret_id)
    except XChatSecretError as error:
        raise dead_letter(str(error)) from error
    return XChatSession(api(token_source(secret_id)), keyring_of(account_id, secret))
