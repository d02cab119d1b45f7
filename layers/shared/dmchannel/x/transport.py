"""One HTTP call to X: a failure to get an answer, or an error answer, becomes an XApiError."""

from typing import Any

import requests

from dmchannel.x.errors import error_from_exception, error_from_response

CONNECT_TIMEOUT = 3.05


def call_x(session: requests.Session, action: str, method: str, url: str, **options: Any) -> requests.Response:
    """Make the request; return X's 2xx/3xx answer or raise XApiError naming the action."""
    try:
        response = session.request(method, url, **options)
    except requests.RequestException as error:
        raise error_from_exception(action, error) from error
    if response.status_code >= 400:
        raise error_from_response(action, response)
    return response
