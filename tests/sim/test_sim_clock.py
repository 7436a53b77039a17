"""The virtual clock and scheduler (vnetlab/sim/clock.py)."""

from __future__ import annotations

from vnetlab.sim.clock import MS, S, Scheduler


def test_events_run_in_time_order() -> None:
    s = Scheduler()
    seen: list[tuple[int, str]] = []
    for t, tag in [(30, "c"), (10, "a"), (20, "b"), (5, "first")]:
        s.at(t, lambda a: seen.append((s.now, a)), tag)
    assert s.run() == 4
    assert seen == [(5, "first"), (10, "a"), (20, "b"), (30, "c")]
    assert s.now == 30


def test_equal_times_run_fifo() -> None:
    s = Scheduler()
    seen: list[int] = []
    for i in range(20):
        s.at(100, seen.append, i)
    s.at(50, seen.append, -1)
    s.run()
    assert seen == [-1, *range(20)]


def test_event_scheduled_for_now_runs_in_same_pass_after_queued_ones() -> None:
    s = Scheduler()
    seen: list[str] = []

    def first(_: object) -> None:
        seen.append("first")
        s.at(s.now, lambda _a: seen.append("scheduled-now"))
        s.after(0, lambda _a: seen.append("after-0"))

    s.at(10, first)
    s.at(10, lambda _a: seen.append("second"))
    s.at(11, lambda _a: seen.append("later"))
    # run only up to t=10: the events added for "now" during the pass still run
    s.run(until=10)
    assert seen == ["first", "second", "scheduled-now", "after-0"]
    assert s.pending() == 1


def test_scheduling_in_the_past_runs_now_not_earlier() -> None:
    s = Scheduler()
    seen: list[int] = []
    s.at(100, lambda _a: s.at(3, lambda _b: seen.append(s.now)))
    s.run()
    assert seen == [100]


def test_run_until_stops_and_sets_now() -> None:
    s = Scheduler()
    seen: list[int] = []
    s.at(1 * S, seen.append, 1)
    s.at(3 * S, seen.append, 3)
    s.run(until=2 * S)
    assert seen == [1]
    assert s.now == 2 * S  # time advanced to `until` though nothing ran there
    assert s.next_time() == 3 * S
    s.run(until=3 * S)  # inclusive bound
    assert seen == [1, 3]
    assert s.now == 3 * S
    s.run(until=10 * S)  # nothing left: time still moves to `until`
    assert s.now == 10 * S


def test_run_until_includes_events_exactly_at_until() -> None:
    s = Scheduler()
    seen: list[int] = []
    s.at(500 * MS, seen.append, 1)
    s.run(until=500 * MS)
    assert seen == [1]


def test_timer_fires_once_and_cancel_prevents_it() -> None:
    s = Scheduler()
    fired: list[str] = []
    t1 = s.timer(5 * MS, lambda: fired.append("t1"))
    t2 = s.timer(5 * MS, lambda: fired.append("t2"))
    assert t1.expires == 5 * MS
    t2.cancel()
    s.run()
    assert fired == ["t1"]
    t1.fire()  # a fired timer does not fire again
    assert fired == ["t1"]


def test_timer_cancelled_from_an_earlier_event() -> None:
    s = Scheduler()
    fired: list[str] = []
    t = s.timer(10, lambda: fired.append("late"))
    s.at(5, lambda _a: t.cancel())
    s.run()
    assert fired == []
    assert s.now == 10  # the cancelled timer's slot still passed
