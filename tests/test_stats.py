"""Unit tests of trainer.stats: streaks, heatmap, retention, forecast, labs passed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from trainer import stats
from trainer.stats import ReviewPoint

TODAY = date(2026, 3, 18)  # a Wednesday


def d(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def test_streak_counts_consecutive_days_ending_today() -> None:
    days = [d(0), d(-1), d(-2), d(-5), d(-6), d(-7), d(-8)]
    assert stats.streaks(days, TODAY) == stats.Streak(current=3, longest=4)


def test_streak_survives_until_today_ends_but_not_a_missed_day() -> None:
    assert stats.streaks([d(-1), d(-2)], TODAY).current == 2
    assert stats.streaks([d(-2), d(-3)], TODAY).current == 0
    assert stats.streaks([], TODAY) == stats.Streak(0, 0)


def test_heatmap_grid_is_weeks_by_weekdays_and_ends_with_today() -> None:
    grid = stats.heatmap({TODAY: 3, d(-7): 1, d(-200): 9}, TODAY, weeks=12)
    assert len(grid.rows) == 7 and grid.weeks == 12
    assert grid.start.weekday() == 0 and grid.start == TODAY - timedelta(days=2 + 7 * 11)
    assert grid.rows[2][-1] == 3 and grid.rows[2][-2] == 1
    assert grid.rows[3][-1] is None and grid.rows[1][-1] == 0
    assert grid.total() == 4 and grid.peak == 3


def test_heat_levels_scale_with_the_peak() -> None:
    assert [stats.heat_level(c, 8) for c in (None, 0, 1, 2, 4, 6, 8)] == [0, 0, 1, 1, 2, 3, 4]
    assert stats.heat_level(1, 1) == 4


def test_series_covers_the_last_days_oldest_first() -> None:
    out = stats.series({TODAY: 2, d(-2): 5}, TODAY, days=3)
    assert out == [(d(-2), 5), (d(-1), 0), (TODAY, 2)]


def test_retention_counts_first_grade_of_the_day_on_seen_cards() -> None:
    points = [
        ReviewPoint(1, d(-3), 2),  # first sight: not counted
        ReviewPoint(1, d(-1), 4),  # recall: pass
        ReviewPoint(1, d(-1), 1),  # same-day repeat: ignored
        ReviewPoint(2, d(-2), 5),  # first sight
        ReviewPoint(2, d(0), 2),  # recall: fail
        ReviewPoint(2, d(0), 5),  # repeat: ignored
        ReviewPoint(3, d(-40), 5),
        ReviewPoint(3, d(-35), 0),  # outside the 30-day window
    ]
    r = stats.retention(points, TODAY, days=30)
    assert (r.passed, r.total) == (1, 2) and r.rate == 0.5
    assert stats.retention([], TODAY).rate is None


def test_forecast_puts_overdue_cards_today_and_drops_far_ones() -> None:
    out = stats.forecast([d(-4), d(0), d(1), d(1), d(13), d(14)], TODAY, days=14)
    assert len(out) == 14 and out[0] == (TODAY, 2) and out[1] == (d(1), 2)
    assert out[13] == (d(13), 1) and sum(n for _, n in out) == 5


def test_overview_folds_everything() -> None:
    points = [ReviewPoint(1, d(-1), 5), ReviewPoint(1, d(0), 4)]
    per_day = {d(-40): 3, d(-1): 1, d(0): 1}
    ov = stats.overview(per_day, {1: d(-1)}, points, [d(3)], ["kv_cache", "not_a_lab"], TODAY)
    assert ov.streak.current == 2 and ov.streak.longest == 2 and ov.labs_passed == 1 and ov.labs_total == 20
    assert ov.retention.total == 1 and ov.reviews_total == 5 and ov.forecast[3][1] == 1
    assert ov.heatmap.total() == 5 and ov.series[-1] == (TODAY, 1)


def test_retention_takes_first_sights_from_the_whole_history() -> None:
    recent = [ReviewPoint(7, d(-2), 5), ReviewPoint(8, d(-2), 1)]  # card 7 was first seen long before the window
    r = stats.retention(recent, TODAY, first_day={7: d(-90), 8: d(-2)})
    assert (r.passed, r.total) == (1, 1)


@dataclass(frozen=True)
class State:
    card_id: int
    easiness: float
    interval: int
    lapses: int = 0


def test_hardest_cards_have_the_lowest_ef_then_the_most_lapses() -> None:
    states = [State(1, 2.5, 6), State(2, 1.3, 1, 4), State(3, 1.3, 1, 7), State(4, 2.36, 1), State(5, 1.96, 2, 1),
              State(6, 2.7, 20), State(7, 1.96, 3, 1)]
    assert [s.card_id for s in stats.hardest(states)] == [3, 2, 5, 7, 4]
    assert [s.card_id for s in stats.hardest(states, n=2)] == [3, 2] and stats.hardest([]) == []


def test_histogram_counts_each_value_in_its_bin() -> None:
    bins = stats.histogram([1, 1, 2, 6, 7, 200, 0], stats.INTERVAL_EDGES)
    assert [(b.low, b.high, b.count) for b in bins] == [
        (1, 2, 3), (2, 7, 2), (7, 21, 1), (21, 61, 0), (61, 181, 0), (181, None, 1)]
    ef = stats.histogram([130, 149, 150, 250, 269, 270, 301], stats.EF_EDGES_CENTI)
    assert [b.count for b in ef] == [2, 1, 0, 0, 0, 0, 2, 2] and sum(b.count for b in ef) == 7


def test_weekly_retention_buckets_recalls_by_calendar_week() -> None:
    monday = TODAY - timedelta(days=TODAY.weekday())
    points = [
        ReviewPoint(1, monday - timedelta(days=10), 5),  # first sight, two weeks back
        ReviewPoint(1, monday - timedelta(days=3), 4),  # recall last week: pass
        ReviewPoint(2, monday - timedelta(days=4), 4),  # first sight
        ReviewPoint(2, monday - timedelta(days=2), 1),  # recall last week: fail
        ReviewPoint(2, monday - timedelta(days=2), 5),  # same-day repeat: ignored
        ReviewPoint(1, TODAY, 2),  # recall this week: fail
        ReviewPoint(3, TODAY, 5),  # first sight: not a recall
    ]
    weeks = stats.weekly_retention(points, TODAY, weeks=3)
    assert [w.start for w in weeks] == [monday - timedelta(weeks=2), monday - timedelta(weeks=1), monday]
    assert [(w.retention.passed, w.retention.total) for w in weeks] == [(0, 0), (1, 2), (0, 1)]
    assert weeks[0].retention.rate is None and weeks[1].retention.rate == 0.5
    earlier = {1: monday - timedelta(days=30), 3: monday - timedelta(days=30)}  # seen before the points begin
    assert [w.retention.total for w in stats.weekly_retention(points, TODAY, 3, first_day=earlier)] == [1, 2, 2]


def test_details_fold_states_and_grades() -> None:
    states = [State(1, 2.6, 6), State(2, 1.3, 1, 2)]
    out = stats.details(states, [ReviewPoint(2, d(-1), 1), ReviewPoint(2, d(0), 3)], {2: d(-1)}, TODAY)
    assert [s.card_id for s in out.hardest] == [2, 1] and len(out.weekly) == stats.RETENTION_WEEKS
    assert sum(b.count for b in out.ef_bins) == 2 and out.ef_bins[0].count == 1 and out.ef_bins[6].count == 1
    assert [b.count for b in out.interval_bins][:3] == [1, 1, 0]
    assert out.weekly[-1].retention == stats.Retention(1, 1)


def test_bin_labels() -> None:
    ef = stats.histogram([], stats.EF_EDGES_CENTI)
    assert [stats.ef_label(b) for b in (ef[0], ef[-1])] == ["1.30-1.49", "2.70+"]
    assert [stats.interval_label(b) for b in stats.histogram([], stats.INTERVAL_EDGES)] == [
        "1 d", "2-6 d", "7-20 d", "21-60 d", "61-180 d", "181+ d"]
