"""Opt-out, the loop breaker and "More options" buttons on moto's DynamoDB."""

import boto3

from devstack.provision import LocalStack
from dmchannel.bots.base import Button
from dmchannel.storage.conversation_state import ConversationState, Loop

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


def test_loop_breaker_mutes_by_when_the_user_wrote_and_notices_once(stack: LocalStack) -> None:
    state = make_state(stack, [NOW])
    verdicts = [state.loop_verdict("1", f"d{n}", NOW + n, 3, 300) for n in range(5)]
    assert verdicts == [Loop.OK, Loop.OK, Loop.OK, Loop.NOTICE, Loop.MUTED]
    assert state.loop_verdict("2", "e1", NOW, 3, 300) is Loop.OK  # other conversations are not affected
    assert state.loop_verdict("1", "d5", NOW + 120, 3, 300) is Loop.MUTED  # a new minute, not 300 s of quiet
    assert state.loop_verdict("1", "d6", NOW + 120 + 301, 3, 300) is Loop.OK  # quiet long enough
    # Too fast again later: a new mute, and a new notice.
    later = [state.loop_verdict("1", f"f{n}", NOW + 3_600 + n, 3, 300) for n in range(5)]
    assert later == [Loop.OK, Loop.OK, Loop.OK, Loop.NOTICE, Loop.MUTED]


def test_a_redelivered_dm_counts_once_and_keeps_its_notice(stack: LocalStack) -> None:
    state = make_state(stack, [NOW])
    assert [state.loop_verdict("1", "same", NOW, 1, 300) for _ in range(3)] == [Loop.OK] * 3
    assert state.loop_verdict("1", "next", NOW + 1, 1, 300) is Loop.NOTICE
    assert state.loop_verdict("1", "next", NOW + 1, 1, 300) is Loop.NOTICE  # its redelivery: the same verdict


def test_a_backlog_written_slowly_is_not_muted_however_fast_it_arrives(stack: LocalStack) -> None:
    state = make_state(stack, [NOW + 3_600])  # processed an hour later, all at once
    assert {state.loop_verdict("1", f"d{n}", NOW + 60 * n, 3, 300) for n in range(60)} == {Loop.OK}


def test_a_menu_is_forgotten(stack: LocalStack) -> None:
    state = make_state(stack, [NOW])
    state.save_buttons("offered#1", [Button("One", "p1")])
    state.forget_buttons("offered#1")
    assert state.buttons("offered#1") == []


def test_more_buttons_are_kept(stack: LocalStack) -> None:
    state = make_state(stack, [NOW])
    buttons = [Button("Ünïcode title", "p1"), Button("Two", "p2")]
    state.save_buttons("more#in-1", buttons)
    assert state.buttons("more#in-1") == buttons
    assert state.buttons("more#unknown") == []
