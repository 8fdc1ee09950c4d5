"""Review and lab statistics folded from plain log rows: streaks, heatmap, retention, forecast (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple
from datetime import date, timedelta

from trainer.catalog import LAB_SLUGS
from trainer.srs import PASS_QUALITY

HEATMAP_WEEKS = 12
FORECAST_DAYS = 14
RETENTION_DAYS = 30
SERIES_DAYS = 30


class ReviewPoint(NamedTuple):
    """One graded review reduced to what stats need: card, learning day, grade."""

    card_id: int
    day: date
    quality: int


@dataclass(frozen=True)
class Streak:
    """Consecutive learning days with at least one review."""

    current: int
    longest: int


def streaks(days: Iterable[date], today: date) -> Streak:
    """Current streak (ending today, or yesterday while today is still open) and the longest one."""
    active = set(days)
    longest = run = 0
    previous: date | None = None
    for day in sorted(active):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    end = today if today in active else today - timedelta(days=1)
    current = 0
    while end - timedelta(days=current) in active:
        current += 1
    return Streak(current=current, longest=longest)


@dataclass(frozen=True)
class Heatmap:
    """A weeks x 7 grid of review counts; `rows[w]` is weekday w (0 = Monday), columns are weeks, oldest first.

    Cells after `today` are None.
    """

    start: date
    today: date
    rows: tuple[tuple[int | None, ...], ...]

    @property
    def weeks(self) -> int:
        """Number of week columns."""
        return len(self.rows[0]) if self.rows else 0

    @property
    def peak(self) -> int:
        """The largest count in the grid (0 when empty)."""
        return max((c for row in self.rows for c in row if c), default=0)

    def total(self) -> int:
        """All reviews in the grid."""
        return sum(c for row in self.rows for c in row if c)


def heatmap(counts: Mapping[date, int], today: date, weeks: int = HEATMAP_WEEKS) -> Heatmap:
    """The last `weeks` calendar weeks (Monday first), ending with the week that holds `today`."""
    start = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    rows = []
    for weekday in range(7):
        row = []
        for week in range(weeks):
            day = start + timedelta(weeks=week, days=weekday)
            row.append(None if day > today else counts.get(day, 0))
        rows.append(tuple(row))
    return Heatmap(start=start, today=today, rows=tuple(rows))


def heat_level(count: int | None, peak: int) -> int:
    """A colour level 0..4 for a cell: 0 none, 1..4 by quarter of the peak."""
    if not count or peak <= 0:
        return 0
    return max(1, min(4, -(-4 * count // peak)))


def series(counts: Mapping[date, int], today: date, days: int = SERIES_DAYS) -> list[tuple[date, int]]:
    """Reviews per day for the last `days` days, oldest first, today last."""
    return [(d, counts.get(d, 0)) for d in (today - timedelta(days=i) for i in range(days - 1, -1, -1))]


@dataclass(frozen=True)
class Retention:
    """Day-first grades on cards seen on an earlier day: how many passed (>= 3) of how many."""

    passed: int
    total: int

    @property
    def rate(self) -> float | None:
        """Share passed, or None when there is nothing to measure."""
        return self.passed / self.total if self.total else None


def retention(
    points: Iterable[ReviewPoint],
    today: date,
    days: int = RETENTION_DAYS,
    first_day: Mapping[int, date] | None = None,
) -> Retention:
    """Retention over the last `days` learning days: only each card's first grade of a day counts,
    and only when the card was reviewed on an earlier day (a first sight is not a recall).

    `first_day` gives each card's first learning day over the whole history; without it, the earliest
    of `points` counts, so `points` must then reach back to each card's first sight.
    """
    since = today - timedelta(days=days - 1)
    first_seen: dict[int, date] = dict(first_day or {})
    counted: set[tuple[int, date]] = set()
    passed = total = 0
    for p in sorted(points, key=lambda p: p.day):
        first = first_seen.setdefault(p.card_id, p.day)
        key = (p.card_id, p.day)
        if key in counted:
            continue
        counted.add(key)
        if first < p.day and since <= p.day <= today:
            total += 1
            passed += p.quality >= PASS_QUALITY
    return Retention(passed=passed, total=total)


def forecast(due_dates: Iterable[date], today: date, days: int = FORECAST_DAYS) -> list[tuple[date, int]]:
    """Cards due on each of the next `days` days starting today; overdue cards count for today."""
    buckets = [0] * days
    for due in due_dates:
        offset = max(0, (due - today).days)
        if offset < days:
            buckets[offset] += 1
    return [(today + timedelta(days=i), n) for i, n in enumerate(buckets)]


def labs_passed(attempts: Iterable[object]) -> frozenset[str]:
    """Slugs of labs with at least one passing attempt (rows with `slug` and `outcome == "passed"`)."""
    return frozenset(str(getattr(a, "slug")) for a in attempts if getattr(a, "outcome") == "passed")


@dataclass(frozen=True)
class Overview:
    """Every figure the dashboard and the stats screen draw."""

    today: date
    streak: Streak
    heatmap: Heatmap
    series: list[tuple[date, int]]
    retention: Retention
    forecast: list[tuple[date, int]]
    labs_passed: int
    labs_total: int
    reviews_total: int


def overview(
    per_day: Mapping[date, int],
    first_day: Mapping[int, date],
    recent: Sequence[ReviewPoint],
    due_dates: Iterable[date],
    passed_labs: Iterable[str],
    today: date,
) -> Overview:
    """Fold the review history (grades per day, each card's first day, the grades of the last
    RETENTION_DAYS days), due dates and passed labs into one Overview."""
    passed = set(passed_labs) & set(LAB_SLUGS)
    return Overview(
        today=today,
        streak=streaks(per_day, today),
        heatmap=heatmap(per_day, today),
        series=series(per_day, today),
        retention=retention(recent, today, first_day=first_day),
        forecast=forecast(due_dates, today),
        labs_passed=len(passed),
        labs_total=len(LAB_SLUGS),
        reviews_total=sum(per_day.values()),
    )
