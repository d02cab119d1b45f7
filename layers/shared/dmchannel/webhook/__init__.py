"""The webhook function's logic: take what X delivers, verify it, queue it, and nothing more.

``signature`` answers X's CRC and checks each POST's HMAC; ``body`` reads a POST's body
within bounds (size, UTF-8, nesting, Unicode), refusing any other cheaply; ``account_activity``,
``activity_api`` and ``xchat`` (encrypted: queued as delivered, never decrypted here)
pick the DMs to answer out of each surface's deliveries as queued DMs (``dm_events`` reads the DM event both carry,
with ``attachments``, its media or location, and ``links``, its t.co links expanded; ``surfaces`` lists them;
``json_values`` reads X's JSON defensively);
``enqueue`` puts them on the FIFO queue (one message group per conversation,
deduplicated on the DM's id); ``handling`` is the use case the function calls,
and ``errors`` the kinds of refusal it raises (the function maps them to HTTP).
This package imports neither the bots nor an HTTP client: the webhook's cold
start stays small, on X's CRC deadline.
"""
