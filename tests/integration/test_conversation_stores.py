"""Opt-out, the loop breaker and kept menus on moto's DynamoDB."""

from typing import Any

import boto3

from devstack.provision import LocalStack
from dmchannel.bots.base import Button
from dmchannel.storage.kept_menus import KeptMenus
from dmchannel.storage.loop_breaker import Loop, LoopBreaker
from dmchannel.storage.opt_out import OptOuts
from dmchannel.storage.takeover import OwnSend, Takeovers

NOW = 1_795_521_600.0


def made(kind: Any, stack: LocalStack, clock: list[float]) -> Any:
    return kind(boto3.client("dynamodb"), stack.refs["StateTable"], "4337869213", clock=lambda: clock[0])


def test_opt_out_round_trip(stack: LocalStack) -> None:
    state: OptOuts = made(OptOuts, stack, [NOW])
    assert not state.is_opted_out("1")
    assert state.set_opted_out("1", True, NOW)
    assert state.is_opted_out("1")
    assert not state.is_opted_out("2")
    assert not state.set_opted_out("1", False, NOW - 60)  # an older START, replayed: STOP stands
    assert state.is_opted_out("1")
    assert state.set_opted_out("1", False, NOW + 60)
    assert not state.is_opted_out("1")
    assert not state.set_opted_out("1", True, NOW)  # the STOP before it, redriven: START stands
    assert not state.is_opted_out("1")


def test_loop_breaker_mutes_by_when_the_user_wrote_and_notices_once(stack: LocalStack) -> None:
    state: LoopBreaker = made(LoopBreaker, stack, [NOW])
    verdicts = [state.verdict("1", f"d{n}", NOW + n, 3, 300) for n in range(5)]
    assert verdicts == [Loop.OK, Loop.OK, Loop.OK, Loop.NOTICE, Loop.MUTED]
    assert state.verdict("2", "e1", NOW, 3, 300) is Loop.OK  # other conversations are not affected
    assert state.verdict("1", "d5", NOW + 120, 3, 300) is Loop.MUTED  # a new minute, not 300 s of quiet
    assert state.verdict("1", "d6", NOW + 120 + 301, 3, 300) is Loop.OK  # quiet long enough
    # Too fast again later: a new mute, and a new notice.
    later = [state.verdict("1", f"f{n}", NOW + 3_600 + n, 3, 300) for n in range(5)]
    assert later == [Loop.OK, Loop.OK, Loop.OK, Loop.NOTICE, Loop.MUTED]


def test_a_redelivered_dm_counts_once_and_keeps_its_notice(stack: LocalStack) -> None:
    state: LoopBreaker = made(LoopBreaker, stack, [NOW])
    assert [state.verdict("1", "same", NOW, 1, 300) for _ in range(3)] == [Loop.OK] * 3
    assert state.verdict("1", "next", NOW + 1, 1, 300) is Loop.NOTICE
    assert state.verdict("1", "next", NOW + 1, 1, 300) is Loop.NOTICE  # its redelivery: the same verdict


def test_a_backlog_written_slowly_is_not_muted_however_fast_it_arrives(stack: LocalStack) -> None:
    state: LoopBreaker = made(LoopBreaker, stack, [NOW + 3_600])  # processed an hour later, all at once
    assert {state.verdict("1", f"d{n}", NOW + 60 * n, 3, 300) for n in range(60)} == {Loop.OK}


def test_a_menu_is_forgotten(stack: LocalStack) -> None:
    menus: KeptMenus = made(KeptMenus, stack, [NOW])
    menus.save("offered#1", [Button("One", "p1")])
    menus.forget("offered#1")
    assert menus.buttons("offered#1") == []


def test_more_buttons_are_kept(stack: LocalStack) -> None:
    menus: KeptMenus = made(KeptMenus, stack, [NOW])
    buttons = [Button("Ünïcode title", "p1"), Button("Two", "p2")]
    menus.save("more#in-1", buttons)
    assert menus.buttons("more#in-1") == buttons
    assert menus.buttons("more#unknown") == []


def test_a_failure_finds_the_send_it_names_else_the_newest_send_shortly_before_it(stack: LocalStack) -> None:
    clock = [NOW]
    sends: Takeovers = made(Takeovers, stack, clock)
    sends.note_outgoing_id("1", "m-a", "dm-1", 0)
    clock[0] += 5
    sends.note_outgoing_id("1", "m-b", "dm-1", 1)
    assert sends.sent_id_by_channel("1", "m-a") and not sends.sent_id_by_channel("2", "m-a")
    assert sends.failed_send("1", "m-a", NOW + 60) == OwnSend("dm-1", 0, NOW)  # X named our message
    assert sends.failed_send("1", "failure-9", NOW + 60) == OwnSend("dm-1", 1, NOW + 5)  # else our newest
    assert sends.failed_send("1", "failure-9", NOW + 3_600) is None  # too long after it to be about it
    assert sends.failed_send("2", "failure-9", NOW + 60) is None  # nothing of ours in that conversation
