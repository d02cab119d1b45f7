"""The responder function's logic: answer each queued DM once, inside X's limits.

``lifecycle`` names a DM's states, outcomes and rules once (the one description of a
DM's life); ``rules`` are the checks before the bot, in order; ``answering`` is the use
case (the rules, the bot, the composer, then each reply through its slot in the ledger
and X); ``wiring`` builds a responder per container, account and DM; ``settling`` does
with the queue message what the DM's fate says. ``composer`` turns the bot's replies into
DMs X accepts (``text_split`` cuts long texts on natural boundaries); ``numbered_choices``
writes buttons as a numbered list; ``settings`` is the function's configuration.
"""
