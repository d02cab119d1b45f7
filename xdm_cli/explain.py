"""Turns X's errors into one line that says what is wrong and what to do."""

from dmchannel.x.errors import XApiError


def explain(error: XApiError, url: str = "", env_label: str = "") -> str:
    """One line for an X error, for a person setting the channel up."""
    codes, text = set(error.codes), error.message.lower()
    if error.status is None:
        return f"X could not be reached to {error.action}: check the network and --api-base ({error.message})."
    if 93 in codes or "direct messages" in text:
        return (
            "The app has no Direct Message permission (93): set it to 'Read, write and Direct Messages' in the "
            "developer portal, then regenerate the access token and secret and run `credentials set` again."
        )
    if "crc" in text or "does not meet the requirements" in text:
        return (
            f"X's CRC check of {url or 'the webhook'} failed: check that `curl '{url}?crc_token=abcdefghijklmnop1234'` "
            "answers 200 with a response_token, and that the secret holds this app's consumer secret."
        )
    if "too many resources" in text:
        return (
            "The environment already has a webhook (a dev environment allows one): see it with `webhook list`; "
            "`webhook register --replace WEBHOOK_ID` replaces it."
        )
    if 200 in codes or "environment" in text:
        return f"X has no Account Activity environment labelled '{env_label}': use the label shown in the developer portal (--env)."
    if codes & {32, 89, 99, 135} or error.status == 401:
        return (
            f"X refused the credentials ({', '.join(map(str, sorted(codes))) or error.status}): check the four keys "
            "(`credentials set`), or regenerate them in the developer portal."
        )
    if 215 in codes:
        return "Bad authentication data (215): a key is missing or malformed; run `credentials set` again."
    if 88 in codes or error.status == 429:
        return f"X rate-limited the request to {error.action}: wait 15 minutes and try again."
    subscription = _subscription_problem(error, codes, text)
    if subscription:
        return subscription
    if 34 in codes or error.status == 404:
        return f"X found nothing to {error.action} (34): check --env, --api and `webhook list`."
    if 261 in codes:
        return "The app cannot perform write actions (261): check its permissions in the developer portal."
    if 226 in codes or 326 in codes:
        return f"X has restricted the account ({', '.join(map(str, sorted(codes)))}): log in to X and review it."
    return f"X refused to {error.action}: HTTP {error.status}, codes {sorted(codes)}: {error.message}"


def _subscription_problem(error: XApiError, codes: set[int], text: str) -> str | None:
    """The line for a subscription that X refused, if it was one."""
    if 355 in codes or "duplicatesubscription" in text:
        return "The account is already subscribed."
    if error.status == 403 and "user context" in text:
        return (
            "X takes a DM subscription only signed by the account itself: add the account first "
            "(`accounts add`), then `subscribe --api xaa --account ID`."
        )
    return None
