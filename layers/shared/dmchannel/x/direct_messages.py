"""The DM sender: DMs, typing indicators and read receipts as the bot account (OAuth 1.0a user context)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from oauthlib.oauth1 import Client
from requests.auth import AuthBase

from dmchannel.credentials import XCredentials
from dmchannel.queued_dm import QueuedDM
from dmchannel.x.endpoints import DEFAULT_BASE_URL, MARK_READ_PATH, SEND_PATH, SEND_V2_PATH, TYPING_PATH
from dmchannel.x.message import OutboundMessage
from dmchannel.x.sent import Sent
from dmchannel.x.transport import CONNECT_TIMEOUT, call_x

READ_TIMEOUT = 10.0
MIN_TIMEOUT = 0.5


def message_body(recipient_id: str, message: OutboundMessage) -> dict[str, Any]:
    """The ``events/new`` JSON body of one DM."""
    message_data: dict[str, Any] = {"text": message.text}
    if message.options:
        message_data["quick_reply"] = {
            "type": "options",
            "options": [
                {"label": o.label, "metadata": o.metadata} | ({"description": o.description} if o.description else {})
                for o in message.options
            ],
        }
    return {
        "event": {
            "type": "message_create",
            "message_create": {"target": {"recipient_id": recipient_id}, "message_data": message_data},
        }
    }


def send_window(response: requests.Response) -> tuple[int | None, float | None]:
    """X's send window after a send: what is left of it and when it resets, if X said."""
    remaining, reset = (
        response.headers.get("x-rate-limit-remaining", ""),
        response.headers.get("x-rate-limit-reset", ""),
    )
    if remaining.isdigit() and reset.isdigit():
        return int(remaining), float(reset)
    return None, None


class OAuth1(AuthBase):
    """Signs a request as the bot account with OAuth 1.0a, in its header; a JSON or empty body is never signed.

    On oauthlib alone: requests-oauthlib would bring its OAuth 2.0 half onto the responder's cold start.
    """

    def __init__(self, credentials: XCredentials) -> None:
        self._client = Client(
            credentials.consumer_key,
            client_secret=credentials.consumer_secret,
            resource_owner_key=credentials.access_token,
            resource_owner_secret=credentials.access_token_secret,
        )

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """The request with its Authorization header."""
        request.url, headers, _ = self._client.sign(str(request.url), str(request.method), None, request.headers)
        request.prepare_headers(headers)
        return request


@dataclass
class XClient:
    """Sends DMs, typing indicators and read receipts as the bot account."""

    credentials: XCredentials
    base_url: str = DEFAULT_BASE_URL
    session: requests.Session | None = None
    read_timeout: float = READ_TIMEOUT
    api_version: str = "v1.1"  # or "v2", which has no quick replies (options are then left out)
    seconds_left: Callable[[], float] = lambda: float("inf")  # no call waits past the function's time

    def __post_init__(self) -> None:
        self._auth = OAuth1(self.credentials)
        self._http = self.session or requests.Session()

    @property
    def quick_replies(self) -> bool:
        """v1.1 has quick replies; v2 has none."""
        return self.api_version != "v2"

    @property
    def numbered_choices(self) -> bool:
        """v2 shows buttons as a numbered list instead."""
        return self.api_version == "v2"

    @property
    def courtesy(self) -> bool:
        """Read receipts and typing indicators exist on v1.1 only."""
        return self.api_version != "v2"

    typing_every = None

    def open(self, dm: QueuedDM) -> QueuedDM:
        """A legacy DM is read as it was queued."""
        return dm

    def encrypt(self, plan: tuple[OutboundMessage, ...]) -> tuple[OutboundMessage, ...]:
        """A legacy DM is stored and sent as planned."""
        return plan

    def _post(
        self, action: str, path: str, *, params: dict[str, str] | None = None, json: Any = None
    ) -> requests.Response:
        url = self.base_url.rstrip("/") + path
        left = max(MIN_TIMEOUT, self.seconds_left())
        timeout = (min(CONNECT_TIMEOUT, left), min(self.read_timeout, left))
        return call_x(self._http, action, "POST", url, params=params, json=json, auth=self._auth, timeout=timeout)

    def send_dm(self, recipient_id: str, message: OutboundMessage) -> Sent:
        """Send one DM; return the id of the event X created and X's send window."""
        if self.api_version == "v2":
            path = SEND_V2_PATH.format(participant_id=recipient_id)
            response, id_path = self._post("send a DM", path, json={"text": message.text}), ("data", "dm_event_id")
        else:
            response, id_path = (
                self._post("send a DM", SEND_PATH, json=message_body(recipient_id, message)),
                ("event", "id"),
            )
        remaining, reset = send_window(response)
        try:
            event_id = str(response.json()[id_path[0]][id_path[1]])
        except (ValueError, KeyError, TypeError):
            event_id = ""  # sent (X said 2xx) but the id could not be read
        return Sent(event_id, remaining, reset)

    def indicate_typing(self, recipient_id: str) -> None:
        """Show the typing indicator to the user for a few seconds."""
        self._post("show the typing indicator", TYPING_PATH, params={"recipient_id": recipient_id})

    def mark_read(self, recipient_id: str, last_read_event_id: str) -> None:
        """Mark the user's messages read up to an event."""
        self._post(
            "mark the DM read",
            MARK_READ_PATH,
            params={"recipient_id": recipient_id, "last_read_event_id": last_read_event_id},
        )
