"""Bars drawn with eighth blocks, for the terminal: vertical bar charts and single horizontal bars (pure text)."""

from __future__ import annotations

from collections.abc import Sequence

EIGHTHS = " ▁▂▃▄▅▆▇█"
"""Vertical fill levels 0..8."""
LEFT_EIGHTHS = " ▏▎▍▌▋▊▉█"
"""Horizontal fill levels 0..8."""


def bar_rows(values: Sequence[int], height: int) -> list[str]:
    """The chart as `height` strings (top row first), one character per value, scaled to the largest value."""
    peak = max(values, default=0)
    rows = []
    for level in range(height, 0, -1):
        line = []
        for value in values:
            eighths = round(value * height * 8 / peak) if peak else 0
            fill = eighths - (level - 1) * 8
            line.append(EIGHTHS[max(0, min(8, fill))])
        rows.append("".join(line))
    return rows


def hbar(value: float, peak: float, width: int) -> str:
    """A bar of `width` cells filled in proportion value/peak, to the eighth of a cell (right-padded with spaces)."""
    eighths = round(value * width * 8 / peak) if peak > 0 else 0
    eighths = max(0, min(width * 8, eighths))
    full, part = divmod(eighths, 8)
    return ("█" * full + (LEFT_EIGHTHS[part] if part else "")).ljust(width)
