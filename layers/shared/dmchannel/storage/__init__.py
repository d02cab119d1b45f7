"""The channel's state in one DynamoDB table (key ``pk``, expiry ``expires_at``), updated atomically.

Key prefixes, each followed by the bot account's id:

- ``day#ACCOUNT#YYYY-MM-DD``: ``used``, the DMs the account sent that UTC day (the daily limit).
- ``inbound#ACCOUNT#DM_ID``: ``used``, the replies sent to one DM received (the per-message limit).
- ``reply#ACCOUNT#DM_ID#INDEX``: one reply's record (``state`` reserved or sent, ``day``, ``x_event_id``):
  it exists once the reply's slot is reserved, so the reply is never sent twice.
- ``optout#ACCOUNT#USER``: the user sent STOP (``since``); no expiry.
- ``rate#ACCOUNT#USER#MINUTE``: ``dms``, the user's DMs in that minute (the loop breaker).
- ``mute#ACCOUNT#USER``: ``until``, the conversation is muted until then.
- ``buttons#ACCOUNT#more#DM_ID`` and ``buttons#ACCOUNT#offered#USER``: ``buttons`` (JSON), those
  behind "More options" and those offered as a numbered list (X API v2).

``ledger`` holds the counters and reply records; ``conversation_state`` the rest.
"""
