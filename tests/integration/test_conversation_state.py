"""Opt-out, the loop breaker and "More options" buttons on moto's DynamoDB."""

import boto3

from devstack.provision import LocalStack
from dmchannel.bots.base import Button
from dmchannel.storage.conversation_state import ConversationState

NOW = 1_795_521_600.0


def make_state(stack: LocalStack, clock: list[float]) -> ConversationState:
    return ConversationState(boto3.client("dynamodb"), stack.refs["StateTable"], "4337869213", lambda: clock[0])


def test_opt_out_round_trip(stack: LocalStack) -> None:
    state = make_state(stack, [NOW])
    assert not state.is_opted_out("1")
    state.set_opted_out("1", True)
    assert state.is_opted_out("1")
    assert not state.is_opted_out("2")
    state.set_opted_out("1", False)
    assert not state.is_opted_out("1")


def test_loop_breaker_mutes_until_quiet(stack: LocalStack) -> None:
    clock = [NOW]
    state = make_state(stack, clock)
    assert [state.is_looping("1", 3, 300) for _ in range(4)] == [False, False, False, True]
    assert not state.is_looping("2", 3, 300)  # other conversations are not affected
    clock[0] += 120  # a new minute, but less than 300 s of quiet
    assert state.is_looping("1", 3, 300)
    clock[0] += 301  # quiet long enough
    assert not state.is_looping("1", 3, 300)


def test_more_buttons_are_kept(stack: LocalStack) -> None:
    state = make_state(stack, [NOW])
    buttons = [Button("Ünïcode title", "p1"), Button("Two", "p2")]
    state.save_buttons("more#in-1", buttons)
    assert state.buttons("more#in-1") == buttons
    assert state.buttons("more#unknown") == []
