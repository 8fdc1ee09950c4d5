"""Regenerate the README screenshots (dashboard, review, lab, labs, stats, browser) from the real deck and a seeded
history.

Run: .venv/bin/python docs/screenshots/make_screenshots.py  (uses a temporary TRAINER_HOME; runs one real lab check)
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOW = datetime(2026, 3, 18, 20, 30, tzinfo=timezone.utc)
SIZE = (110, 34)
WRONG_FILE = HERE.parent.parent / "tests" / "labs" / "wrong" / "attention_gradient" / "dk_untransposed.py"


def seed(store, deck, today: date) -> None:  # noqa: ANN001
    """Two months of mostly daily reviews: cards introduced three a week, every due card graded."""
    rng = random.Random(3)
    due: dict[int, date] = {}
    for offset in range(70, 0, -1):
        day = today - timedelta(days=offset)
        if offset > 9 and rng.random() < 0.15:
            continue
        at = datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)
        for card in deck.cards[:17]:
            if 70 - 4 * (card.id - 1) >= offset and due.get(card.id, day) <= day:
                log = store.record_grade(card.id, rng.choice((2, 3, 4, 4, 5, 5, 5)), at=at, day=day, seconds=20.0)
                due[card.id] = log.after.due
                at += timedelta(minutes=2)
    solved = NOW - timedelta(days=10)  # kv_cache: a failed check, then a pass (grade 4), due again since
    store.add_lab_event("kv_cache", "start", at=solved - timedelta(minutes=40), day=solved.date())
    store.record_lab_check("kv_cache", started_at=solved - timedelta(minutes=12), file_sha256="1" * 64,
                           outcome="failed", passed=11, failed=4, seconds=6.3, day=solved.date())  # fmt: skip
    store.record_lab_check("kv_cache", started_at=solved, file_sha256="0" * 64, outcome="passed", passed=15,
                           seconds=6.1, day=solved.date())  # fmt: skip
    first = NOW - timedelta(hours=5)  # longformer: passed at the first check today, next review tomorrow
    store.add_lab_event("longformer", "start", at=first - timedelta(minutes=25), day=first.date())
    store.record_lab_check("longformer", started_at=first, file_sha256="2" * 64, outcome="passed", passed=12,
                           seconds=4.0, day=first.date())  # fmt: skip


async def main() -> None:
    """Drive the app and save six SVGs."""
    os.environ["TRAINER_HOME"] = tempfile.mkdtemp(prefix="trainer-shots-")
    from trainer.config import Settings
    from trainer.deck import load_deck
    from trainer.labs import workspace_file
    from trainer.store.database import Store
    from trainer.tui.app import make_app

    deck = load_deck()
    store = Store(Path(os.environ["TRAINER_HOME"]) / "progress.db")
    seed(store, deck, NOW.date())
    app = make_app(deck=deck, store=store, settings=Settings(new_per_day=3, language="en"), clock=lambda: NOW,
                   tz=timezone.utc)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.save_screenshot("dashboard.svg", str(HERE))
        await pilot.press("r", "space")
        await app.screen.answer_built.wait()
        await pilot.pause()
        app.save_screenshot("review.svg", str(HERE))
        await pilot.press("escape", "l")
        await pilot.pause()
        target = workspace_file("attention_gradient")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(WRONG_FILE, target)  # a known mistake, which the check names
        from trainer.tui.screens.lab import LabScreen

        await app.push_screen(LabScreen("attention_gradient"))
        await pilot.press("c")
        await app.screen.check_worker.wait()
        await pilot.pause(0.5)
        app.clear_notifications()
        await pilot.pause()
        app.save_screenshot("lab.svg", str(HERE))
        await pilot.press("escape", *["down"] * 5)
        await pilot.pause()
        app.save_screenshot("labs.svg", str(HERE))
        await pilot.press("escape", "s")
        await pilot.pause()
        app.save_screenshot("stats.svg", str(HERE))
        await pilot.press("escape", "b", "slash", *"attention", "enter")
        await pilot.pause()
        app.save_screenshot("browser.svg", str(HERE))
    store.close()


if __name__ == "__main__":
    asyncio.run(main())
