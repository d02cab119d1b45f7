"""A conversation's item (opt-out, takeover, the loop breaker), kept menus and the channel's own sends on moto."""

import threading
from collections.abc import Callable
from typing import Any

import boto3

from devstack.provision import LocalStack
from dmchannel.bots.base import Button
from dmchannel.storage.conversation import Conversations, Loop, Seen
from dmchannel.storage.credits import CreditsHold
from dmchannel.storage.kept_menus import KeptMenus
from dmchannel.storage.own_sends import OwnSend, OwnSends
from dmchannel.storage.table import Prefix, read_items, write_together
from dmchannel.x.message import OutboundMessage
from tests.integration.conftest import looked

NOW = 1_795_521_600.0
ACCOUNT = "4337869213"


def made(kind: Any, stack: LocalStack, clock: list[float]) -> Any:
    return kind(boto3.client("dynamodb"), stack.refs["StateTable"], ACCOUNT, clock=lambda: clock[0])


def read(state: Conversations, user: str, dm_id: str = "", at: float = NOW, *, tap: bool = False) -> Seen:
    """The conversation as a DM's one read finds it, the DM counted in it (not yet written), as the responder reads it."""
    return state.seen(user, read_items(state.dynamodb, state.table, state.keys_to_read(user)), dm_id, at, tap=tap)


def written(seen: Seen) -> Seen:
    """The DM's count (and the rest of what goes with its plan) written, as the responder does."""
    if writes := seen.writes():
        assert write_together(seen.store.dynamodb, writes)
    return seen


def counted(state: Conversations, user: str, dm_id: str, at: float) -> Seen:
    """A DM read, counted, and its count written with its plan."""
    return written(read(state, user, dm_id, at))


def verdicts(state: Conversations, user: str, dms: list[tuple[str, float]], most: int = 3) -> list[Loop]:
    """Each DM read, judged and counted in turn, as the responder does."""
    judged = []
    for dm_id, at in dms:
        seen = read(state, user, dm_id, at)
        judged.append(seen.verdict(user, dm_id, at, most, 300))
        written(seen)
    return judged


def test_opt_out_round_trip(stack: LocalStack) -> None:
    state: Conversations = made(Conversations, stack, [NOW])
    assert not looked(state, "1").is_opted_out("1")
    assert state.keep_opt_choice("1", True, NOW).is_opted_out("1")
    assert not looked(state, "2").is_opted_out("2")
    assert state.keep_opt_choice("1", False, NOW - 60).is_opted_out("1")  # an older START, replayed: STOP stands
    assert not state.keep_opt_choice("1", False, NOW + 60).is_opted_out("1")
    assert not state.keep_opt_choice("1", True, NOW).is_opted_out("1")  # the STOP before it, redriven: START stands
    assert counted(state, "1", "d1", NOW + 120).opt_at_ms == int((NOW + 60) * 1000)  # counting keeps the choice


def test_a_conversation_with_an_opt_choice_never_expires_and_one_without_does(stack: LocalStack) -> None:
    clock = [NOW]
    state: Conversations = made(Conversations, stack, clock)
    counted(state, "1", "d1", NOW)
    state.keep_opt_choice("2", True, NOW)
    clock[0] += 86_400
    counted(state, "2", "d2", NOW + 86_400)  # a later DM does not bring the expiry back
    items = read_items(state.dynamodb, state.table, [state.key("1"), state.key("2")])
    expiry = {user: float(items[state.key(user)["pk"]["S"]]["expires_at"]["N"]) for user in ("1", "2")}
    assert NOW < expiry["1"] < NOW + 30 * 86_400
    assert expiry["2"] > NOW + 900 * 365 * 86_400


def test_loop_breaker_mutes_by_when_the_user_wrote_and_notices_once(stack: LocalStack) -> None:
    state: Conversations = made(Conversations, stack, [NOW])
    assert verdicts(state, "1", [(f"d{n}", NOW + n) for n in range(5)]) == [Loop.OK] * 3 + [Loop.NOTICE, Loop.MUTED]
    assert verdicts(state, "2", [("e1", NOW)]) == [Loop.OK]  # other conversations are not affected
    assert verdicts(state, "1", [("d5", NOW + 120)]) == [Loop.MUTED]  # a new minute, not 300 s of quiet
    assert verdicts(state, "1", [("d6", NOW + 120 + 301)]) == [Loop.OK]  # quiet long enough
    # Too fast again later: a new mute, and a new notice.
    later = verdicts(state, "1", [(f"f{n}", NOW + 3_600 + n) for n in range(5)])
    assert later == [Loop.OK] * 3 + [Loop.NOTICE, Loop.MUTED]


def test_a_redelivered_dm_counts_once_and_keeps_its_notice(stack: LocalStack) -> None:
    state: Conversations = made(Conversations, stack, [NOW])
    assert verdicts(state, "1", [("same", NOW)] * 3, most=1) == [Loop.OK] * 3
    assert verdicts(state, "1", [("next", NOW + 1)] * 2, most=1) == [Loop.NOTICE] * 2  # its redelivery: the same


def test_a_backlog_written_slowly_is_not_muted_however_fast_it_arrives(stack: LocalStack) -> None:
    state: Conversations = made(Conversations, stack, [NOW + 3_600])  # processed an hour later, all at once
    assert set(verdicts(state, "1", [(f"d{n}", NOW + 60 * n) for n in range(60)])) == {Loop.OK}
    written = read_items(state.dynamodb, state.table, [state.key("1")])[state.key("1")["pk"]["S"]]["written"]["SS"]
    assert len(written) < 30  # the DMs too old to count are removed as they pile up


def test_taps_on_the_bots_buttons_are_never_counted_nor_muted(stack: LocalStack) -> None:
    state: Conversations = made(Conversations, stack, [NOW])
    taps = [written(looked(state, "1")).verdict("1", f"t{n}", NOW + n, 3, 300) for n in range(12)]
    assert set(taps) == {Loop.OK}
    for n in range(6):  # numbers answering the menu: read as DMs, then found to be taps
        typed = read(state, "1", f"n{n}", NOW + 20 + n).as_tap()
        assert typed.verdict("1", f"n{n}", NOW + 20 + n, 3, 300) is Loop.OK
        written(typed)
    assert verdicts(state, "1", [(f"d{n}", NOW + 30 + n) for n in range(4)]) == [Loop.OK] * 3 + [Loop.NOTICE]
    assert looked(state, "1").verdict("1", "t-late", NOW + 40, 3, 300) is Loop.MUTED  # no answer while muted


def test_an_earlier_versions_items_are_folded_into_the_conversation_once(stack: LocalStack) -> None:
    state: Conversations = made(Conversations, stack, [NOW])
    dynamodb, table = state.dynamodb, state.table
    earlier: list[dict[str, Any]] = [
        {**Prefix.OPT_OUT.key(ACCOUNT, "1"), "opted_out": {"BOOL": True}, "at": {"N": str(int(NOW * 1000))}},
        {**Prefix.OPT_OUT.key(ACCOUNT, "2")},  # from before choices were dated: STOP
        {**Prefix.HUMAN.key(ACCOUNT, "3"), "until": {"N": str(int(NOW) + 600)}},
        {
            **Prefix.MUTE.key(ACCOUNT, "4"),
            "until": {"N": str(int(NOW) + 300)},
            **{"episode": {"N": "5"}, "notice_episode": {"N": "5"}, "notice_dm": {"S": "d0"}},
        },
    ]
    for item in earlier:
        dynamodb.put_item(TableName=table, Item=item)

    def first_dm(user: str) -> Seen:
        items = read_items(dynamodb, table, state.keys_to_read(user))
        seen = state.seen(user, items, f"d{user}", NOW + 1)
        assert not seen.earlier_read
        return written(state.fold(seen, items))

    assert first_dm("1").is_opted_out("1") and first_dm("2").is_opted_out("2")
    assert first_dm("3").with_person("3")
    assert first_dm("4").verdict("4", "d4", NOW + 1, 3, 300) is Loop.MUTED
    assert read(state, "1", "again", NOW + 2).earlier_read  # folded once: never read again
    assert not state.keep_opt_choice("2", False, NOW + 5).is_opted_out("2")  # START after it still wins
    assert state.give_back_to_bot("3") and not looked(state, "3").with_person("3")
    fresh = read(state, "5", "d5", NOW)  # nothing earlier: the plan's writes note that it was looked for
    assert state.fold(fresh, {}) is fresh and written(fresh)
    assert looked(state, "5").earlier_read


def test_a_menu_is_forgotten(stack: LocalStack) -> None:
    menus: KeptMenus = made(KeptMenus, stack, [NOW])
    write_together(menus.dynamodb, [menus.save("offered#1", [Button("One", "p1")])[0]])
    write_together(menus.dynamodb, [menus.forget("offered#1")])
    assert menus.buttons("offered#1") == []


def test_more_buttons_are_kept(stack: LocalStack) -> None:
    menus: KeptMenus = made(KeptMenus, stack, [NOW])
    buttons = [Button("Ünïcode title", "p1"), Button("Two", "p2")]
    write, kept = menus.save("more#in-1", buttons)
    assert kept == 2 and write_together(menus.dynamodb, [write])
    assert menus.buttons("more#in-1") == buttons
    assert menus.buttons("more#unknown") == []


def sealed(message_id: str) -> OutboundMessage:
    return OutboundMessage("", (), f'{{"message_id": "{message_id}"}}')


def test_a_failure_finds_the_send_it_names_else_the_newest_send_shortly_before_it(stack: LocalStack) -> None:
    clock = [NOW]
    sends: OwnSends = made(OwnSends, stack, clock)
    write_together(sends.dynamodb, sends.notes("1", sealed("m-a"), "dm-1", 0))
    clock[0] += 5
    write_together(sends.dynamodb, sends.notes("1", sealed("m-b"), "dm-1", 1))
    assert sends.sent_id_by_channel("1", "m-a") and not sends.sent_id_by_channel("2", "m-a")
    assert sends.failed_send("1", "m-a", NOW + 60) == OwnSend("dm-1", 0, NOW)  # X named our message
    assert sends.failed_send("1", "failure-9", NOW + 60) == OwnSend("dm-1", 1, NOW + 5)  # else our newest
    assert sends.failed_send("1", "failure-9", NOW + 3_600) is None  # too long after it to be about it
    assert sends.failed_send("2", "failure-9", NOW + 60) is None  # nothing of ours in that conversation


def test_a_legacy_reply_is_known_by_its_text_links_left_out(stack: LocalStack) -> None:
    sends: OwnSends = made(OwnSends, stack, [NOW])
    write_together(sends.dynamodb, sends.notes("1", OutboundMessage("See https://example.com/a  now"), "dm-1", 0))
    assert sends.sent_by_channel("1", "See https://t.co/xyz now")
    assert not sends.sent_by_channel("1", "Someone else wrote this")


def in_another_thread(call: Callable[[], Any]) -> Any:
    """What call answers when another thread (another conversation of the batch) makes it."""
    answers: list[Any] = []
    worker = threading.Thread(target=lambda: answers.append(call()))
    worker.start()
    worker.join()
    return answers[0]


def test_a_refusal_while_another_dm_goes_on_keeps_the_credits_hold_read(stack: LocalStack) -> None:
    clock = [NOW]
    hold = CreditsHold(boto3.client("dynamodb"), stack.refs["StateTable"], 900, clock=lambda: clock[0])
    key = hold.key_to_read()
    assert key is not None and hold.wait_until({}) == 0.0  # nothing held: trusted for a minute
    assert in_another_thread(hold.key_to_read) is None  # a DM of another conversation begins, reading nothing
    probe_at = hold.spent()  # X refuses this thread's send for want of credits
    assert in_another_thread(lambda: hold.wait_until({})) == 0.0  # the other DM goes on (X refuses it too)
    assert hold.key_to_read() == key  # the next DM reads the hold: the other's going on reopened nothing
    item = read_items(boto3.client("dynamodb"), stack.refs["StateTable"], [key])
    assert hold.wait_until(item) == probe_at
