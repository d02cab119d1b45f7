"""XChat identities in the local stack: a bot account's keys and tokens, and simulated users who write to it.

A simulated user has their own ``chat_xdk`` identity, registered with the fake X. They open a
conversation with a signed key change, encrypt what they type, and decrypt what the bot
answers, all through the fake X over HTTP: the channel sees only what X would show it.
"""

from dataclasses import dataclass, field
from typing import Any

import requests
from chat_xdk import Chat

from devstack.fake_xchat import XChatFake, conversation_of
from dmchannel.xchat.keyring import signing_key
from dmchannel.xchat.sdk import send_body
from dmchannel.xchat.secret import new_keys, registration_body

TIMEOUT = 10


def bot_identity(fake: XChatFake, account_id: str) -> dict[str, Any]:
    """Keys made and registered for a bot account, and its tokens: the ``xchat`` object of its secret."""
    private_keys, registration, version = new_keys()
    tokens = fake.issue_tokens(account_id)
    return {
        "private_keys": private_keys,
        "key_version": fake.register(account_id, registration["public_key"], version),
        "registration": registration,
        "client_id": "local-client",
        "access_token": tokens["access_token"],
        "refresh_token": tokens["refresh_token"],
        "expires_at": int(fake.clock()) + int(tokens["expires_in"]),
    }


@dataclass
class XChatUser:
    """A person on XChat, writing to bot accounts through the fake X at base_url."""

    user_id: str
    fake: XChatFake
    base_url: str
    chat: Chat = field(default_factory=Chat)
    _keys: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # account -> (key version, key)

    def __post_init__(self) -> None:
        registration = self.chat.generate_keypairs()
        public_key = registration_body(registration)["public_key"]
        self.version = self.fake.register(self.user_id, public_key, str(registration.version))
        self.chat.set_identity(self.user_id, self.version)
        self.token = self.fake.issue_tokens(self.user_id)["access_token"]

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = requests.request(
            method, self.base_url + path, json=body, headers={"Authorization": f"Bearer {self.token}"}, timeout=TIMEOUT
        )
        response.raise_for_status()
        return response.json()

    def _signing_keys(self, account_id: str) -> list[dict[str, str]]:
        return [
            signing_key(user, key, key["public_key_version"])
            for user in (self.user_id, account_id)
            for key in self._call("GET", f"/2/users/{user}/public_keys")["data"]
        ]

    def open_conversation(self, account_id: str, members: tuple[str, ...] = ()) -> None:
        """Make the conversation's key and give it to all, in a signed key change (as X's apps do first).

        account_id: the other person of a one-to-one conversation, or a group's id (g...) with its other members.
        """
        publics = [
            {"user_id": user, "public_key": key["public_key"], "key_version": key["public_key_version"]}
            for user in (self.user_id, *(members or (account_id,)))
            for key in self._call("GET", f"/2/users/{user}/public_keys")["data"]
        ]
        prepared = self.chat.prepare_conversation_key_change(publics)
        signing_key = self.chat.get_public_keys().signing
        body = {
            "conversation_key_version": prepared["conversation_key_version"],
            "conversation_participant_keys": [
                {
                    "user_id": k["user_id"],
                    "encrypted_conversation_key": k["encrypted_key"],
                    "public_key_version": k["public_key_version"],
                }
                for k in prepared["participant_keys"]
            ],
            "action_signatures": [
                {
                    "message_id": signed["message_id"],
                    "encoded_message_event_detail": signed["encoded_message_event_detail"],
                    "message_event_signature": {
                        "signature": signed["signature"],
                        "signature_version": signed["signature_version"],
                        "public_key_version": signed["public_key_version"],
                        "signing_public_key": signing_key,
                    },
                }
                for signed in prepared["action_signatures"]
            ],
        }
        self._call("POST", f"/2/chat/conversations/{account_id}/keys", body)
        self._keys[account_id] = (str(prepared["conversation_key_version"]), bytes(prepared["conversation_key"]))

    def says(
        self, account_id: str, text: str, *, option: dict[str, Any] | None = None, members: tuple[str, ...] = ()
    ) -> str:
        """Encrypt and send a message (option: a quick-reply option of the bot's, tapped); return its id.

        account_id: the bot account, or a group's id (g...) whose other members are given.
        """
        if account_id not in self._keys:
            self.open_conversation(account_id, members)
        version, key = self._keys[account_id]
        tapped = (
            {
                "response": {
                    "options": {
                        "request_id": option.get("request_id", ""),
                        "metadata": option["metadata"],
                        "selected_option_id": option["id"],
                    }
                }
            }
            if option
            else None
        )
        payload = self.chat.encrypt_message(
            account_id if members else conversation_of(self.user_id, account_id),
            text,
            conversation_key=key,
            conversation_key_version=version,
            quick_reply=tapped,  # type: ignore[arg-type]
        )
        self._call("POST", f"/2/chat/conversations/{account_id}/messages", send_body(payload))
        return payload.message_id

    def read(self, account_id: str) -> list[dict[str, Any]]:
        """The conversation's messages as this user reads them: decrypted and verified, oldest first."""
        page = self._call("GET", f"/2/chat/conversations/{account_id}/events")
        events = [*page["meta"]["conversation_key_events"], *(item["encoded_event"] for item in page["data"])]
        opened = self.chat.decrypt_events(events, self._signing_keys(account_id))
        return [m["event"] for m in opened.get("messages", []) if m["event"].get("type") == "Message"]
