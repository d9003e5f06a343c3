"""Ending-soon points: announced once per point and round, at their time, in the log."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from auctioneer.engine import EndingSoon, Remind, next_reminder, replay
from tests.engine.harness import MS, T0, AuctionHarness

POINTS = (300, 60)


def remind(h: AuctionHarness, watchers: tuple[int, ...] = (7, 8)) -> list[EndingSoon]:
    events = h.send(Remind(thresholds=POINTS, watchers=watchers))
    assert all(isinstance(e, EndingSoon) for e in events)
    return [e for e in events if isinstance(e, EndingSoon)]


def test_each_point_is_announced_once_at_its_time_to_the_watchers_named() -> None:
    h = AuctionHarness()
    h.create(duration_s=600)
    assert next_reminder(h.state, POINTS) == T0 + 300 * MS
    h.later(299)
    assert remind(h) == []  # too early: nothing
    h.later(1)
    (first,) = remind(h)
    assert first.thresholds == (300,) and first.seq is None and first.watchers == (7, 8)
    assert [n.kind for n in h.notices_for(7)] == ["ending_soon"]
    data = h.notices_for(8)[0].data
    assert data["threshold_s"] == 300 and data["ends_at"] == T0 + 600 * MS
    assert remind(h) == []  # again: nothing more
    assert next_reminder(h.state, POINTS) == T0 + 540 * MS
    h.later(240)
    (second,) = remind(h, watchers=(8,))
    assert second.thresholds == (60,)
    assert [n.data["threshold_s"] for n in h.notices_for(8)] == [300, 60]
    assert next_reminder(h.state, POINTS) is None
    assert replay(1, h.log).reminded == frozenset(POINTS)


def test_points_due_together_announce_the_smallest_and_mark_both() -> None:
    h = AuctionHarness()
    h.create(duration_s=600)
    h.later(570)  # the server was down through both points
    (event,) = remind(h)
    assert event.thresholds == (300, 60)
    assert [n.data["threshold_s"] for n in h.notices_for(7)] == [60]
    assert next_reminder(h.state, POINTS) is None


def test_a_round_shorter_than_a_point_never_announces_it() -> None:
    h = AuctionHarness()
    h.create(duration_s=120)
    assert next_reminder(h.state, POINTS) == T0 + 60 * MS
    assert remind(h) == []
    h.later(60)
    (event,) = remind(h)
    assert event.thresholds == (60,)


def test_a_round_of_exactly_a_point_does_not_announce_it_at_the_opening() -> None:
    h = AuctionHarness()
    h.create(duration_s=60)
    assert next_reminder(h.state, POINTS) is None
    assert remind(h) == []


def test_a_countdown_that_starts_at_the_first_bid_with_little_left_announces_nothing() -> None:
    h = AuctionHarness()
    h.create(countdown_s=10)
    assert next_reminder(h.state, POINTS) is None
    h.later(500)
    h.bid(1, 1000)
    assert next_reminder(h.state, POINTS) is None
    assert remind(h) == []


def test_a_soft_close_extension_does_not_announce_a_point_again() -> None:
    h = AuctionHarness()
    h.create(duration_s=600, soft_close_s=120)
    h.later(540)
    assert len(remind(h)) == 1  # 300 and 60 due together
    h.later(30)
    h.bid(1, 1000)  # 30 s before the end: the end moves to now + 120 s
    assert h.state.ends_at == h.now + 120 * MS
    assert next_reminder(h.state, POINTS) is None
    h.later(61)
    assert remind(h) == []  # within a minute of the new end, but 60 was announced


def test_a_long_extension_reaches_a_point_never_announced() -> None:
    h = AuctionHarness()
    h.create(duration_s=100, soft_close_s=400)  # too short for 300 at first
    h.later(10)
    h.bid(1, 1000)  # 90 s before the end: the end moves to now + 400 s
    assert next_reminder(h.state, POINTS) == h.now + 100 * MS
    h.later(100)
    assert remind(h)[0].thresholds == (300,)


def test_each_round_of_a_multi_unit_lot_has_its_own_points() -> None:
    h = AuctionHarness()
    h.create(duration_s=600, quantity=2)
    h.later(540)
    remind(h)
    h.bid(1, 1000)
    h.until_end()
    assert h.state.round == 2 and h.state.reminded == frozenset()
    assert next_reminder(h.state, POINTS) == h.now + 300 * MS
    h.later(300)
    assert remind(h)[0].round == 2


def test_closed_or_at_its_end_nothing_is_announced() -> None:
    h = AuctionHarness()
    h.create(duration_s=600)
    h.later(600)
    assert remind(h) == []  # the end has come: the Tick closes it, no reminder
    h.tick()
    assert next_reminder(h.state, POINTS) is None
    assert h.refuse(Remind(thresholds=POINTS)).code == "auction_not_open"


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(st.tuples(st.integers(0, 200), st.booleans()), min_size=1, max_size=12),
)
def test_property_no_point_is_announced_twice_in_a_round(steps: list[tuple[int, bool]]) -> None:
    h = AuctionHarness()
    h.create(duration_s=900, soft_close_s=200)
    bidder, amount = 1, 1000
    for seconds, bid in steps:
        h.later(seconds)
        if h.state.status.value != "open":
            break
        if bid and h.state.ends_at is not None and h.now < h.state.ends_at:
            h.bid(bidder, amount)
            bidder, amount = 3 - bidder, amount + 100
        elif h.state.ends_at is not None and h.now >= h.state.ends_at:
            h.tick()
        else:
            remind(h)
    announced = [t for e in h.log if isinstance(e, EndingSoon) for t in e.thresholds]
    assert len(announced) == len(set(announced))
    for event in h.log:
        if isinstance(event, EndingSoon):
            assert event.at < event.ends_at
            assert event.at >= event.ends_at - max(event.thresholds) * MS
