"""Everything that talks to X's API: its limits, its errors, and its calls.

``limits`` names X's published limits once, ``prices`` its list prices (from the layer's
dated ``prices.toml``), ``endpoints`` its addresses. ``errors`` sorts every failed call into
one ``XApiError`` (rate limited, transient, permanent, ambiguous, out of credits) with X's codes; ``transport`` makes the calls. ``message`` is one DM to send and ``sent``
what X said of it; ``surface_client`` is what the responder needs of a surface (legacy DMs
or XChat). The DM sender (``direct_messages.XClient``) sends DMs, read receipts and typing
indicators as the bot account; ``account_activity`` registers webhooks and subscriptions
(the ``x-dm-channel`` command and the scheduled check use it); ``webhook_check`` is that check;
``app_api`` makes the app's own calls (the Bots API, the credit balance) for the command.
"""
