"""The figures of the dashboard, the stats screen and `trainer stats`, read from a progress database: the store's
reads in, trainer.stats out (no SQL, no UI)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from collections import defaultdict
from collections.abc import Iterable, Sequence

from trainer import lab_review, stats
from trainer.catalog import LAB_SLUGS

if TYPE_CHECKING:
    from trainer.store.reads import Reader


def _since(today: date, weeks: int) -> date:
    """The first day the figures need grades from: the 30-day retention's, or the oldest week's Monday."""
    oldest_week = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    return min(today - timedelta(days=stats.RETENTION_DAYS - 1), oldest_week)


def overview(store: Reader, today: date) -> stats.Overview:
    """Streaks, heatmap, 30-day series and retention, forecast, labs solved and labs due (no lab log is read: the
    dashboard draws this in its first frame)."""
    return figures(store, today, weeks=1, labs=False)[0]


def figures(
    store: Reader, today: date, weeks: int = stats.RETENTION_WEEKS, labs: bool = True
) -> tuple[stats.Overview, stats.Details]:
    """The Overview and the Details (hardest cards, EF and interval bins, retention of the last `weeks` weeks, and,
    with `labs`, each lab's progress)."""
    history = store.review_history(since=_since(today, weeks))
    recent = [stats.ReviewPoint(*grade) for grade in history.recent]
    states = store.card_states()
    solved = [s.slug for s in store.lab_states()]
    due = [slug for slug, _ in store.due_labs(today)]
    ov = stats.overview(history.per_day, history.first_day, recent, [s.due for s in states], solved, today, due)
    progress = lab_progress(store, today) if labs else []
    return ov, stats.details(states, recent, history.first_day, today, weeks, progress)


def _grouped(records: Iterable) -> dict[str, list]:
    grouped: dict[str, list] = defaultdict(list)
    for record in records:
        grouped[record.slug].append(record)
    return grouped


def lab_progress(store: Reader, today: date, slugs: Sequence[str] = ()) -> list[lab_review.LabProgress]:
    """Every lab's progress (trainer.lab_review.lab_progress): the catalog's labs, then any other lab with a record;
    `slugs` adds labs found elsewhere (e.g. extra labs on disk)."""
    checks, events = _grouped(store.lab_attempts()), _grouped(store.lab_events())
    graded, states = _grouped(store.lab_reviews()), {s.slug: s for s in store.lab_states()}
    order = list(dict.fromkeys([*LAB_SLUGS, *slugs, *checks, *events]))
    return [lab_review.lab_progress(slug, checks.get(slug, []), events.get(slug, []), graded.get(slug, []),
                                    states.get(slug), today) for slug in order]  # fmt: skip
