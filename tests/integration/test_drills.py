"""Every fault drill at its small size: nothing lost or open, nothing sent twice, no mixed answer, no limit broken."""

from collections.abc import Iterator

import pytest

from devstack.drill import DRILLS, Drill, Row, render, run_drill

EXPECTED_UNANSWERED = {
    "XChat: a group, then alone": "not_answerable",  # the group's messages: only one-to-one ones are answered
    "16 at the daily limit": "daily_limit",
    "hour's end at the limit": "daily_limit",
    "12 DMs in 10 s, then STOP": "muted",
}


@pytest.fixture(scope="module")
def rows(moto_url: str) -> Iterator[dict[str, Row]]:
    yield {drill.name: run_drill(drill, moto_url, small=True) for drill in DRILLS}


@pytest.mark.parametrize("drill", DRILLS, ids=[drill.name for drill in DRILLS])
def test_every_dm_is_accounted_for(drill: Drill, rows: dict[str, Row]) -> None:
    row = rows[drill.name]
    faults = (row.lost, row.no_outcome, row.sent_twice, row.mixed, row.limit_violations, row.unreadable)
    assert faults == (0, 0, 0, 0, 0, 0), render([row])
    assert row.received > 0 and sum(row.dead_lettered.values()) == (drill.name == "a poison DM"), render([row])
    assert row.answered + sum(row.unanswered.values()) + sum(row.dead_lettered.values()) == row.received, render([row])
    assert set(row.unanswered) <= {EXPECTED_UNANSWERED.get(drill.name)}, render([row])


def test_the_drills_exercise_what_they_name(rows: dict[str, Row]) -> None:
    assert rows["X 429, reset 20 h away"].late == rows["X 429, reset 20 h away"].received
    assert rows["bot slow (4 s)"].late > 0  # some DMs were not started for want of time, and came back
    assert rows["crash after reserving"].late == rows["crash after reserving"].received
    assert rows["XChat: crash before the plan"].late == rows["XChat: crash before the plan"].received
    assert rows["XChat: X 5xx and read timeouts"].late > 0  # X failed some encrypted sends: the same bytes went again
    assert rows["16 at the daily limit"].unanswered["daily_limit"] > 0
    fast = rows["12 DMs in 10 s, then STOP"]
    assert (fast.answered, fast.unanswered["muted"]) == (12, 1)  # 10 answers, the notice, and STOP's confirmation
    poison = rows["a poison DM"]
    assert (poison.answered, sum(poison.dead_lettered.values())) == (poison.received - 1, 1)  # alone; the rest go on
    assert rows["X down for an hour"].late == rows["X down for an hour"].received  # all answered once X is back
    credits = rows["X out of credits for an hour"]
    assert credits.answered == credits.late == credits.received  # held, then all answered by the probes
    assert rows["X down 3 h, then redrive"].answered == rows["X down 3 h, then redrive"].received  # after the redrive
    assert (
        rows["XChat: token revoked 20 min"].late == rows["XChat: token revoked 20 min"].received
    )  # held, then answered
    assert rows["hour's end at the limit"].unanswered["daily_limit"] > 0
    assert rows["Secrets Manager throttled"].late > 0  # throttled reads brought DMs back; none was un-served
    assert rows["XChat: key turned mid-talk"].answered == rows["XChat: key turned mid-talk"].received
    assert rows["XChat: live delivery shape"].answered == rows["XChat: live delivery shape"].received
    group = rows["XChat: a group, then alone"]
    assert (group.answered, group.unanswered["not_answerable"]) == (group.received * 2 // 3, group.received // 3)
    for name in ("XChat: new device, new keys", "XChat: message requests", "XChat: Failure after a send"):
        assert rows[name].answered == rows[name].received, render([rows[name]])
    assert rows["XChat: message requests"].late == 0 and rows["XChat: message requests"].received > 0
