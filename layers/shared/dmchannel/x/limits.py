"""X's limits for DMs, named once (see X's Direct Message documentation)."""

DAILY_DMS = 1_000  # DMs an account may send in 24 hours
REPLIES_PER_MESSAGE = 5  # replies to one message received; each new message opens as many again
REPLY_WINDOW_SECONDS = 24 * 3_600  # a DM may be answered within 24 hours of when the user wrote it
MAX_TEXT = 10_000  # characters of one DM's text
MAX_OPTIONS = 20  # quick-reply options on one DM
MAX_LABEL = 36  # characters of an option's label
MAX_DESCRIPTION = 72  # characters of an option's description
MAX_METADATA = 1_000  # characters of an option's metadata (the payload the bot gets back)
