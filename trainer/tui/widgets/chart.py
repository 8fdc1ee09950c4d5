"""A vertical bar chart drawn with eighth blocks, with a value scale and date ticks."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

from trainer.bars import bar_rows


class BarChart(Widget):
    """Bars for (label, value) points; `bar_width` columns each; the first and last labels under the axis."""

    COMPONENT_CLASSES = {"barchart--bar", "barchart--axis", "barchart--zero"}
    DEFAULT_CSS = """
    BarChart { height: auto; width: auto; }
    BarChart > .barchart--bar { color: $accent; }
    BarChart > .barchart--axis { color: $foreground 60%; }
    """

    def __init__(self, title: str, *, height: int = 5, bar_width: int = 2, id: str | None = None) -> None:
        super().__init__(id=id)
        self.title = title
        self.chart_height = height
        self.bar_width = bar_width
        self.points: list[tuple[str, int]] = []

    def show(self, points: Sequence[tuple[str, int]]) -> None:
        """Draw new points."""
        self.points = list(points)
        self.refresh(layout=True)

    def get_content_width(self, container, viewport) -> int:  # noqa: ANN001
        """Scale column plus the bars."""
        return max(len(self.title), 5 + self.bar_width * len(self.points))

    def get_content_height(self, container, viewport, width: int) -> int:  # noqa: ANN001
        """Title, bars, labels."""
        return self.chart_height + 2

    def render(self) -> Text:
        """Title line, bars with the peak on the left, then the first and last labels."""
        bar = self.get_component_rich_style("barchart--bar")
        axis = self.get_component_rich_style("barchart--axis")
        values = [v for _, v in self.points]
        peak = max(values, default=0)
        text = Text(self.title + "\n", no_wrap=True)
        rows = bar_rows(values, self.chart_height)
        for i, row in enumerate(rows):
            scale = f"{peak:>3} " if i == 0 else ("  0 " if i == len(rows) - 1 else "    ")
            text.append(scale + "│", axis)
            gap = " " * (self.bar_width - 1)
            text.append("".join(ch * (self.bar_width - 1) + " " if gap else ch for ch in row).rstrip(), bar)
            text.append("\n")
        if self.points:
            first, last = self.points[0][0], self.points[-1][0]
            span = self.bar_width * len(self.points)
            text.append("    └" + first + last.rjust(max(1, span - len(first))), axis)
        return text
