"""Words and colours shown by more than one screen: section headings per language, lab status styles."""

from __future__ import annotations

HEADINGS = {"zh": ("问题", "答案"), "en": ("Question", "Answer")}
"""(question, answer) section headings in each card language."""

LAB_STYLES = {"passed": "green", "due": "bold yellow", "tried": "red", "to do": "yellow", "n/a": "dim"}
"""Rich style of each lab status of the browser (`due`: due for review)."""


def lab_status_style(status: str) -> str:
    """Rich style of a lab's detailed status (trainer.lab_review.lab_status) in the lab list."""
    if status == "passed":
        return "green"
    if status.startswith("failed"):
        return "red" if status.startswith("failed 0/") else "yellow"
    return "dim" if status == "never tried" else "cyan"
