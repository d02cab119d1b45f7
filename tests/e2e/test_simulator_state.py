"""What the simulator's page reads from the stack never misleads: the whole thread, every X call, a fresh start, STOP."""

import time

import requests

from devstack.dev_credentials import SECOND_ACCOUNT
from devstack.stack_process import LocalStackProcess, bot_texts

SAM = {"id": "3001969357", "name": "Sam", "screen_name": "sam"}
ALEX = {"id": "3001969358", "name": "Alex", "screen_name": "alex"}
SALES = {"id": SECOND_ACCOUNT.bot_user_id, "name": "Salesbot", "screen_name": "salesbot"}


def outcomes(stack: LocalStackProcess, user_id: str, account_id: str) -> list[tuple[str, str]]:
    """(text, outcome) of each of the user's DMs, once every DM has an outcome or an answer."""
    thread = stack.state(user_id, account_id=account_id)["user_messages"]
    return [(message["text"], message["outcome"]) for message in thread]


def test_both_surfaces_answers_and_x_calls_show_in_one_thread() -> None:
    with LocalStackProcess() as stack:
        stack.post_xchat("hi", SAM["id"])
        stack.wait_until(lambda: len(stack.state(SAM["id"])["bot_messages"]) == 1)
        stack.post_dm("hi", SAM)
        stack.wait_until(lambda: len(stack.state(SAM["id"])["bot_messages"]) == 2)
        state = stack.state(SAM["id"])
        assert [bool(message.get("encrypted")) for message in state["bot_messages"]] == [True, False]
        paths = [call["path"] for call in state["x_calls"]]
        assert any(path.startswith("/2/chat/conversations/") for path in paths)  # XChat's calls
        assert "/1.1/direct_messages/events/new.json" in paths[-6:]  # and, after them, the legacy send


def test_clear_conversation_lifts_the_mute() -> None:
    with LocalStackProcess(LOOP_MAX_PER_MINUTE="3") as stack:
        for text in ("hi", "hi again", "and again", "once more", "still here"):
            stack.post_dm(text, SAM)
        stack.settled(SAM["id"])
        assert any(outcome.startswith("muted") for _, outcome in outcomes(stack, SAM["id"], "4337869213"))
        cleared = requests.post(
            f"{stack.base}/simulator/clear", params={"account_id": "4337869213", "user_id": SAM["id"]}, timeout=10
        )
        assert cleared.json() == {"cleared": True}
        stack.post_dm("hello", SAM)
        stack.settled(SAM["id"])
        assert bot_texts(stack.state(SAM["id"])) == [bot_texts(stack.state(SAM["id"]))[0]]  # only what came after
        assert bot_texts(stack.state(SAM["id"]))[0].startswith("Hi Sam!")  # answered: no longer muted


def test_stop_at_the_daily_limit_says_it_is_applied_but_not_confirmed() -> None:
    with LocalStackProcess(DAILY_MESSAGE_LIMIT="3") as stack:
        for text in ("hi", "what are the limits", "STOP", "START"):  # 3 DMs a day, 1 kept for STOP: all spent
            stack.post_dm(text, ALEX, account=SALES)
            time.sleep(0.5)
        stack.post_dm("STOP", ALEX, account=SALES)
        stack.wait_until(lambda: outcomes(stack, ALEX["id"], SALES["id"])[-1][1] != "")
        text, outcome = outcomes(stack, ALEX["id"], SALES["id"])[-1]
        assert text == "STOP"
        assert outcome == "applied, but not confirmed: the account's daily limit left no DM for the confirmation"
