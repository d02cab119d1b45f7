"""What an XChat DM costs in CPU beyond a legacy DM: verify and decrypt it, encrypt and sign one reply.

The baseline, taken in the same run, is what a legacy reply costs the channel: signing one
send with OAuth 1.0a (the channel's own, on oauthlib). Prints the median over many rounds and the ratio.
"""

import argparse
import base64
import statistics
import time

import requests
from chat_xdk import Chat

from dmchannel.credentials import XCredentials
from dmchannel.x.direct_messages import OAuth1
from dmchannel.xchat.envelope import STRING, STRUCT, decode_struct, encode_struct
from dmchannel.xchat.keyring import signing_key
from dmchannel.xchat.secret import registration_body
from scripts.measured import record

BOT, USER = "4337869213", "3001969357"


def framed(message_id: str, sender: str, conversation: str, create: str, signature: str) -> str:
    """A MessageEvent as X frames one (see devstack/fake_xchat.py)."""
    event = {
        1: (STRING, "1000"),
        2: (STRING, message_id),
        3: (STRING, sender),
        4: (STRING, conversation),
        6: (STRING, str(int(time.time() * 1000))),
        7: (STRUCT, {1: (STRUCT, decode_struct(base64.b64decode(create)))}),
        9: (STRUCT, decode_struct(base64.b64decode(signature))),
    }
    return base64.b64encode(encode_struct(event)).decode()


def median_ms(work: object, rounds: int) -> float:
    """The median time of one call of work, in milliseconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    """Measure the legacy baseline and XChat's two steps, alternating rounds."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300)
    rounds = parser.parse_args().rounds
    user, bot = Chat(), Chat()
    user_keys, bot_keys = user.generate_keypairs(), bot.generate_keypairs()
    user.set_identity(USER, "1")
    bot.set_identity(BOT, "1")
    publics = [
        {"user_id": u, "public_key": c.get_public_keys().identity, "key_version": "1"}
        for u, c in ((USER, user), (BOT, bot))
    ]
    prepared = user.prepare_conversation_key_change(publics)
    conversation, key, version = (
        prepared["conversation_id"],
        prepared["conversation_key"],
        prepared["conversation_key_version"],
    )
    sent = user.encrypt_message(
        conversation, "Where is my order? " * 8, conversation_key=key, conversation_key_version=version
    )
    event = framed(sent.message_id, USER, conversation, sent.encrypted_content, sent.encoded_event_signature)
    signing = [
        signing_key(user, registration_body(keys)["public_key"], "1")
        for user, keys in ((USER, user_keys), (BOT, bot_keys))
    ]
    keys = {str(version): bytes(key)}
    answer = "Your order left the warehouse this morning. " * 6
    oauth = OAuth1(XCredentials("consumer", "consumer-secret", "4337869213-token", "token-secret"))
    request = requests.Request("POST", "https://api.x.com/1.1/direct_messages/events/new.json", json={"event": {}})

    steps = {
        "legacy: sign one send (OAuth 1.0a)": lambda: oauth(request.prepare()),
        "XChat: verify + decrypt the DM": lambda: bot.decrypt_event(event, keys, signing),
        "XChat: encrypt + sign one reply": lambda: bot.encrypt_reply(
            conversation, answer, event, conversation_key=key, conversation_key_version=str(version)
        ),
    }
    results = {name: median_ms(step, rounds) for name, step in steps.items()}
    floor = results["legacy: sign one send (OAuth 1.0a)"]
    print(f"median over {rounds} rounds")
    for name, ms in results.items():
        print(f"{name:<38} {ms:8.3f} ms   {ms / floor:6.1f}x the legacy send's signing")
    record("xchat_crypto", {"rounds": rounds, "steps": [{"name": name, "ms": ms} for name, ms in results.items()]})


if __name__ == "__main__":
    main()
