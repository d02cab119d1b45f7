"""X API client for DMs (v1.1, OAuth 1.0a user context), with X's errors sorted by what to do."""

import time
from dataclasses import dataclass
from enum import Enum
from typing import Any

import requests
from requests_oauthlib import OAuth1
from urllib3.exceptions import NewConnectionError

from dmchannel.composer import OutboundMessage
from dmchannel.credentials import XCredentials

DEFAULT_BASE_URL = "https://api.x.com"
SEND_PATH = "/1.1/direct_messages/events/new.json"
SEND_V2_PATH = "/2/dm_conversations/with/{participant_id}/messages"
TYPING_PATH = "/1.1/direct_messages/indicate_typing.json"
MARK_READ_PATH = "/1.1/direct_messages/mark_read.json"
CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 10.0
RATE_LIMIT_CODE = 88
TRANSIENT_CODES = frozenset({130, 131})
DEFAULT_RATE_LIMIT_WAIT = 60


class ErrorKind(Enum):
    """What a failed call means for the message."""

    RATE_LIMITED = "rate_limited"  # not sent; retry after the reset time
    TRANSIENT = "transient"  # not sent; retry with backoff
    PERMANENT = "permanent"  # not sent; retrying cannot help
    AMBIGUOUS = "ambiguous"  # may have been sent (no answer read): never retry


class XApiError(Exception):
    """A call to X that did not succeed."""

    def __init__(
        self,
        kind: ErrorKind,
        detail: str,
        status: int | None = None,
        codes: tuple[int, ...] = (),
        retry_at: float = 0,
    ) -> None:
        super().__init__(f"X API {kind.value}: {detail}")
        self.kind = kind
        self.status = status
        self.codes = codes
        self.retry_at = retry_at


def error_details(response: requests.Response) -> tuple[tuple[int, ...], str]:
    """X's error codes and messages in an error answer (v1.1 ``errors`` list, or v2 problem details)."""
    try:
        body = response.json()
    except ValueError:
        return (), response.text[:200]
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list):
        codes = tuple(int(e["code"]) for e in errors if isinstance(e, dict) and str(e.get("code", "")).isdigit())
        messages = [str(e.get("message") or e.get("detail") or "") for e in errors if isinstance(e, dict)]
        return codes, "; ".join(m for m in messages if m)
    if isinstance(body, dict):
        return (), str(body.get("detail") or body.get("title") or body)
    return (), str(body)


def error_from_response(response: requests.Response, now: float) -> XApiError:
    """Sort an error answer from X: rate limit, transient or permanent."""
    codes, _ = error_details(response)
    detail = f"HTTP {response.status_code}, codes {list(codes)}"
    if response.status_code == 429 or RATE_LIMIT_CODE in codes:
        reset = response.headers.get("x-rate-limit-reset", "")
        retry_at = float(reset) if reset.isdigit() else now + DEFAULT_RATE_LIMIT_WAIT
        return XApiError(ErrorKind.RATE_LIMITED, detail, response.status_code, codes, retry_at)
    if response.status_code >= 500 or TRANSIENT_CODES.intersection(codes):
        return XApiError(ErrorKind.TRANSIENT, detail, response.status_code, codes)
    return XApiError(ErrorKind.PERMANENT, detail, response.status_code, codes)


def error_from_exception(error: requests.RequestException) -> XApiError:
    """Sort a failure to get an answer: only a connection never made is surely not a send."""
    never_connected = isinstance(error, requests.ConnectTimeout) or (
        isinstance(error, requests.ConnectionError)
        and isinstance(getattr(error.args[0] if error.args else None, "reason", None), NewConnectionError)
    )
    kind = ErrorKind.TRANSIENT if never_connected else ErrorKind.AMBIGUOUS
    return XApiError(kind, type(error).__name__)


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


@dataclass
class XClient:
    """Sends DMs, typing indicators and read receipts as the bot account."""

    credentials: XCredentials
    base_url: str = DEFAULT_BASE_URL
    session: requests.Session | None = None
    read_timeout: float = READ_TIMEOUT
    api_version: str = "v1.1"  # or "v2", which has no quick replies (options are then left out)

    def __post_init__(self) -> None:
        self._auth = OAuth1(
            self.credentials.consumer_key,
            client_secret=self.credentials.consumer_secret,
            resource_owner_key=self.credentials.access_token,
            resource_owner_secret=self.credentials.access_token_secret,
        )
        self._http = self.session or requests.Session()

    def _post(self, path: str, *, params: dict[str, str] | None = None, json: Any = None) -> requests.Response:
        try:
            response = self._http.post(
                self.base_url.rstrip("/") + path,
                params=params,
                json=json,
                auth=self._auth,
                timeout=(CONNECT_TIMEOUT, self.read_timeout),
            )
        except requests.RequestException as error:
            raise error_from_exception(error) from error
        if response.status_code >= 400:
            raise error_from_response(response, time.time())
        return response

    def send_dm(self, recipient_id: str, message: OutboundMessage) -> str:
        """Send one DM; return the id of the event X created."""
        if self.api_version == "v2":
            path = SEND_V2_PATH.format(participant_id=recipient_id)
            response, id_path = self._post(path, json={"text": message.text}), ("data", "dm_event_id")
        else:
            response, id_path = self._post(SEND_PATH, json=message_body(recipient_id, message)), ("event", "id")
        try:
            answer = response.json()
            return str(answer[id_path[0]][id_path[1]])
        except (ValueError, KeyError, TypeError):
            return ""  # sent (X said 2xx) but the id could not be read

    def indicate_typing(self, recipient_id: str) -> None:
        """Show the typing indicator to the user for a few seconds."""
        self._post(TYPING_PATH, params={"recipient_id": recipient_id})

    def mark_read(self, recipient_id: str, last_read_event_id: str) -> None:
        """Mark the user's messages read up to an event."""
        self._post(MARK_READ_PATH, params={"recipient_id": recipient_id, "last_read_event_id": last_read_event_id})
