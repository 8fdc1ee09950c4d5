"""The figures of the dashboard, the stats screen and `trainer stats`, read from a progress database: the store's
reads in, trainer.stats out (no SQL, no UI)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from trainer import stats

if TYPE_CHECKING:
    from trainer.store.reads import Reader


def _since(today: date, weeks: int) -> date:
    """The first day the figures need grades from: the 30-day retention's, or the oldest week's Monday."""
    oldest_week = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    return min(today - timedelta(days=stats.RETENTION_DAYS - 1), oldest_week)


def overview(store: Reader, today: date) -> stats.Overview:
    """Streaks, heatmap, 30-day series and retention, forecast and labs passed."""
    return figures(store, today, weeks=1)[0]


def figures(store: Reader, today: date, weeks: int = stats.RETENTION_WEEKS) -> tuple[stats.Overview, stats.Details]:
    """The Overview and the Details (hardest cards, EF and interval bins, retention of the last `weeks` weeks)."""
    history = store.review_history(since=_since(today, weeks))
    recent = [stats.ReviewPoint(*grade) for grade in history.recent]
    states = store.card_states()
    passed = stats.labs_passed(store.lab_attempts())
    ov = stats.overview(history.per_day, history.first_day, recent, [s.due for s in states], passed, today)
    return ov, stats.details(states, recent, history.first_day, today, weeks)
