"""The responder function's logic: answer each queued DM once, inside X's limits.

``answering`` is the use case: STOP/START and the loop breaker, the bot, the
composer, then each reply through its slot in the ledger and X. ``composer``
turns the bot's replies into DMs X accepts (``text_split`` cuts long texts on
natural boundaries); ``numbered_choices`` writes buttons as a numbered list for
the X API v2; ``redelivery`` holds a DM back until X's rate limit resets.
"""
