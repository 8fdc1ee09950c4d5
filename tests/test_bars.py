"""The eighth-block bars of the charts."""

from __future__ import annotations

from trainer.bars import bar_rows, hbar


def test_bar_rows_scale_to_the_peak_in_eighths() -> None:
    assert bar_rows([0, 1, 2, 4], 2) == ["   █", " ▄██"]
    assert bar_rows([0, 0], 3) == ["  ", "  ", "  "] and bar_rows([], 2) == ["", ""]


def test_hbar_fills_cells_in_eighths() -> None:
    assert hbar(10, 10, 4) == "████" and hbar(0, 10, 4) == "    " and hbar(3, 0, 2) == "  "
    assert hbar(5, 10, 3) == "█▌ " and hbar(1, 16, 2) == "▏ " and hbar(99, 10, 2) == "██"
