"""A 12-week review heatmap: one cell per day, Monday at the top, today in the last column."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual.widget import Widget

from trainer.stats import Heatmap, heat_level

GLYPHS = ("·", "░", "▒", "▓", "█")
"""One glyph per level, so the map still reads without colour (NO_COLOR)."""
DAY_LABELS = ("Mon", "   ", "Wed", "   ", "Fri", "   ", "Sun")


class HeatmapView(Widget):
    """Draws a stats.Heatmap; levels 1-4 get stronger shades of the success colour."""

    COMPONENT_CLASSES = {"heatmap--level-0", "heatmap--level-1", "heatmap--level-2", "heatmap--level-3", "heatmap--level-4", "heatmap--today"}
    DEFAULT_CSS = """
    HeatmapView { height: 9; width: auto; }
    HeatmapView > .heatmap--level-0 { color: $foreground 30%; }
    HeatmapView > .heatmap--level-1 { color: $success 45%; }
    HeatmapView > .heatmap--level-2 { color: $success 65%; }
    HeatmapView > .heatmap--level-3 { color: $success 85%; }
    HeatmapView > .heatmap--level-4 { color: $success; }
    HeatmapView > .heatmap--today { text-style: bold underline; }
    """

    def __init__(self, grid: Heatmap | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.grid = grid
        self.placeholder = "loading…"
        """What shows while there is no grid."""

    def show(self, grid: Heatmap) -> None:
        """Draw a new grid."""
        self.grid = grid
        self.refresh(layout=True)

    def show_unknown(self, note: str) -> None:
        """No grid can be drawn: say why instead."""
        self.grid, self.placeholder = None, note
        self.refresh(layout=True)

    def get_content_width(self, container, viewport) -> int:  # noqa: ANN001
        """Four columns of labels plus two per week, at least the legend's width."""
        return max(38, 4 + 2 * (self.grid.weeks if self.grid else 12))

    def render(self) -> Text:
        """The grid as text: a month line, then one line per weekday, then a legend."""
        text = Text(no_wrap=True)
        if self.grid is None:
            return Text(self.placeholder)
        grid = self.grid
        peak = grid.peak
        styles = [self.get_component_rich_style(f"heatmap--level-{i}") for i in range(5)]
        today_style = self.get_component_rich_style("heatmap--today")
        text.append("    " + self._months(grid) + "\n")
        for weekday, row in enumerate(grid.rows):
            text.append(DAY_LABELS[weekday] + " ")
            for week, count in enumerate(row):
                if count is None:
                    text.append("  ")
                    continue
                level = heat_level(count, peak)
                style = styles[level]
                is_today = week == grid.weeks - 1 and weekday == grid.today.weekday()
                text.append(GLYPHS[level], style + today_style if is_today else style)
                text.append(" ")
            text.append("\n")
        text.append("    less ")
        for level in range(5):
            text.append(GLYPHS[level] + " ", styles[level])
        text.append(f"more  (peak {peak}/day)")
        return text

    @staticmethod
    def _months(grid: Heatmap) -> str:
        """Month abbreviations above the week column in which each month begins."""
        out = [" "] * (2 * grid.weeks)
        free = 0
        for week in range(grid.weeks):
            sunday = grid.start + timedelta(weeks=week, days=6)  # the month a week column mostly belongs to
            column = 2 * week
            if (week == 0 or sunday.day <= 7) and column >= free and column + 3 <= len(out):
                out[column : column + 3] = sunday.strftime("%b")
                free = column + 4
        return "".join(out)
