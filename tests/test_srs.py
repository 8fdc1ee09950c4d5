"""SM-2 worked vectors, properties, the learning day, today's queue and the session model."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trainer.srs import (
    Session,
    SM2State,
    TodayQueue,
    build_queue,
    due_date,
    learning_day,
    parse_quality,
    sm2_step,
)

grades = st.integers(min_value=0, max_value=5)


def run(grades_: list[int], state: SM2State | None = None) -> list[SM2State]:
    """Every state after each grade."""
    state = state or SM2State()
    out = []
    for q in grades_:
        state = sm2_step(state, q)
        out.append(state)
    return out


def test_six_fives_follow_the_worked_example() -> None:
    states = run([5] * 6)
    assert [s.easiness for s in states] == [2.6, 2.7, 2.8, 2.9, 3.0, 3.1]
    assert [s.interval for s in states] == [1, 6, 17, 48, 140, 420]
    assert [s.repetitions for s in states] == [1, 2, 3, 4, 5, 6]


def test_six_fours_keep_ef_and_round_intervals_up() -> None:
    states = run([4] * 6)
    assert [s.easiness for s in states] == [2.5] * 6
    assert [s.interval for s in states] == [1, 6, 15, 38, 95, 238]


def test_no_float_drift_at_ef_three() -> None:
    # 2.5 + 5 * 0.1 drifts to 3.0000000000000004 in floats; ceil(140 * that) would be 421.
    state = SM2State(3.0000000000000004, repetitions=5, interval=140)
    assert state.easiness == 3.0
    assert sm2_step(state, 5).interval == 420


def test_ef_drops_by_exact_steps_and_stops_at_the_floor() -> None:
    states = run([3] * 10)
    assert [s.easiness for s in states[:5]] == [2.36, 2.22, 2.08, 1.94, 1.8]
    assert states[-1].easiness == 1.3
    assert min(s.easiness for s in states) == 1.3


def test_interval_uses_the_ef_from_before_the_grade() -> None:
    # Third grade 3 at EF 2.5: interval ceil(6 * 2.5) = 15, although EF becomes 2.36.
    state = sm2_step(SM2State(2.5, repetitions=2, interval=6), 3)
    assert (state.interval, state.easiness) == (15, 2.36)


def test_a_lapse_restarts_repetitions_and_keeps_ef() -> None:
    learned = run([5, 5, 5])[-1]
    assert (learned.repetitions, learned.interval, learned.easiness) == (3, 17, 2.8)
    lapsed = sm2_step(learned, 1)
    assert lapsed == SM2State(2.8, repetitions=0, interval=1)
    again = run([4, 4, 4], lapsed)
    assert [s.interval for s in again] == [1, 6, 17]  # ceil(6 * 2.8) = 17


@pytest.mark.parametrize("bad", [-1, 6, 2.5, "3", None, True])
def test_a_quality_outside_0_to_5_raises(bad: object) -> None:
    with pytest.raises(ValueError, match="0 to 5"):
        sm2_step(SM2State(), bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "x", "6", "-1", "12", "3.0"])
def test_parse_quality_rejects_non_digits(text: str) -> None:
    with pytest.raises(ValueError):
        parse_quality(text)


def test_parse_quality_accepts_a_digit_with_spaces() -> None:
    assert parse_quality(" 4\n") == 4


@given(st.lists(grades, max_size=40))
def test_ef_never_below_the_floor(qs: list[int]) -> None:
    assert all(s.easiness >= 1.3 for s in run(qs))


@given(st.lists(grades, max_size=20), st.lists(st.integers(4, 5), min_size=1, max_size=12))
def test_grades_of_four_or_more_never_shorten_the_interval(prefix: list[int], good: list[int]) -> None:
    start = run(prefix)[-1] if prefix else SM2State()
    intervals = [start.interval] + [s.interval for s in run(good, start)]
    assert intervals == sorted(intervals)


@given(st.lists(grades, max_size=30))
def test_ef_is_always_whole_hundredths(qs: list[int]) -> None:
    for s in run(qs):
        assert s.easiness == round(s.easiness * 100) / 100
        assert s.ef_centi == round(s.easiness * 100)


def test_learning_day_turns_over_at_the_rollover_hour() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    # 01:30 local on 12 March belongs to 11 March; 04:00 local starts 12 March.
    at_0130 = datetime(2026, 3, 12, 1, 30, tzinfo=shanghai).astimezone(timezone.utc)
    at_0400 = datetime(2026, 3, 12, 4, 0, tzinfo=shanghai).astimezone(timezone.utc)
    assert learning_day(at_0130, tz=shanghai) == date(2026, 3, 11)
    assert learning_day(at_0400, tz=shanghai) == date(2026, 3, 12)
    assert learning_day(at_0130, rollover_hour=0, tz=shanghai) == date(2026, 3, 12)


def test_learning_day_uses_local_calendar_across_dst() -> None:
    paris = ZoneInfo("Europe/Paris")
    # The night DST starts (29 March 2026): 03:30 local is still the 28th, 04:30 is the 29th.
    assert learning_day(datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc), tz=paris) == date(2026, 3, 28)
    assert learning_day(datetime(2026, 3, 29, 2, 30, tzinfo=timezone.utc), tz=paris) == date(2026, 3, 29)


def test_naive_times_are_utc() -> None:
    assert learning_day(datetime(2026, 1, 2, 3, 0), tz=timezone.utc) == date(2026, 1, 1)


def test_due_date_adds_the_interval_to_the_learning_day() -> None:
    assert due_date(date(2026, 1, 30), SM2State(2.5, 2, 6)) == date(2026, 2, 5)


def test_queue_puts_most_overdue_first_then_new_up_to_the_limit() -> None:
    today = date(2026, 5, 10)
    due_on = {3: today, 7: today - timedelta(days=4), 2: today + timedelta(days=1), 9: today - timedelta(days=1)}
    queue = build_queue(list(range(1, 11)), due_on, today, new_limit=3)
    assert queue == TodayQueue(due=(7, 9, 3), new=(1, 4, 5))
    assert queue.order == (7, 9, 3, 1, 4, 5)


def test_queue_known_cards_are_not_new_and_foreign_ids_are_ignored() -> None:
    today = date(2026, 5, 10)
    queue = build_queue([1, 2, 3, 4], {99: today, 2: today}, today, new_limit=5, known={1, 2, 99})
    assert queue == TodayQueue(due=(2,), new=(3, 4))
    assert build_queue([1, 2], {}, today, new_limit=0).new == ()


def test_session_repeats_cards_below_four_until_they_pass() -> None:
    s = Session.start(TodayQueue(due=(1,), new=(2,)))
    assert s.current == 1 and s.is_first_today(1)
    s = s.after_grade(1, 2)
    assert s.pending == (2, 1) and not s.is_first_today(1)
    s = s.after_grade(2, 5)
    s = s.after_grade(1, 3)
    assert s.pending == (1,)
    s = s.after_grade(1, 4)
    assert s.current is None and s.done == 4 and s.repeats == 2


def test_session_resumes_with_todays_relearning_cards_last() -> None:
    s = Session.start(TodayQueue(due=(5,), new=(6,)), graded_today={3, 4}, relearning=[4])
    assert s.pending == (5, 6, 4)
    assert not s.is_first_today(4) and not s.is_first_today(3) and s.is_first_today(5)
    assert s.with_front(4).pending == (4, 5, 6)
    assert s.with_front(42).pending == s.pending
