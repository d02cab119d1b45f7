"""The X Direct Message channel's logic, shared by the Lambda functions (the functions stay thin).

Package map:

- ``webhook/``: what the webhook function does: X's signatures and CRC, each
  surface's delivery parser, putting DMs on the FIFO queue, and the refusals.
- ``responder/``: what the responder function does: a DM's life named once
  (``lifecycle``), the rules before the bot, answering one queued DM, the wiring,
  settling the queue message, the composer.
- ``bots/``: the bot protocol (``base``), the factory that picks one by
  BOT_KIND, and the FAQ, HTTP (Rasa REST), Amazon Lex V2 and Bedrock bots.
- ``x/``: X's API: its limits, its errors, the DM sender, the webhook and
  subscription calls, and the scheduled webhook check.
- ``xchat/``: XChat (end-to-end encrypted DMs): keys, tokens, the Chat API, reading
  and answering one DM, the token keeper.
- ``storage/``: DynamoDB: the table's key prefixes, the reply ledger (X's limits,
  at most once), the DM records (plan and outcome), and the per-conversation state.
- ``accounts``: the bot accounts one deployment serves, from Secrets Manager.
- ``queued_dm``: the one queue message shape between the webhook and the responder.
- ``settings``: reading and checking a function's configuration at cold start, and the
  webhook's; ``scheduled_settings``: the scheduled functions' (the responder's is in ``responder/``).
- ``credentials``: the X credentials and the other secrets from Secrets Manager (cached).
- ``observability``: the logger, metrics and tracer; ``metric_names``: the metrics' names.
"""
