"""The channel's state in one DynamoDB table (key ``pk``, expiry ``expires_at``), updated atomically.

Key prefixes (``table.Prefix``), each followed by the bot account's id:

- ``hour#ACCOUNT#HOUR``: ``used``, the DMs the account sent in that hour (epoch hours); the
  current hour and the 24 closed hours before it hold the rolling 24-hour limit.
- ``inbound#ACCOUNT#DM_ID``: ``used``, the replies sent to one DM received (the per-message limit).
- ``reply#ACCOUNT#DM_ID#INDEX``: one reply's record (``state``: ``lifecycle.ReplyState``, ``hour``,
  ``x_event_id``): it exists once the reply's slot is reserved, so the reply is never sent twice.
- ``dm#ACCOUNT#DM_ID``: one DM received: ``attempts`` in its ``chain`` (the queue message; a
  redrive starts another), its answer ``plan`` (the DMs to send, as JSON, stored before anything
  is sent, with ``plan_rule`` and ``reserve``), ``last_error``, ``retry_at`` (a held or failed
  attempt: when it comes back), ``surfaces`` (each that delivered it) and ``seen_at``, and how it ended: ``outcome``,
  ``rule`` and ``outcome_at`` (``lifecycle.Outcome`` and ``lifecycle.Rule``).
- ``planpart#ACCOUNT#DM_ID#PLAN_ID#INDEX``: ``message``, one message of a plan too large to keep in its
  record (over 100 KB: XChat's encrypted replies to a long message); the record names them.
- ``window#ACCOUNT``: X's send window once spent (``remaining`` 0 until ``reset``).
- ``memory#ACCOUNT#USER``: ``turns`` (JSON), what the Bedrock assistant remembers of the conversation.
- ``tokens#ACCOUNT#DAY``: ``used``, the Bedrock assistant's tokens in that UTC day (epoch days).
- ``conv#ACCOUNT#USER``: one conversation, read once per DM: the user's newest choice, STOP or START
  (``opted_out``), and when they wrote it (``opt_at``, epoch ms: an older one written later changes
  nothing; ``kept_until``: the item never expires once it holds one); ``person_until``, a person has the
  conversation (the bot stays quiet) until then; ``written``, the DMs the loop breaker counted (creation
  time and id); ``mute_until``, the mute's ``episode`` and the DM that got its notice (``notice_dm``);
  ``earlier_read``, the items below that an earlier version kept were looked for (and folded in).
- ``optout#ACCOUNT#USER``: an earlier version's opt choice (``opted_out``, ``at``); with the two below,
  looked for in each DM's one read (no request of their own) and folded into the ``conv#`` item, once,
  by the conversation's first DM after an upgrade.
- ``human#ACCOUNT#USER``: an earlier version's takeover (``until``).
- ``mute#ACCOUNT#USER``: an earlier version's mute (``until``, ``episode``, ``notice_dm``); none of the
  three is written any more.
- ``outgoing#ACCOUNT#USER#FINGERPRINT``: a text the channel sent the user (links and spacing left
  out, hashed), or an XChat message's id, noted with the reply's reservation, before X is called, so
  that its echo is never taken for a person's message.
- ``buttons#ACCOUNT#more#DM_ID`` and ``buttons#ACCOUNT#offered#USER``: ``buttons`` (JSON), those
  behind "More options" and the menu last offered as a numbered list.
- ``tokenlease#SECRET_ID``: ``until``, the token keeper's lease on one secret's refresh.
- ``spend#ACCOUNT#HOUR``: ``received``, the billable DM events X delivered to the account in that hour
  (counted only for an account with a DailyXSpendLimitUsd; its sends are the ``hour#`` counts).
- ``credits#app``: X refused a send for want of credits (402, or the monthly usage cap): ``since``,
  and ``probe_at``, when one DM may go to try X again; for the whole app, deleted once X takes one.

Modules, one behaviour each: ``table`` (the prefixes, the reads and writes made together),
``ledger`` (the counters and reply records), ``dm_records`` (plans and outcomes), ``send_window``,
``conversation`` (opt-out, takeover, loop breaker), ``own_sends``, ``kept_menus``, ``memory``,
``token_budget``, ``x_spend``, ``credits`` and ``sealing`` (how kept text is stored). A DM's items outlive the dead-letter queue's 14 days,
so that a late redrive finds them.
"""
