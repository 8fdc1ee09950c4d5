"""Statistics: streaks, retention, reviews per day, the 14-day forecast and the heatmap."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from trainer.tui.widgets.chart import BarChart
from trainer.tui.widgets.heatmap import HeatmapView
from trainer.tui.widgets.title_bar import TitleBar


class StatsScreen(Screen[None]):
    """All figures on one scrolling page."""

    NEEDS_PROGRESS = True
    """Offline (no database) it is refused: it shows and changes progress only."""
    CSS_PATH = "stats.tcss"
    BINDINGS = [Binding("escape", "back", "back", id="stats.back", tooltip="Back to the dashboard")]

    def compose(self) -> ComposeResult:
        """Summary line, two charts, heatmap."""
        yield TitleBar()
        with VerticalScroll(id="stats"):
            yield Static(id="summary")
            yield BarChart("Reviews per day, last 30 days", height=4, bar_width=2, id="per-day")
            yield BarChart("Cards due, next 14 days", height=4, bar_width=3, id="forecast")
            yield Static("Reviews, last 12 weeks", classes="section-title")
            yield HeatmapView(id="stats-heatmap")
        yield Footer()

    def on_mount(self) -> None:
        """Draw the figures."""
        self.refresh_data()

    def refresh_data(self) -> None:
        """Recompute from the store."""
        ov = self.app.backend.overview()
        rate = ov.retention.rate
        if rate is None:
            retention = "[dim]retention: no recalls yet[/]"
        else:
            colour = "green" if rate >= 0.8 else ("yellow" if rate >= 0.6 else "red")
            retention = f"retention (30 days): [{colour}]{rate:.0%}[/] ({ov.retention.passed}/{ov.retention.total})"
        self.query_one("#summary", Static).update(
            f"streak [b]{ov.streak.current}[/] (best {ov.streak.longest}) · {retention} · "
            f"{ov.reviews_total} reviews · labs [b]{ov.labs_passed}/{ov.labs_total}[/]"
        )
        self.query_one("#per-day", BarChart).show([(d.strftime("%m-%d"), n) for d, n in ov.series])
        self.query_one("#forecast", BarChart).show([(d.strftime("%m-%d"), n) for d, n in ov.forecast])
        self.query_one("#stats-heatmap", HeatmapView).show(ov.heatmap)

    def action_back(self) -> None:
        """Back."""
        self.app.pop_screen()
