"""XChat, X's end-to-end encrypted DMs, as the responder reads and answers them (the webhook never decrypts).

``envelope`` reads and writes X's envelope of a message (Thrift; the webhook reads its signed
ids, never decrypting); ``secret`` reads an account's XChat keys and OAuth 2.0 tokens from its secret; ``api``
calls X's Chat API with the account's OAuth 2.0 token; ``sdk`` is the one seam to X's SDK
(``chat_xdk``, every call the channel makes to it); ``keyring`` holds the account's
identity in the SDK, the signing keys of the users it talks to and the
conversation keys it has opened; ``session`` reads one DM and encrypts its answer (the
responder's surface client); ``oauth2`` refreshes and exchanges tokens for ``token_keeper``
(the one writer of each account's tokens) and the set-up command; ``message_requests``
accepts pending message requests and queues the messages the webhook never got. Plaintext
exists only in memory.
"""
