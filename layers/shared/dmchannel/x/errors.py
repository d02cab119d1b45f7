"""One error type for every call to X, sorted by what it means for the DM or the command."""

import time
from enum import Enum

import requests
from urllib3.exceptions import NewConnectionError

RATE_LIMIT_CODE = 88
PAYMENT_REQUIRED = 402
USAGE_CAPPED = "usage-capped"  # in the problem type of X's 429 for a spent monthly cap (UsageCapExceeded)
TRANSIENT_CODES = frozenset({130, 131})  # over capacity, internal error
DEFAULT_RATE_LIMIT_WAIT = 60


class ErrorKind(Enum):
    """What a failed call means."""

    RATE_LIMITED = "rate_limited"  # not done; retry after the reset time
    TRANSIENT = "transient"  # not done; retry with backoff
    PERMANENT = "permanent"  # not done; retrying cannot help
    AMBIGUOUS = "ambiguous"  # may have been done (no answer read): never retry a send
    UNAUTHORIZED = "unauthorized"  # not done: the account's XChat token was refused (rotating, or revoked)
    OUT_OF_CREDITS = "out_of_credits"  # not done: the app's credits or its monthly usage cap are spent (402)


class XApiError(Exception):
    """A call to X that did not succeed: what was tried, the HTTP status (None if X was not reached), X's codes."""

    def __init__(
        self,
        kind: ErrorKind,
        action: str,
        message: str,
        *,
        status: int | None = None,
        codes: tuple[int, ...] = (),
        retry_at: float = 0,
    ) -> None:
        super().__init__(f"{action}: {kind.value}, HTTP {status}, codes {list(codes)}: {message}")
        self.kind, self.action, self.message = kind, action, message
        self.status, self.codes, self.retry_at = status, codes, retry_at


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


def _usage_capped(response: requests.Response) -> bool:
    """Whether a 429 is X's monthly usage cap (not a rate limit: waiting for a reset does not lift it)."""
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and (
        USAGE_CAPPED in str(body.get("type", "")) or body.get("title") == "UsageCapExceeded"
    )


def error_from_response(action: str, response: requests.Response, now: float | None = None) -> XApiError:
    """Sort an error answer from X: rate limit, transient or permanent."""
    codes, message = error_details(response)
    status = response.status_code
    if status == PAYMENT_REQUIRED or (status == 429 and _usage_capped(response)):
        return XApiError(ErrorKind.OUT_OF_CREDITS, action, message, status=status, codes=codes)
    if status == 429 or RATE_LIMIT_CODE in codes:
        reset = response.headers.get("x-rate-limit-reset", "")
        retry_at = float(reset) if reset.isdigit() else (now or time.time()) + DEFAULT_RATE_LIMIT_WAIT
        return XApiError(ErrorKind.RATE_LIMITED, action, message, status=status, codes=codes, retry_at=retry_at)
    kind = ErrorKind.TRANSIENT if status >= 500 or TRANSIENT_CODES.intersection(codes) else ErrorKind.PERMANENT
    return XApiError(kind, action, message, status=status, codes=codes)


def error_from_exception(action: str, error: requests.RequestException) -> XApiError:
    """Sort a failure to get an answer: only a connection never made is surely not done."""
    never_connected = isinstance(error, requests.ConnectTimeout) or (
        isinstance(error, requests.ConnectionError)
        and isinstance(getattr(error.args[0] if error.args else None, "reason", None), NewConnectionError)
    )
    kind = ErrorKind.TRANSIENT if never_connected else ErrorKind.AMBIGUOUS
    return XApiError(kind, action, f"X could not be reached ({type(error).__name__})")
