"""The X Direct Message channel's logic, shared by the Lambda functions (the functions stay thin).

Package map:

- ``webhook/``: what the webhook function does: X's signatures and CRC, each
  surface's delivery parser, putting DMs on the FIFO queue, and the refusals.
- ``responder/``: what the responder function does: answering one queued DM
  (guards, bot, composer, sends), splitting text, numbered choices, redelivery.
- ``bots/``: the bot protocol (``base``), the factory that picks one by
  BOT_KIND, and the FAQ, HTTP (Rasa REST) and Amazon Lex V2 bots.
- ``x/``: X's API: its limits, its errors, the DM sender, the webhook and
  subscription calls, and the scheduled webhook check.
- ``storage/``: DynamoDB: the reply ledger (X's limits, at most once) and the
  per-conversation state (opt-out, loop breaker, buttons kept for later).
- ``queued_dm``: the one queue message shape between the webhook and the responder.
- ``settings``: each function's configuration, read and checked at cold start.
- ``credentials``: the X credentials from Secrets Manager (cached).
- ``observability``: the logger, metrics, tracer and the metric names.
"""
