"""X's Chat API as one account: public keys, a conversation's events, read receipts, typing, sending.

Every call carries the account's OAuth 2.0 user token. On a 401 the token is read again
from the secret (the token keeper may just have rotated it) and the call made once more;
the responder never refreshes a token itself.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from dmchannel.x.direct_messages import MIN_TIMEOUT, READ_TIMEOUT, send_window
from dmchannel.x.errors import ErrorKind, XApiError
from dmchannel.x.sent import Sent
from dmchannel.x.transport import CONNECT_TIMEOUT, call_x

ME_PATH = "/2/users/me"
PUBLIC_KEYS_PATH = "/2/users/{user_id}/public_keys"
EVENTS_PATH = "/2/chat/conversations/{conversation}/events"
READ_PATH = "/2/chat/conversations/{conversation}/read"
TYPING_PATH = "/2/chat/conversations/{conversation}/typing"
MESSAGES_PATH = "/2/chat/conversations/{conversation}/messages"
SETTINGS_PATH = "/2/chat/settings"
REQUESTS_PATH = "/2/chat/message_requests"
ACCEPT_PATH = "/2/chat/message_requests/{request_id}/accept"
NOT_FOUND = 404
UNAUTHORIZED = 401

TokenSource = Callable[[bool], str]  # the account's access token; True: read it again, not from the cache


def items_of(data: Any) -> list[dict[str, Any]]:
    """X's ``data``, which its pages show as one object or a list of them."""
    items = data if isinstance(data, list) else [data]
    return [item for item in items if isinstance(item, dict)]


@dataclass
class ChatApi:
    """Calls X's Chat API as the account whose token the source gives."""

    base_url: str
    http: requests.Session
    token: TokenSource
    read_timeout: float = READ_TIMEOUT
    seconds_left: Callable[[], float] = lambda: float("inf")

    def _call(self, action: str, method: str, path: str, body: Any = None) -> requests.Response:
        left = max(MIN_TIMEOUT, self.seconds_left())
        timeout = (min(CONNECT_TIMEOUT, left), min(self.read_timeout, left))
        url = self.base_url.rstrip("/") + path

        def call(fresh: bool) -> requests.Response:
            headers = {"Authorization": f"Bearer {self.token(fresh)}"}
            return call_x(self.http, action, method, url, json=body, headers=headers, timeout=timeout)

        try:
            return call(False)
        except XApiError as error:
            if error.status != UNAUTHORIZED:
                raise
        try:
            return call(True)  # the token keeper may just have rotated the token: read it again, once
        except XApiError as error:
            if error.status != UNAUTHORIZED:
                raise
            raise XApiError(  # still refused: the token is revoked, or mid-rotation; the DM waits for a good one
                ErrorKind.UNAUTHORIZED, action, error.message, status=error.status, codes=error.codes
            ) from error

    def me(self) -> str:
        """The id of the user the token belongs to."""
        return str(self._call("read the signed-in user", "GET", ME_PATH).json().get("data", {}).get("id", ""))

    def settings(self) -> dict[str, Any]:
        """The account's chat settings (who can message it, read receipts, ...), as X names them."""
        data = self._call("read the chat settings", "GET", SETTINGS_PATH).json().get("data")
        return dict(data) if isinstance(data, Mapping) else {}

    def update_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Set the account's chat settings: every field as read, with the changes (X wants them all again)."""
        data = self._call("change the chat settings", "PUT", SETTINGS_PATH, dict(settings)).json().get("data")
        return dict(data) if isinstance(data, Mapping) else dict(settings)

    def public_keys(self, user_id: str) -> list[dict[str, Any]]:
        """A user's registered public keys (identity and signing, with their versions)."""
        response = self._call("read a user's public keys", "GET", PUBLIC_KEYS_PATH.format(user_id=user_id))
        return items_of(response.json().get("data"))

    def conversation_events(self, other_id: str) -> dict[str, Any]:
        """The latest events of the one-to-one conversation with a user (key changes under meta)."""
        path = EVENTS_PATH.format(conversation=other_id)
        answer = self._call("read the conversation's events", "GET", path).json()
        return answer if isinstance(answer, dict) else {}

    def message_requests(self, next_token: str = "") -> dict[str, Any]:
        """One page of the account's pending message requests (``data``, and ``meta.next_token`` for the next)."""
        path = REQUESTS_PATH + (f"?pagination_token={next_token}" if next_token else "")
        answer = self._call("read the pending message requests", "GET", path).json()
        return answer if isinstance(answer, dict) else {}

    def accept_request(self, request_id: str) -> bool:
        """Accept a message request; False when none is pending under that id (already accepted, or withdrawn)."""
        try:
            self._call("accept a message request", "POST", ACCEPT_PATH.format(request_id=request_id), {})
        except XApiError as error:
            if error.status != NOT_FOUND:
                raise
            return False
        return True

    def mark_read(self, other_id: str, sequence_id: str) -> None:
        """Mark the conversation read up to a message."""
        path = READ_PATH.format(conversation=other_id)
        self._call("mark the conversation read", "POST", path, {"seen_until_sequence_id": sequence_id})

    def typing(self, other_id: str) -> None:
        """Show the typing indicator in the conversation (it expires within seconds)."""
        self._call("show the typing indicator", "POST", TYPING_PATH.format(conversation=other_id), {})

    def register_key(self, user_id: str, registration: Mapping[str, Any]) -> str:
        """Register the user's public key; return the version X gave it."""
        path = PUBLIC_KEYS_PATH.format(user_id=user_id)
        answer = self._call("register the public key", "POST", path, dict(registration)).json()
        return str(answer["data"]["public_key_version"])

    def send(self, other_id: str, body: dict[str, Any]) -> Sent:
        """Post one encrypted message; X's id for it is the one the SDK minted inside its signature."""
        response = self._call("send an XChat message", "POST", MESSAGES_PATH.format(conversation=other_id), body)
        remaining, reset = send_window(response)
        return Sent(str(body.get("message_id", "")), remaining, reset)
