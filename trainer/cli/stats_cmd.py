"""`trainer stats`: the learner's figures in the terminal with Rich, or as JSON for scripts (docs/STATS_JSON.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone
from typing import Any

import typer
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from trainer import lab_review, stats
from trainer.bars import bar_rows, hbar
from trainer.catalog import LAB_SLUGS

STATS_JSON_VERSION = 2


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def lab_lists(passed: frozenset[str], available: Mapping[str, bool], due: Sequence[str] = ()) -> dict[str, list[str]]:
    """Labs passed (solved in the learner's own file), still to do (written, not passed) and not yet available, each
    in card order; and the labs due for review, most overdue first."""
    return {
        "passed": [s for s in LAB_SLUGS if s in passed],
        "to_do": [s for s in LAB_SLUGS if s not in passed and available.get(s)],
        "not_yet_available": [s for s in LAB_SLUGS if s not in passed and not available.get(s)],
        "due": list(due),
    }


def progress_json(progress: lab_review.LabProgress) -> dict[str, Any]:
    """One lab's progress in the documented JSON shape."""
    first = progress.first_pass
    return {
        "slug": progress.slug,
        "status": progress.status,
        "checks": progress.checks,
        "other_checks": progress.other_checks,
        "hints": progress.hints,
        "first_pass": None if first is None else {"checks": first.checks, "seconds": round(first.seconds, 1),
                                                  "hints": first.hints, "grade": first.grade,
                                                  "day": first.day.isoformat()},  # fmt: skip
        "reviews": progress.rounds,
        "last_grade": progress.last_grade,
        "interval": progress.interval,
        "due": None if progress.due is None else progress.due.isoformat(),
        "due_now": progress.due_now,
    }


def _rate(retention: stats.Retention) -> float | None:
    return None if retention.rate is None else round(retention.rate, 4)


def as_json(ov: stats.Overview, det: stats.Details, titles: Mapping[int, tuple[str, str]],
            labs: Mapping[str, list[str]]) -> dict[str, Any]:
    """The documented JSON shape (docs/STATS_JSON.md)."""
    return {
        "version": STATS_JSON_VERSION,
        "today": ov.today.isoformat(),
        "streak": {"current": ov.streak.current, "best": ov.streak.longest},
        "reviews_total": ov.reviews_total,
        "reviews_per_day": [{"day": d.isoformat(), "reviews": n} for d, n in ov.series],
        "retention_30_days": {"passed": ov.retention.passed, "total": ov.retention.total, "rate": _rate(ov.retention)},
        "retention_per_week": [
            {"week_start": w.start.isoformat(), "passed": w.retention.passed, "total": w.retention.total,
             "rate": _rate(w.retention)} for w in det.weekly
        ],
        "forecast": [{"day": d.isoformat(), "due": n} for d, n in ov.forecast],
        "hardest_cards": [
            {"card_id": s.card_id, "title": dict(zip(("zh", "en"), titles.get(s.card_id, ("", "")))),
             "ef": s.easiness, "lapses": s.lapses, "interval": s.interval, "due": s.due.isoformat()}
            for s in det.hardest
        ],
        "ef_distribution": [
            {"from": b.low / 100, "to": None if b.high is None else b.high / 100, "cards": b.count} for b in det.ef_bins
        ],
        "interval_distribution": [{"from_days": b.low, "to_days": b.high, "cards": b.count} for b in det.interval_bins],
        "labs": {"total": len(LAB_SLUGS), **labs, "progress": [progress_json(p) for p in det.labs]},
    }


def _chart(title: str, points: Sequence[tuple[date, int]], bar_width: int, height: int = 4) -> Text:
    """A vertical bar chart with its peak on the scale and the first and last days under it."""
    values = [n for _, n in points]
    text = Text(title + "\n", style="bold cyan")
    rows = bar_rows(values, height)
    for i, row in enumerate(rows):
        scale = f"{max(values, default=0):>4} " if i == 0 else ("   0 " if i == len(rows) - 1 else "     ")
        text.append(scale + "│", "dim")
        text.append("".join(ch * (bar_width - 1) + " " for ch in row).rstrip(), "cyan")
        text.append("\n")
    first, last = points[0][0].strftime("%m-%d"), points[-1][0].strftime("%m-%d")
    text.append("     └" + first + last.rjust(bar_width * len(points) - len(first)), "dim")
    return text


def _percent(retention: stats.Retention) -> str:
    return "-" if retention.rate is None else f"{retention.rate:.0%} ({retention.passed}/{retention.total})"


def _bins(title: str, rows: Sequence[tuple[str, int]]) -> Table:
    peak = max((n for _, n in rows), default=0)
    table = Table(title=title, title_justify="left", title_style="bold cyan", box=None, show_header=False)
    table.add_column(justify="right", style="dim")
    table.add_column()
    table.add_column(justify="right")
    for label, n in rows:
        table.add_row(label, Text(hbar(n, peak, 16), style="cyan"), str(n))
    return table


def as_rich(ov: stats.Overview, det: stats.Details, titles: Mapping[int, str], labs: Mapping[str, list[str]]) -> Group:
    """Every figure, for a terminal 80 columns wide or more."""
    due = f", {len(ov.labs_due)} due" if ov.labs_due else ""
    parts: list[RenderableType] = [
        Text.from_markup(
            f"[b]Statistics, {ov.today.isoformat()}[/b]\nstreak [b]{ov.streak.current}[/b] day(s) (best "
            f"{ov.streak.longest}) · {ov.reviews_total} reviews · retention, 30 days: {_percent(ov.retention)} · "
            f"labs solved [b]{ov.labs_passed}/{ov.labs_total}[/b]{due}\n"
        ),
        _chart("Reviews per day, last 30 days", ov.series, bar_width=2),
        Text(""),
        _chart("Cards due, next 14 days", ov.forecast, bar_width=3),
        Text(""),
    ]
    weekly = Table(title="Retention per week: recalls graded 3 or more", title_justify="left",
                   title_style="bold cyan", box=None, show_header=False, min_width=48)
    weekly.add_column(style="dim")
    weekly.add_column()
    weekly.add_column(justify="right")
    for week in det.weekly:
        rate = week.retention.rate
        weekly.add_row(f"week of {week.start:%m-%d}", Text(hbar(rate or 0, 1, 20), style="green"),
                       _percent(week.retention))
    hard = Table(title="Hardest cards (lowest EF, most lapses)", title_justify="left", title_style="bold cyan")
    for name, justify in (("#", "right"), ("card", "left"), ("EF", "right"), ("lapses", "right"),
                          ("interval", "right"), ("due", "left")):
        hard.add_column(name, justify=justify)  # type: ignore[arg-type]
    for s in det.hardest:
        hard.add_row(str(s.card_id), escape(titles.get(s.card_id, "?")), f"{s.easiness:.2f}", str(s.lapses),
                     f"{s.interval} d", s.due.isoformat())
    if not det.hardest:
        hard.add_row("", "[dim]no card graded yet[/]", "", "", "", "")
    spread = Table.grid(padding=(0, 4))
    spread.add_row(_bins("EF", [(stats.ef_label(b), b.count) for b in det.ef_bins]),
                   _bins("Interval", [(stats.interval_label(b), b.count) for b in det.interval_bins]))
    lab_line = Text.from_markup(
        f"[bold cyan]Labs[/]\npassed: {', '.join(labs['passed']) or '-'}\nto do: {', '.join(labs['to_do']) or '-'}\n"
        f"due for review: {', '.join(labs['due']) or '-'}\nnot yet available: {len(labs['not_yet_available'])}"
    )
    parts += [weekly, Text(""), hard, Text(""), spread, Text(""), lab_line, lab_table(det.labs)]
    return Group(*parts)


def lab_table(progress: Sequence[lab_review.LabProgress]) -> Table:
    """Each lab touched: status, checks (and of other files), the first pass, hints, grade, interval, next review."""
    table = Table(title="Lab progress", title_justify="left", title_style="bold cyan",
                  caption=lab_review.PROGRESS_LEGEND, caption_justify="left")  # fmt: skip
    for name in lab_review.PROGRESS_COLUMNS:
        table.add_column(name, justify="right" if name in ("checks", "hints", "grade", "interval") else "left")
    for p in progress:
        cells = lab_review.progress_cells(p)
        table.add_row(*cells[:-1], Text(cells[-1], style="bold yellow" if p.due_now else ""))
    if not progress:
        table.add_row("", "[dim]no lab started yet[/]", *[""] * (len(lab_review.PROGRESS_COLUMNS) - 2))
    return table


def stats_command(
    as_json_flag: bool = typer.Option(False, "--json", help="Print the figures as JSON (docs/STATS_JSON.md)."),
) -> None:
    """Streak, reviews per day, retention per week, the 14-day forecast, the hardest cards, EF and interval
    distributions, labs passed: your figures without opening the TUI."""
    from trainer.config import ConfigError, load_settings
    from trainer.deck import load_deck
    from trainer.figures import figures
    from trainer.labs.registry import labs_root
    from trainer.srs import learning_day
    from trainer.store.database import StoreError, open_store

    try:
        settings = load_settings()
        store = open_store()
    except (ConfigError, StoreError) as exc:
        raise _fail(str(exc)) from exc
    today = learning_day(datetime.now(timezone.utc), settings.rollover_hour)
    ov, det = figures(store, today)
    cards = load_deck().cards
    available = {slug: (labs_root() / slug / "lab.toml").is_file() for slug in LAB_SLUGS}
    labs = lab_lists(frozenset(s.slug for s in store.lab_states()), available, ov.labs_due)
    if as_json_flag:
        titles = {c.id: (c.title_zh, c.title_en) for c in cards}
        typer.echo(json.dumps(as_json(ov, det, titles, labs), ensure_ascii=False, indent=2))
        return
    Console().print(as_rich(ov, det, {c.id: c.title(settings.language) for c in cards}, labs))


def register(app: typer.Typer) -> None:
    """Add `trainer stats` to the root app."""
    app.command("stats")(stats_command)
