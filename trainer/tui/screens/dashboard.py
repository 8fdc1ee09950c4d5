"""The dashboard: cards and labs due today, new cards, streak, the 12-week heatmap, labs solved."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from trainer.tui.widgets.figure import Figure
from trainer.tui.widgets.heatmap import HeatmapView
from trainer.tui.widgets.title_bar import TitleBar


class DashboardScreen(Screen[None]):
    """Today's numbers at a glance and a key for everything else."""

    CSS_PATH = "dashboard.tcss"
    BINDINGS = [
        Binding("r", "review", "review", id="dashboard.review", tooltip="Review today's due and new cards"),
        Binding("n", "more_new", "more new", id="dashboard.more_new",
                tooltip="Study more new cards today, beyond new_per_day"),
        Binding("b", "browse", "browser", id="dashboard.browser", tooltip="All cards with their schedule"),
        Binding("l", "labs", "labs", id="dashboard.labs", tooltip="The twenty coding labs"),
        Binding("s", "stats", "stats", id="dashboard.stats", tooltip="Reviews per day, retention, forecast"),
        Binding("q", "quit", "quit", id="dashboard.quit", tooltip="Leave the trainer"),
    ]

    def compose(self) -> ComposeResult:
        """Figures on the left, heatmap on the right (stacked when narrow)."""
        yield TitleBar()
        with VerticalScroll(id="dashboard"):
            with Horizontal(id="figures"):
                yield Figure("due today", tone="warning", id="due-count")
                yield Figure("new", id="new-count")
                yield Figure("day streak", tone="success", id="streak")
                yield Figure(id="labs")
            yield Static("Reviews, last 12 weeks", classes="section-title")
            yield HeatmapView(id="heatmap")
            yield Static("Loading your progress…", id="hint", classes="muted")
        yield Footer()

    def on_screen_resume(self) -> None:
        """Draw the figures when first shown, and again on return: they change while other screens are open."""
        self.refresh_data()

    def refresh_data(self) -> None:
        """Redraw the figures from the backend (nothing until the store is open)."""
        backend = self.app.backend
        if not backend.ready or backend.offline:
            self._show_unknown()
            return
        summary = backend.review.summary()
        overview = backend.overview()
        labs_due = len(overview.labs_due)
        due = f"{summary.due} + {labs_due} lab{'s' if labs_due > 1 else ''}" if labs_due else str(summary.due)
        self.query_one("#due-count", Figure).show(due)
        self.query_one("#new-count", Figure).show(str(summary.new))
        self.query_one("#streak", Figure).show(str(overview.streak.current))  # the best streak: on the stats screen
        passed, total = overview.labs_passed, overview.labs_total
        self.query_one("#labs", Figure).show(f"{passed}/{total} labs", progress=(passed, total))
        self.query_one("#heatmap", HeatmapView).show(overview.heatmap)
        left = backend.review.remaining
        if left:
            hint = f"{left} card(s) waiting: press [b]r[/b] to review."
        else:
            hint = "No card waiting." if labs_due else "Nothing due now: press [b]l[/b] for a lab."
        if labs_due:
            hint += (f"\n{labs_due} lab{'s' if labs_due > 1 else ''} due for review "
                     f"([b]{escape(', '.join(overview.labs_due))}[/b]): press [b]l[/b] and solve "
                     f"{'each' if labs_due > 1 else 'it'} again from a fresh starter.")  # fmt: skip
        if backend.deck.errors:
            hint += f"  [b red]{len(backend.deck.errors)} card file(s) have errors[/] (trainer cards --check)."
        if self.app.load_error:  # figures from a snapshot, but nothing can be saved
            hint += f"\n[b red]Grades cannot be saved:[/] {escape(self.app.load_error)}"
        self.query_one("#hint", Static).update(hint)

    def _show_unknown(self) -> None:
        """Figures that cannot be read yet (still loading) or at all (offline), and why."""
        error = self.app.load_error
        if not error:
            return
        for figure in self.query(Figure):
            figure.show("?")
        self.query_one("#heatmap", HeatmapView).show_unknown("unknown: your progress cannot be read")
        self.query_one("#hint", Static).update(
            f"[b red]Cannot open your progress:[/] {escape(error)}\n"
            "The cards ([b]b[/b]) and the labs ([b]l[/b]) still open; reviews and statistics need the database."
        )

    def action_review(self) -> None:
        """Open today's review."""
        self.app.open_review()

    def action_more_new(self) -> None:
        """Ask how many more new cards to study today."""
        self.app.ask_more_new()

    def action_browse(self) -> None:
        """Open the card browser."""
        self.app.open_browser()

    def action_labs(self) -> None:
        """Open the lab list."""
        self.app.open_labs()

    def action_stats(self) -> None:
        """Open the statistics."""
        self.app.open_stats()

    async def action_quit(self) -> None:
        """Leave the app."""
        self.app.exit()
