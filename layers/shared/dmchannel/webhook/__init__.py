"""The webhook function's logic: take what X delivers, verify it, queue it, and nothing more.

``signature`` answers X's CRC and checks each POST's HMAC; ``account_activity``
picks the DMs to answer out of an Account Activity delivery as queued DMs;
``enqueue`` puts them on the FIFO queue (one message group per conversation,
deduplicated on the DM's id); ``handling`` is the use case the function calls,
and ``errors`` the kinds of refusal it raises (the function maps them to HTTP).
This package imports neither the bots nor an HTTP client: the webhook's cold
start stays small, on X's CRC deadline.
"""
