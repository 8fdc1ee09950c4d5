"""Review and lab statistics folded from plain log rows: streaks, heatmap, retention (30 days and per week), forecast,
the hardest cards, EF and interval distributions (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple, Protocol, TypeVar

from trainer.catalog import LAB_SLUGS
from trainer.lab_review import LabProgress
from trainer.srs import PASS_QUALITY

HEATMAP_WEEKS = 12
FORECAST_DAYS = 14
RETENTION_DAYS = 30
SERIES_DAYS = 30
RETENTION_WEEKS = 8
HARDEST = 5
EF_EDGES_CENTI = (130, 150, 170, 190, 210, 230, 250, 270)
"""Lower bounds of the EF bins, in hundredths: 1.30-1.49, ..., 2.50-2.69, 2.70 and up."""
INTERVAL_EDGES = (1, 2, 7, 21, 61, 181)
"""Lower bounds of the interval bins, in days: 1, 2-6, 7-20, 21-60, 61-180, 181 and up."""


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


def _recalls(points: Iterable[ReviewPoint], first_day: Mapping[int, date] | None) -> Iterator[tuple[date, bool]]:
    """(day, passed) for each card's first grade of a day on a card first seen on an earlier day."""
    first_seen: dict[int, date] = dict(first_day or {})
    counted: set[tuple[int, date]] = set()
    for p in sorted(points, key=lambda p: p.day):
        first = first_seen.setdefault(p.card_id, p.day)
        key = (p.card_id, p.day)
        if key in counted:
            continue
        counted.add(key)
        if first < p.day:
            yield p.day, p.quality >= PASS_QUALITY


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
    passed = total = 0
    for day, ok in _recalls(points, first_day):
        if since <= day <= today:
            total += 1
            passed += ok
    return Retention(passed=passed, total=total)


@dataclass(frozen=True)
class WeekRetention:
    """Retention (as in `retention`) over the calendar week starting on Monday `start`."""

    start: date
    retention: Retention


def weekly_retention(
    points: Iterable[ReviewPoint],
    today: date,
    weeks: int = RETENTION_WEEKS,
    first_day: Mapping[int, date] | None = None,
) -> list[WeekRetention]:
    """Retention in each of the last `weeks` calendar weeks (Monday first), oldest first, the current week last."""
    this_week = today - timedelta(days=today.weekday())
    starts = [this_week - timedelta(weeks=w) for w in range(weeks - 1, -1, -1)]
    tally = {start: [0, 0] for start in starts}
    for day, ok in _recalls(points, first_day):
        week = tally.get(day - timedelta(days=day.weekday()))
        if week is not None and day <= today:
            week[0] += ok
            week[1] += 1
    return [WeekRetention(start, Retention(*tally[start])) for start in starts]


def forecast(due_dates: Iterable[date], today: date, days: int = FORECAST_DAYS) -> list[tuple[date, int]]:
    """Cards due on each of the next `days` days starting today; overdue cards count for today."""
    buckets = [0] * days
    for due in due_dates:
        offset = max(0, (due - today).days)
        if offset < days:
            buckets[offset] += 1
    return [(today + timedelta(days=i), n) for i, n in enumerate(buckets)]




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
    """Labs whose own workspace file has passed at least once (they are on the schedule)."""
    labs_total: int
    reviews_total: int
    labs_due: tuple[str, ...] = ()
    """Labs due for review today, most overdue first."""


def overview(
    per_day: Mapping[date, int],
    first_day: Mapping[int, date],
    recent: Sequence[ReviewPoint],
    due_dates: Iterable[date],
    passed_labs: Iterable[str],
    today: date,
    labs_due: Sequence[str] = (),
) -> Overview:
    """Fold the review history (grades per day, each card's first day, the grades of the last
    RETENTION_DAYS days), due dates, passed labs and the labs due into one Overview."""
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
        labs_due=tuple(labs_due),
    )


class Scheduled(Protocol):
    """A graded card's schedule, as the store's card states give it."""

    @property
    def card_id(self) -> int: ...

    @property
    def easiness(self) -> float: ...

    @property
    def interval(self) -> int: ...

    @property
    def lapses(self) -> int: ...


S = TypeVar("S", bound=Scheduled)


def hardest(states: Iterable[S], n: int = HARDEST) -> list[S]:
    """The `n` hardest graded cards: lowest EF first, then most lapses, then card id."""
    return sorted(states, key=lambda s: (round(s.easiness * 100), -s.lapses, s.card_id))[:n]


@dataclass(frozen=True)
class Bin:
    """How many values fall in [low, high); `high` None: no upper bound."""

    low: int
    high: int | None
    count: int


def ef_label(b: Bin) -> str:
    """An EF bin (edges in hundredths) as `1.30-1.49`, or `2.70+` when open."""
    return f"{b.low / 100:.2f}+" if b.high is None else f"{b.low / 100:.2f}-{(b.high - 1) / 100:.2f}"


def interval_label(b: Bin) -> str:
    """An interval bin as `1 d`, `2-6 d`, or `181+ d` when open."""
    if b.high is None:
        return f"{b.low}+ d"
    return f"{b.low} d" if b.high == b.low + 1 else f"{b.low}-{b.high - 1} d"


def histogram(values: Iterable[int], edges: Sequence[int]) -> list[Bin]:
    """Count `values` into the bins that start at each of the increasing `edges` (the last bin is open);
    values below the first edge count in the first bin."""
    counts = [0] * len(edges)
    for value in values:
        index = max((i for i, edge in enumerate(edges) if value >= edge), default=0)
        counts[index] += 1
    highs = [*edges[1:], None]
    return [Bin(low, high, n) for low, high, n in zip(edges, highs, counts)]


@dataclass(frozen=True)
class Details:
    """The figures of the stats screen and `trainer stats` beyond the Overview."""

    hardest: list[Scheduled]
    ef_bins: list[Bin]
    """EF in hundredths (EF_EDGES_CENTI)."""
    interval_bins: list[Bin]
    """Interval in days (INTERVAL_EDGES)."""
    weekly: list[WeekRetention]
    labs: list[LabProgress]
    """The progress of every lab touched (trainer.lab_review), in catalog order."""


def details(
    states: Sequence[Scheduled],
    recent: Iterable[ReviewPoint],
    first_day: Mapping[int, date],
    today: date,
    weeks: int = RETENTION_WEEKS,
    labs: Sequence[LabProgress] = (),
) -> Details:
    """Fold the graded cards' states, the grades of the last `weeks` weeks and the labs' progress into Details."""
    return Details(
        hardest=hardest(states),
        ef_bins=histogram((round(s.easiness * 100) for s in states), EF_EDGES_CENTI),
        interval_bins=histogram((s.interval for s in states), INTERVAL_EDGES),
        weekly=weekly_retention(recent, today, weeks, first_day),
        labs=[p for p in labs if p.touched],
    )
