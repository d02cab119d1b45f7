"""XChat message requests: a stranger's first messages wait in the account's requests, and may never reach the webhook.

A scheduled run reads each account's pending requests to the end (a page may be empty with
more after it, and accepting mid-way may skip or repeat one: ids are deduplicated). With
``XChatAcceptRequests`` at ``everyone`` it accepts each, then queues every message of that
conversation from the last 24 hours that the channel has not seen, just as the webhook would
have queued it: the DM's record, keyed by the signed message id, is what says it was seen, so
a message that reaches both the webhook and this run is answered once. At ``none`` requests
are left pending, unanswered, and counted. Nothing is decrypted here.
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from dmchannel.credentials import SecretUnreadableError, load_secret
from dmchannel.observability import Metric, count, logger
from dmchannel.queued_dm import QueuedDM, Surface
from dmchannel.storage.dm_records import DmRecords
from dmchannel.x.errors import XApiError
from dmchannel.x.limits import REPLY_WINDOW_SECONDS
from dmchannel.xchat.api import ChatApi, TokenSource, items_of
from dmchannel.xchat.envelope import signed_ids
from dmchannel.xchat.secret import XChatSecretError, token_source, xchat_secret_from

MAX_PAGES = 50  # of pending requests read in one run (X's pages may be empty): the next run goes on
SECONDS_PER_ACCOUNT = 15  # what one account's pick-up may take at most: the run stops before its deadline


class AcceptPolicy(StrEnum):
    """Which message requests the accounts accept (XChatAcceptRequests)."""

    EVERYONE = "everyone"
    NONE = "none"


@dataclass(frozen=True)
class PendingRequest:
    """One pending request: its id at X, and the person who wrote."""

    request_id: str
    user_id: str


def _text(item: Mapping[str, Any], *names: str) -> str:
    """The first of the named fields that holds a value, as text."""
    return next((str(item[name]) for name in names if item.get(name) not in (None, "")), "")


def pending_request(item: Mapping[str, Any], account_id: str) -> PendingRequest | None:
    """A request as X lists it (its fields are not documented: every likely name is read), or None."""
    conversation = _text(item, "conversation_id")
    participants = [part for part in conversation.replace("-", ":").split(":") if part and part != account_id]
    user_id = _text(item, "sender_id", "user_id", "requester_id") or (participants[0] if participants else "")
    request_id = _text(item, "id", "request_id", "conversation_id") or user_id
    if not user_id.isdigit() or user_id == account_id:
        return None  # a group's request (g...), or none naming a person: not a one-to-one conversation
    return PendingRequest(request_id, user_id)


@dataclass
class RequestPicker:
    """Picks up the message requests of one account after another."""

    records: Callable[[str], DmRecords]  # the DM records of an account
    enqueue: Callable[[Sequence[QueuedDM]], None]
    policy: AcceptPolicy
    clock: Callable[[], float]

    def _pending(self, api: ChatApi, account_id: str) -> Iterator[PendingRequest]:
        seen: set[str] = set()
        token = ""
        for _ in range(MAX_PAGES):
            page = api.message_requests(token)
            for item in items_of(page.get("data") or []):
                request = pending_request(item, account_id)
                if request and request.request_id not in seen:
                    seen.add(request.request_id)
                    yield request
            token = _text(page.get("meta") or {}, "next_token")
            if not token:
                return

    def _unseen(self, api: ChatApi, account_id: str, user_id: str) -> list[QueuedDM]:
        """The person's messages in the conversation, of the last 24 hours, that the channel has no record of."""
        events = api.conversation_events(user_id)
        oldest_ms = (self.clock() - REPLY_WINDOW_SECONDS) * 1000
        dms: dict[str, QueuedDM] = {}
        for item in items_of(events.get("data") or []):
            encoded = _text(item, "encoded_event")
            ids = signed_ids(encoded)
            if not ids or not ids.is_message or ids.sender_id != user_id or not ids.message_id:
                continue
            created_ms = int(ids.created_at_ms) if ids.created_at_ms.isdigit() else 0
            if created_ms and created_ms < oldest_ms:
                continue
            dms[ids.message_id] = QueuedDM(
                surface=Surface.XCHAT,
                account_id=account_id,
                dm_id=ids.message_id,
                sender_id=user_id,
                text="",
                created_at_ms=created_ms or None,
                encoded_event=encoded,
            )
        known = self.records(account_id).read_many(list(dms))
        return [dm for dm_id, dm in dms.items() if dm_id not in known]

    def pick_up(self, api: ChatApi, account_id: str) -> int:
        """Accept the account's pending requests (by the policy) and queue their unseen messages; how many queued."""
        queued: list[QueuedDM] = []
        for request in self._pending(api, account_id):
            count(Metric.XCHAT_MESSAGE_REQUESTS)
            if self.policy is AcceptPolicy.NONE:
                continue
            api.accept_request(request.request_id)
            queued += self._unseen(api, account_id, request.user_id)
        if queued:
            self.enqueue(queued)
            count(Metric.XCHAT_REQUEST_MESSAGES_QUEUED, len(queued))
            logger.info("Message requests' messages queued", account_id=account_id, dm_ids=[dm.dm_id for dm in queued])
        return len(queued)


def pick_up_all(
    picker: RequestPicker,
    accounts: Sequence[tuple[str, str]],
    api: Callable[[TokenSource], ChatApi],
    seconds_left: Callable[[], float],
) -> dict[str, str]:
    """Pick up the requests of each (account, secret) with XChat material; what became of each account."""
    done: dict[str, str] = {}
    for account_id, secret_id in accounts:
        if account_id in done:
            continue  # its XChat material was found in an earlier secret
        if seconds_left() < SECONDS_PER_ACCOUNT:
            done[account_id] = "later"
            continue
        try:
            xchat_secret_from(load_secret(secret_id), secret_id)
        except (XChatSecretError, SecretUnreadableError):
            continue  # no XChat here: legacy DMs only
        try:
            done[account_id] = f"{picker.pick_up(api(token_source(secret_id)), account_id)} queued"
        except XApiError as error:
            logger.error("Message requests could not be read", account_id=account_id, error=str(error))
            count(Metric.XCHAT_REQUEST_CHECKS_FAILED)
            done[account_id] = "failed"
    return done
