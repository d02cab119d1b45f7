"""X's API addresses that the channel calls (no imports: the settings read the default base URL)."""

DEFAULT_BASE_URL = "https://api.x.com"
SEND_PATH = "/1.1/direct_messages/events/new.json"
SEND_V2_PATH = "/2/dm_conversations/with/{participant_id}/messages"
TYPING_PATH = "/1.1/direct_messages/indicate_typing.json"
MARK_READ_PATH = "/1.1/direct_messages/mark_read.json"
