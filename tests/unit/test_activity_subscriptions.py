"""X Activity API subscription answers: X's pages show three shapes, and each is read the same."""

import pytest

from dmchannel.x.account_activity import ActivitySubscription, subscriptions_in

ITEM = {"id": "1950", "event_type": "dm.received", "filter": {"user_id": "42"}, "webhook_id": "7", "tag": "t"}
EXPECTED = ActivitySubscription(id="1950", event_type="dm.received", user_id="42", webhook_id="7", tag="t")


@pytest.mark.parametrize(
    "answer",
    [{"data": ITEM}, {"data": {"subscription": ITEM}}, {"data": [ITEM], "meta": {"result_count": 1}}],
    ids=["under data", "under data.subscription", "data as a list"],
)
def test_each_documented_shape(answer: dict[str, object]) -> None:
    assert subscriptions_in(answer) == [EXPECTED]


@pytest.mark.parametrize("answer", [None, {}, {"data": None}, {"data": []}, {"data": ["x"]}, []])
def test_nothing_readable_is_no_subscription(answer: object) -> None:
    assert subscriptions_in(answer) == []
