"""Words and colours shown by more than one screen: section headings per language, lab status styles."""

from __future__ import annotations

HEADINGS = {"zh": ("问题", "答案"), "en": ("Question", "Answer")}
"""(question, answer) section headings in each card language."""

LAB_STYLES = {"passed": "green", "tried": "red", "to do": "yellow", "n/a": "dim"}
"""Rich style of each lab status of the browser and the lab list."""
