"""XChat in `make run`: each bot account gets keys and a token, and the simulator's people write encrypted.

The simulator page cannot run X's SDK, so a person it shows writes through a simulated user
here (their own ``chat_xdk`` identity): the message is encrypted, posted to the fake X, which
frames it, and delivered to the webhook as X's ``chat.received``. The bot's answers are read
back the same way, decrypted by that user. The channel sees only what X would.
"""

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from devstack.conversations import Conversations
from devstack.deliveries import encode
from devstack.fake_xchat import ChatEvent, XChatFake, chat_delivery
from devstack.xchat_user import XChatUser, bot_identity

Deliver = Callable[[bytes], int]  # POST a delivery to the webhook, signed; return its status


@dataclass
class LocalXChat:
    """The simulated users of the local stack, and the way their messages reach the webhook."""

    fake: XChatFake
    base_url: str
    deliver: Deliver
    conversations: Conversations
    _users: dict[str, XChatUser] = field(default_factory=dict)
    _deliveries: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.fake.on_message = self._on_message

    def _on_message(self, sender: str, recipient: str, event: ChatEvent, key_change: str) -> None:
        if sender in self._users:  # a person's message to a bot account: X delivers it as chat.received
            self._deliveries.append(chat_delivery(recipient, sender, event, key_change, int(time.time() * 1000)))

    def give_keys(self, secret_id: str, account_id: str) -> None:
        """Make and register the account's XChat keys and tokens, and keep them in its secret."""
        secrets = boto3.client("secretsmanager")
        value = json.loads(secrets.get_secret_value(SecretId=secret_id)["SecretString"])
        value["xchat"] = bot_identity(self.fake, account_id)
        secrets.put_secret_value(SecretId=secret_id, SecretString=json.dumps(value))

    def _user(self, user_id: str) -> XChatUser:
        with self._lock:
            if user_id not in self._users:
                self._users[user_id] = XChatUser(user_id, self.fake, self.base_url)
            return self._users[user_id]

    def send(self, request: dict[str, Any]) -> dict[str, Any]:
        """A person's message (or tapped option), encrypted and delivered; the simulator keeps its text."""
        account_id, user_id = str(request["account_id"]), str(request["user_id"])
        text, option = str(request.get("text", "")), request.get("option")
        message_id = self._user(user_id).says(account_id, text, option=option if isinstance(option, dict) else None)
        status = self.deliver(encode(self._deliveries.pop()))
        self.conversations.record_xchat(account_id, user_id, message_id, text, status)
        return {"id": message_id, "status": "sent" if status == 200 else f"webhook answered {status}"}

    def answers(self, account_id: str, user_id: str, since_ms: float) -> list[dict[str, Any]]:
        """The bot's messages to the person, as the person reads them (decrypted), in the simulator's shape."""
        user = self._users.get(user_id)
        if user is None:
            return []
        messages = []
        for event in user.read(account_id):
            created = int(event.get("created_at_msec") or 0)
            if event.get("sender_id") != account_id or created < since_ms:
                continue
            content = event.get("content") or {}
            request = ((content.get("quick_reply") or {}).get("request") or {}).get("options") or {}
            options = [{**option, "request_id": request.get("id", "")} for option in request.get("options") or []]
            messages.append(
                {
                    "event_id": event["id"],
                    "recipient_id": user_id,
                    "text": content.get("text", ""),
                    "options": options,
                    "created_ms": created,
                    "sender_id": account_id,
                    "encrypted": True,
                }
            )
        return messages
