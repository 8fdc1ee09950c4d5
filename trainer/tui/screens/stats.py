"""Statistics: streaks, retention, reviews per day, the 14-day forecast, the hardest cards, the EF and interval
distributions, each lab's progress and the heatmap."""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from trainer import lab_review, stats
from trainer.bars import hbar
from trainer.tui.widgets.chart import BarChart
from trainer.tui.widgets.heatmap import HeatmapView
from trainer.tui.widgets.title_bar import TitleBar


def hardest_table(states: Sequence[stats.Scheduled], titles: dict[int, str]) -> Table:
    """The hardest cards: number, title, EF, lapses, interval."""
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("#", justify="right")
    table.add_column("card", no_wrap=True, overflow="ellipsis", max_width=48)
    for name in ("EF", "lapses", "interval"):
        table.add_column(name, justify="right")
    for s in states:
        table.add_row(str(s.card_id), escape(titles.get(s.card_id, "?")), f"{s.easiness:.2f}",
                      Text(str(s.lapses), style="red" if s.lapses else ""), f"{s.interval} d")
    if not states:
        table.add_row("", Text("no card graded yet", style="dim"), "", "", "")
    return table


def bins_table(rows: Sequence[tuple[str, int]], width: int = 12) -> Table:
    """One line per bin: its label, a bar scaled to the fullest bin, the count."""
    peak = max((n for _, n in rows), default=0)
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(justify="right", style="dim")
    table.add_column(style="cyan")
    table.add_column(justify="right")
    for label, n in rows:
        table.add_row(label, hbar(n, peak, width), str(n))
    return table


def labs_table(progress: Sequence[lab_review.LabProgress]) -> Table:
    """Each lab touched: status, checks, the first pass (checks and time to it), hints, grade, interval, next review."""
    table = Table(box=None, header_style="bold", pad_edge=False, collapse_padding=True)
    rows = [lab_review.progress_cells(p) for p in progress]
    for i, name in enumerate(lab_review.PROGRESS_COLUMNS):  # every column as wide as it needs but the lab's
        widest = max([len(name), *(len(cells[i]) for cells in rows)])
        table.add_column(name, justify="right" if name in ("checks", "hints", "grade", "every") else "left",
                         no_wrap=name != "lab", overflow="ellipsis", min_width=12 if name == "lab" else widest)  # fmt: skip
    for p in progress:
        cells = lab_review.progress_cells(p)
        table.add_row(*cells[:-1], Text(cells[-1], style="bold yellow" if p.due_now else ""))
    if not progress:
        table.add_row("", Text("no lab started yet", style="dim"), *[""] * (len(lab_review.PROGRESS_COLUMNS) - 2))
    return table


class StatsScreen(Screen[None]):
    """All figures on one scrolling page."""

    NEEDS_PROGRESS = True
    """Offline (no database) it is refused: it shows and changes progress only."""
    CSS_PATH = "stats.tcss"
    BINDINGS = [Binding("escape", "back", "back", id="stats.back", tooltip="Back to the dashboard")]

    def compose(self) -> ComposeResult:
        """Summary line, two charts, the hardest cards, the two distributions side by side, the labs, heatmap."""
        yield TitleBar()
        with VerticalScroll(id="stats"):
            yield Static(id="summary")
            yield BarChart("Reviews per day, last 30 days", height=4, bar_width=2, id="per-day")
            yield BarChart("Cards due, next 14 days", height=4, bar_width=3, id="forecast")
            yield Static("Hardest cards (lowest EF, most lapses)", classes="section-title")
            yield Static(id="hardest")
            with Horizontal(id="distributions"):
                with Vertical(id="ef-box"):
                    yield Static("EF", classes="section-title")
                    yield Static(id="ef-bins")
                with Vertical(id="interval-box"):
                    yield Static("Interval", classes="section-title")
                    yield Static(id="interval-bins")
            yield Static("Labs", classes="section-title")
            yield Static(id="labs-progress")
            yield Static(lab_review.PROGRESS_LEGEND, classes="muted")
            yield Static("Reviews, last 12 weeks", classes="section-title")
            yield HeatmapView(id="stats-heatmap")
        yield Footer()

    def on_mount(self) -> None:
        """Draw the figures."""
        self.refresh_data()

    def refresh_data(self) -> None:
        """Recompute from the store."""
        backend = self.app.backend
        ov, details = backend.figures()
        rate = ov.retention.rate
        if rate is None:
            retention = "[dim]retention: no recalls yet[/]"
        else:
            colour = "green" if rate >= 0.8 else ("yellow" if rate >= 0.6 else "red")
            retention = f"retention (30 days): [{colour}]{rate:.0%}[/] ({ov.retention.passed}/{ov.retention.total})"
        self.query_one("#summary", Static).update(
            f"streak [b]{ov.streak.current}[/] (best {ov.streak.longest}) · {retention} · "
            f"{ov.reviews_total} reviews · labs solved [b]{ov.labs_passed}/{ov.labs_total}[/]"
            + (f" · [b yellow]{len(ov.labs_due)} lab(s) due[/]" if ov.labs_due else "")
        )
        self.query_one("#per-day", BarChart).show([(d.strftime("%m-%d"), n) for d, n in ov.series])
        self.query_one("#forecast", BarChart).show([(d.strftime("%m-%d"), n) for d, n in ov.forecast])
        titles = {card.id: card.title(backend.lang) for card in backend.deck.cards}
        self.query_one("#hardest", Static).update(hardest_table(details.hardest, titles))
        self.query_one("#ef-bins", Static).update(bins_table([(stats.ef_label(b), b.count) for b in details.ef_bins]))
        self.query_one("#interval-bins", Static).update(
            bins_table([(stats.interval_label(b), b.count) for b in details.interval_bins])
        )
        self.query_one("#labs-progress", Static).update(labs_table(details.labs))
        self.query_one("#stats-heatmap", HeatmapView).show(ov.heatmap)

    def action_back(self) -> None:
        """Back."""
        self.app.pop_screen()
