"""Labs on the schedule in the TUI: the grade after a check, the events logged, a due lab solved again from a fresh
starter, labs due on the dashboard and in the lab list, and a card missed twice running pointing at its lab."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Markdown, Static
from tui_helpers import NOW, run_async, wait_ready

from trainer.labs.workspace import hints_state, save_hints, workspace_file
from trainer.tui.dialogs.confirm import ConfirmScreen
from trainer.tui.screens.lab import LabScreen
from trainer.tui.screens.labs import LabsScreen

from test_lab_screen import PASSED, fake_result, open_checked_lab  # the lab screen tests' helpers


def notes(app) -> list[str]:  # noqa: ANN001
    return [f"{n.title}: {n.message}" for n in app._notifications]


def text(app, selector: str) -> str:  # noqa: ANN001
    return str(app.screen.query_one(selector, Static).render())


def solve_kv_cache(store, day) -> None:  # noqa: ANN001
    """kv_cache started and passed at the first check on learning day `day` (due the next day)."""
    store.add_lab_event("kv_cache", "start", at=NOW, day=day)
    store.record_lab_check("kv_cache", started_at=NOW, file_sha256="ab" * 32, outcome="passed", passed=4, day=day)


@run_async
async def test_a_first_pass_grades_the_round_and_shows_the_next_review(app_factory, store, fake_lab) -> None:  # noqa: ANN001
    app = app_factory()
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_ready(app, pilot)
        await app.push_screen(LabScreen("kv_cache"))
        await pilot.pause()
        assert "after your first pass" in text(app, "#schedule")
        await app.pop_screen()
        await open_checked_lab(app, pilot, lambda f: fake_result(f, [PASSED], "passed"))
        await app.workers.wait_for_complete()
        await pilot.pause()
        (review,) = store.lab_reviews("kv_cache")
        assert review.quality == 5 and review.after.due == NOW.date() + timedelta(days=1)
        assert "next review 2026-03-19" in text(app, "#schedule")
        assert any("Grade 5: passed at the first check, without a hint" in n for n in notes(app)), notes(app)


@run_async
async def test_start_hint_solution_and_reset_are_logged(app_factory, store, fake_lab) -> None:  # noqa: ANN001
    app = app_factory()
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_ready(app, pilot)
        await app.push_screen(LabScreen("kv_cache"))
        await pilot.pause()
        await pilot.press("s", "h")
        await app.workers.wait_for_complete()
        workspace_file("kv_cache").write_text("# my work\n")
        await pilot.press("x", "y")
        await app.workers.wait_for_complete()
        await pilot.press("v", "y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        events = store.lab_events("kv_cache")
        assert [(e.kind, e.round, e.day) for e in events] == [("start", 0, NOW.date()), ("hint", 0, NOW.date()),
                                                              ("reset", 0, NOW.date()), ("solution", 0, NOW.date())]
        assert events[1].detail == "1" and "kv_cache.py.bak-" in events[2].detail  # the reset's backup


@run_async
async def test_a_due_lab_is_solved_again_from_a_fresh_starter(app_factory, store, clock, fake_lab) -> None:  # noqa: ANN001
    solve_kv_cache(store, NOW.date() - timedelta(days=2))
    target = workspace_file("kv_cache")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("# my solution\n")
    save_hints({"kv_cache": 1})
    app = app_factory()
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_ready(app, pilot)
        assert "0 + 1 lab" in str(app.screen.query_one("#due-count").render())
        assert "1 lab due for review (kv_cache)" in text(app, "#hint")
        await app.push_screen(LabScreen("kv_cache"))
        await pilot.pause()
        assert "due for review since 2026-03-17" in text(app, "#schedule") and app.screen.hints_shown == 1
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert target.read_text() == "# my solution\n" and store.lab_round("kv_cache") == 0
        await pilot.press("s", "y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        (kept,) = (target.parent / "archive").glob("kv_cache-*.py")
        assert kept.read_text() == "# my solution\n"
        assert target.read_text() == (fake_lab / "kv_cache" / "starter.py").read_text()
        assert store.lab_round("kv_cache") == 1 and hints_state()["kv_cache"] == 0
        assert app.screen.hints_shown == 0 and app.screen.query_one("#hints", Markdown).source == ""
        assert "review under way" in text(app, "#schedule")
        await pilot.press("s")  # the review is under way: no second re-solve
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen) and store.lab_round("kv_cache") == 1


@run_async
async def test_the_lab_list_shows_each_labs_status_next_review_and_progress(app_factory, store, fake_lab) -> None:  # noqa: ANN001
    solve_kv_cache(store, NOW.date())
    store.record_lab_check("kv_cache", started_at=NOW, file_sha256="cd" * 32, outcome="passed", passed=4,
                           own_file=False)  # fmt: skip
    app = app_factory()
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_ready(app, pilot)
        await app.push_screen(LabsScreen())
        await pilot.pause()
        table = app.screen.query_one("#labs")
        row = table.get_row("kv_cache")
        assert str(row[3]) == "passed" and str(row[4]) == "2026-03-19"
        assert "1 solved of 20" in text(app, "#labs-summary")
        line = text(app, "#lab-progress")  # the cursor starts on the first row: card 6's lab here
        assert "kv_cache: passed · 1 check (+1 of another file) · first pass: 1 check" in line
        assert "grade 5 · every 1 d, next 2026-03-19" in line


@run_async
async def test_a_card_missed_twice_running_points_at_its_lab(app_factory, store, fake_lab) -> None:  # noqa: ANN001
    day = NOW.date() - timedelta(days=1)
    store.record_grade(6, 1, at=NOW - timedelta(days=1), day=day)
    app = app_factory()
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_ready(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        assert app.screen.card.id == 6
        await pilot.press("space", "2")
        await pilot.pause()
        assert any(n.startswith("Try its lab: Card 6 was missed twice running") for n in notes(app)), notes(app)
        await pilot.press("space", "1")  # card 8, new: a first miss suggests nothing
        await pilot.pause()
        assert sum("missed twice" in n for n in notes(app)) == 1
