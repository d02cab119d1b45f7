"""`make run` end to end, over HTTP only: webhook, queue, responder, limits and the fake X."""

import subprocess
import time
from pathlib import Path

import pytest
import requests

from devstack.dev_credentials import DEV_CREDENTIALS, SECOND_ACCOUNT
from devstack.stack_process import COMMAND, LocalStackProcess, bot_texts, free_port, stack_environment, to_json
from dmchannel.webhook.signature import sign
from tests.conftest import ROOT

JORDAN = {"id": "3001969357", "name": "Jordan", "screen_name": "jordan"}
SAM = {"id": "3001969358", "name": "Sam", "screen_name": "sam"}
ALEX = {"id": "3001969359", "name": "Alex", "screen_name": "alex"}
# printf '%s' Q0hBTExFTkdFLXRva2VuLWZyb20tWA | openssl dgst -sha256 -hmac dev-consumer-secret -binary | base64
CRC_ANSWER = "sha256=icpsGHIMvQnKukzmFT1NQI+ijwLu9AhNTFv7VpgJI6g="


def test_banner_names_what_started(stack: LocalStackProcess) -> None:
    for part in ("DM simulator", "webhook", "moto", "fake X API", "queue poller", "curl"):
        assert part in stack.banner
    assert f"http://127.0.0.1:{stack.port}/webhook?crc_token=" in stack.banner


def test_crc(stack: LocalStackProcess) -> None:
    answer = requests.get(
        f"{stack.base}/webhook", params={"crc_token": "Q0hBTExFTkdFLXRva2VuLWZyb20tWA", "nonce": "1"}, timeout=10
    )
    assert (answer.status_code, answer.headers["content-type"]) == (200, "application/json")
    assert answer.json() == {"response_token": CRC_ANSWER}
    assert requests.get(f"{stack.base}/webhook", timeout=10).status_code == 400
    assert requests.put(f"{stack.base}/webhook", timeout=10).status_code == 404


def test_signed_dm_is_answered_and_a_tap_too(stack: LocalStackProcess) -> None:
    assert stack.post_dm("hello", JORDAN).status_code == 200
    stack.wait_until(lambda: len(bot_texts(stack.state(JORDAN["id"]))) == 1)
    greeting = stack.state(JORDAN["id"])["bot_messages"][0]
    assert greeting["text"].startswith("Hi Jordan!")
    option = next(o for o in greeting["options"] if o["metadata"] == "intent:how")
    stack.post_dm(option["label"], JORDAN, metadata=option["metadata"])
    stack.wait_until(lambda: len(bot_texts(stack.state(JORDAN["id"]))) == 2)
    assert bot_texts(stack.state(JORDAN["id"]))[1].startswith("X calls a webhook")


def test_forged_post_is_401_and_sends_nothing(stack: LocalStackProcess) -> None:
    body = b'{"for_user_id":"4337869213","direct_message_events":[]}'
    assert stack.post_body(body, sign("wrong-secret", body)).status_code == 401
    forged = stack.post_body(body.replace(b"[]", b"[1]"), sign(DEV_CREDENTIALS.consumer_secret, body))
    assert (forged.status_code, to_json(forged)) == (401, {"error": "invalid signature"})
    assert stack.settled(ALEX["id"])["bot_messages"] == []


def test_the_same_delivery_twice_is_answered_once(stack: LocalStackProcess) -> None:
    assert stack.post_dm("hello", SAM, event_id="1795800000000009999").status_code == 200
    assert stack.post_dm("hello", SAM, event_id="1795800000000009999").status_code == 200
    assert len(stack.settled(SAM["id"])["bot_messages"]) == 1


def test_sigterm_stops_everything_and_frees_the_port() -> None:
    running = LocalStackProcess()
    assert running.stop() == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(running.base, timeout=2)
    assert LocalStackProcess(running.port).stop() == 0  # every port it held is free again


def test_a_taken_port_is_a_clear_message(stack: LocalStackProcess) -> None:
    second = subprocess.run(
        COMMAND, cwd=ROOT, env=stack_environment(stack.port), capture_output=True, text=True, timeout=60, check=False
    )
    assert second.returncode == 1
    assert f"Port {stack.port} on 127.0.0.1 is already in use" in second.stderr
    assert requests.get(f"{stack.base}/webhook", params={"crc_token": "a" * 20}, timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        ("X_DM_API", "v3", "error: X_DM_API='v3' is not valid: expected one of v1.1, v2"),
        ("BOT_KIND", "http", "error: BOT_KIND=http needs BOT_URL (the bot's URL)"),
    ],
)
def test_a_wrong_setting_is_one_line_not_a_traceback(variable: str, value: str, line: str) -> None:
    env = stack_environment(free_port(), **{variable: value})
    result = subprocess.run(COMMAND, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert (result.returncode, result.stderr) == (1, line + "\n")


def test_limits_set_through_the_environment(tmp_path: Path) -> None:
    faq = tmp_path / "faq.yaml"
    long_answer = " ".join(["This sentence is part of a very long answer."] * 560)  # about 25,000 characters
    faq.write_text(
        "greeting: {text: Hi, buttons: []}\nfallback: {text: Sorry}\n"
        f"intents:\n  - name: long\n    title: Long\n    keywords: [long]\n    answer: '{long_answer}'\n",
        encoding="utf-8",
    )
    with LocalStackProcess(DAILY_MESSAGE_LIMIT="3", REPLIES_PER_MESSAGE="2", FAQ_PATH=str(faq)) as running:
        assert "3 DMs in 24 hours, 2 replies per message" in running.banner
        running.post_dm("long please", JORDAN, event_id="1795800000000009001")
        state = running.settled(JORDAN["id"])
        assert len(state["bot_messages"]) == 2  # a third piece did not fit in the 2 replies allowed
        assert running.state(JORDAN["id"], "1795800000000009001")["per_message"] == {
            "event_id": "1795800000000009001",
            "used": 2,
            "limit": 2,
        }
        running.post_dm("hi", SAM)
        running.settled(SAM["id"])
        assert running.state(SAM["id"])["bot_messages"] == []  # the 3rd DM of the day is kept for a STOP...
        running.post_dm("STOP", ALEX)
        running.settled(ALEX["id"])
        final = running.state(ALEX["id"])
        assert [m["text"][:8] for m in final["bot_messages"]] == ["You will"]  # ...which is always confirmed
        assert final["daily"] == {"used": 3, "limit": 3}
        assert final["dead_letter_queue"] == {"visible": 0, "in_flight": 0}


def test_simulator_api_answers_only_local_pages(stack: LocalStackProcess) -> None:
    assert requests.get(f"{stack.base}/simulator/config", timeout=10).status_code == 200
    rebound = requests.get(f"{stack.base}/simulator/config", headers={"Host": "evil.example:3000"}, timeout=10)
    assert rebound.status_code == 403
    assert "consumer_secret" not in rebound.text


def test_two_accounts_and_the_x_activity_api(stack: LocalStackProcess) -> None:
    assert "4337869214 (@salesbot)" in stack.banner
    sales = {"id": SECOND_ACCOUNT.bot_user_id, "name": "Salesbot", "screen_name": "salesbot"}
    assert stack.post_dm("hello", ALEX, account=sales, surface="activity_api").json() == {"queued": 1}
    assert stack.post_dm("hello", ALEX, surface="activity_api").json() == {"queued": 1}
    stranger = {"id": "4337869299", "name": "Stranger", "screen_name": "stranger"}
    assert stack.post_dm("hello", ALEX, account=stranger).json() == {"queued": 0}  # not served: acknowledged only
    stack.settled(ALEX["id"])
    to_sales = stack.state(ALEX["id"], account_id=sales["id"])
    assert [m["text"] for m in to_sales["bot_messages"]] == [
        "Hi Alex! You are writing to @salesbot, the second account of this deployment."
    ]
    assert to_sales["daily"]["used"] == 1
    (from_support,) = bot_texts(stack.state(ALEX["id"]))
    assert from_support.startswith("Hi Alex!") and "salesbot" not in from_support


def test_the_console_reads_like_a_chat_log(stack: LocalStackProcess) -> None:
    stack.post_dm("hello", SAM)
    stack.settled(SAM["id"])
    time.sleep(0.5)
    lines = [line.rstrip("\n") for line in stack.output]
    assert any(" · Queued 1 DM(s) from the webhook" in line for line in lines)
    answered = [line for line in lines if f"from {SAM['id']}: Answered with 1 of 1 replies in" in line]
    assert answered and answered[-1].endswith(" ms")
    assert not [line for line in lines if line.startswith("{") or "Traceback" in line]
