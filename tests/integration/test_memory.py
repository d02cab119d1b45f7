"""The assistant's memory on moto's DynamoDB: turns kept per user, bounded, forgotten."""

import boto3

from devstack.provision import LocalStack
from dmchannel.storage.memory import ConversationMemory, History

NOW = 1_795_521_600.0


def memory(
    stack: LocalStack, clock: list[float], *, max_turns: int = 10, max_chars: int = 8_000, ttl_seconds: int = 3_600
) -> ConversationMemory:
    return ConversationMemory(
        boto3.client("dynamodb"),
        stack.refs["StateTable"],
        "4337869213",
        max_turns=max_turns,
        max_chars=max_chars,
        ttl_seconds=ttl_seconds,
        clock=lambda: clock[0],
    )


def test_turns_are_kept_per_user_bounded_and_forgotten(stack: LocalStack) -> None:
    clock = [NOW]
    remembered = memory(stack, clock, max_turns=2, ttl_seconds=600)
    assert remembered.recall("1") == ()
    history: History = ()
    for n in range(3):
        remembered.remember("1", history, f"q{n}", f"a{n}")
        history = remembered.recall("1")
    assert history == (("user", "q1"), ("assistant", "a1"), ("user", "q2"), ("assistant", "a2"))
    assert remembered.recall("2") == ()
    clock[0] += 601
    assert remembered.recall("1") == ()  # the time-to-live has passed
    remembered.remember("1", (), "again", "yes")
    remembered.forget("1")
    assert remembered.recall("1") == ()


def test_what_the_model_sees_is_bounded_in_characters(stack: LocalStack) -> None:
    remembered = memory(stack, [NOW], max_turns=10, max_chars=100)
    history: History = ()
    for n in range(5):
        remembered.remember("1", history, "q" * 30, f"answer {n}")
        history = remembered.recall("1")
    assert sum(len(text) for _, text in history) <= 100
    assert history[-1] == ("assistant", "answer 4")
