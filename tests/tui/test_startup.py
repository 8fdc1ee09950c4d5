"""The TUI process stays lean: no torch, no lab code, and no SQLAlchemy before the first frame."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import textwrap
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from tui_helpers import NOW, Clock, fixed_deck, run_async, wait_ready

from trainer.config import Settings
from trainer.paths import db_path
from trainer.srs import learning_day
from trainer.store.database import Store, StoreError
from trainer.tui.app import make_app
from trainer.tui.backend import Backend
from trainer.tui.screens.dashboard import DashboardScreen
from trainer.tui.screens.review import ReviewScreen

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys
    import trainer.tui.app as tui
    at_import = sorted(m for m in ("torch", "labs", "sqlalchemy", "sqlmodel") if m in sys.modules)

    async def main():
        app = tui.make_app()
        async with app.run_test(size=(100, 32)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            for keys in (("r", "space", "escape"), ("b", "enter", "o", "escape", "escape", "escape"),
                         ("l", "escape"), ("s", "escape")):
                await pilot.press(*keys)
                await pilot.pause()
            return app.backend.ready, type(app.screen).__name__

    ready, screen = asyncio.run(main())
    print(json.dumps({"at_import": at_import, "torch": "torch" in sys.modules,
                      "labs": "labs" in sys.modules, "ready": ready, "screen": screen}))
    """
)


def test_the_tui_never_imports_torch_and_defers_sqlalchemy(fresh_python: Callable[..., str]) -> None:
    report = json.loads(fresh_python(SCRIPT, cwd=ROOT).strip().splitlines()[-1])
    assert report == {"at_import": [], "torch": False, "labs": False, "ready": True, "screen": "DashboardScreen"}


FIGURES_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys
    import trainer.tui.app as tui
    from trainer.tui.screens.dashboard import DashboardScreen
    seen = []
    redraw = DashboardScreen.refresh_data

    def refresh_data(self):
        redraw(self)
        if self.app.backend.ready:
            state = [type(self.app.backend.store).__name__, "sqlalchemy" in sys.modules,
                     self.query_one("#due-count").value]
            if not seen or seen[-1] != state:
                seen.append(state)

    DashboardScreen.refresh_data = refresh_data

    async def main():
        app = tui.make_app()
        async with app.run_test(size=(100, 32)) as pilot:
            for _ in range(400):  # the store opens after the first frame: on a busy machine, well after it
                await app.workers.wait_for_complete()
                await pilot.pause()
                if app.backend.writable:
                    break
                await asyncio.sleep(0.05)

    asyncio.run(main())
    print(json.dumps(seen))
    """
)


def test_figures_come_from_a_snapshot_before_sqlalchemy_loads(
    trainer_home: Path, fresh_python: Callable[..., str]
) -> None:
    today = learning_day(datetime.now(timezone.utc), Settings().rollover_hour)  # the real app runs on the real clock
    store = Store(db_path())
    store.record_grade(1, 4, at=NOW, day=today - timedelta(days=5))  # due again after one day: due today
    store.close()
    seen = json.loads(fresh_python(FIGURES_SCRIPT, cwd=ROOT).strip().splitlines()[-1])
    assert seen == [["Snapshot", False, "1"], ["Store", True, "1"]]


def test_a_first_start_shows_its_figures_before_the_database_exists(fresh_python: Callable[..., str]) -> None:
    seen = json.loads(fresh_python(FIGURES_SCRIPT, cwd=ROOT).strip().splitlines()[-1])
    assert seen == [["EmptySnapshot", False, "0"], ["Store", True, "0"]]


def hold_the_store(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Make the writable store wait to open until the returned event is set."""
    release = threading.Event()
    open_store = Backend.open

    def held_open(self: Backend):  # noqa: ANN202
        release.wait(10)
        return open_store(self)

    monkeypatch.setattr(Backend, "open", held_open)
    return release


def logged_grades() -> int:
    con = sqlite3.connect(db_path())
    try:
        return con.execute("SELECT count(*) FROM review_log").fetchone()[0]
    finally:
        con.close()


@run_async
async def test_the_review_opens_on_the_snapshot_and_a_grade_waits_for_the_store(
    trainer_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Store(db_path()).close()  # an existing database: the snapshot comes first
    release = hold_the_store(monkeypatch)
    app = make_app(deck=fixed_deck(), settings=Settings(language="en"), clock=Clock(), tz=timezone.utc)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert app.backend.ready and not app.backend.writable
        assert app.screen.query_one("#new-count").value == "4"
        await pilot.press("r", "space")
        assert isinstance(app.screen, ReviewScreen) and app.screen.revealed  # no wait for the store
        first = app.screen.card
        grading = asyncio.create_task(pilot.press("4"))  # the grade waits for the store...
        await asyncio.sleep(0.3)
        assert logged_grades() == 0 and app.screen.card == first and not grading.done()
        release.set()  # ...and lands once it is open
        await asyncio.wait_for(grading, 10)
        await wait_ready(app, pilot)
        await pilot.pause()
        assert app.backend.writable and logged_grades() == 1 and app.screen.card != first


@run_async
async def test_more_new_cards_asked_for_on_the_snapshot_stay_once_the_store_opens(
    trainer_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Store(db_path()).close()
    release = hold_the_store(monkeypatch)
    app = make_app(deck=fixed_deck(), settings=Settings(new_per_day=1, language="en"), clock=Clock(), tz=timezone.utc)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert not app.backend.writable and app.backend.review.summary().new == 1
        await pilot.press("n", "ctrl+u", "2", "enter")
        await pilot.pause()
        assert app.backend.review.summary().new == 3
        release.set()
        await wait_ready(app, pilot)
        assert app.backend.writable and app.backend.review.summary().new == 3
        assert app.screen.query_one("#new-count").value == "3"


@run_async
async def test_a_screen_asked_for_before_anything_can_be_read_opens_once_it_can(
    trainer_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainer.store.reads import Snapshot
    from trainer.tui.screens.labs import LabsScreen

    monkeypatch.setattr(Snapshot, "open", classmethod(lambda cls, path: None))  # e.g. a database to migrate
    release = hold_the_store(monkeypatch)
    app = make_app(deck=fixed_deck(), settings=Settings(language="en"), clock=Clock(), tz=timezone.utc)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("l")
        await pilot.pause()
        assert not app.backend.ready and isinstance(app.screen, DashboardScreen)  # waiting, not refused
        release.set()
        await wait_ready(app, pilot)
        assert isinstance(app.screen, LabsScreen)


@run_async
async def test_a_store_that_cannot_open_is_reported_and_a_grade_is_not_lost_silently(
    trainer_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Store(db_path()).close()

    def broken_open(self: Backend):  # noqa: ANN202
        raise StoreError("progress.db could not be opened (disk I/O error).")

    monkeypatch.setattr(Backend, "open", broken_open)
    app = make_app(deck=fixed_deck(), settings=Settings(language="en"), clock=Clock(), tz=timezone.utc)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_ready(app, pilot)  # the snapshot still shows the figures
        assert app.load_error == "progress.db could not be opened (disk I/O error)."
        await pilot.press("r", "space", "4")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen) and app.screen.card is not None
        assert any("disk I/O error" in str(n.message) for n in app._notifications)
        await pilot.press("escape")
        assert "Grades cannot be saved" in str(app.screen.query_one("#hint").render())  # after the toast is gone too
    assert logged_grades() == 0


@run_async
async def test_dashboard_shows_todays_numbers(app_factory) -> None:  # noqa: ANN001
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(app, pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        assert screen.query_one("#due-count").value == "0"
        assert screen.query_one("#new-count").value == "4"
        assert screen.query_one("#labs").value == "0/20 labs"
        await pilot.press("q", "s", "r", "question_mark")  # keys typed after q open nothing (and do not crash)
    assert app.return_code == 0 and not app.is_running


def test_trainer_alone_runs_the_tui(monkeypatch) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    import trainer.tui.app as tui
    from trainer.cli import app as cli

    runs: list[str] = []

    class FakeApp:
        return_code = 0

        def run(self) -> None:
            runs.append("run")

    monkeypatch.setattr(tui, "make_app", lambda **options: FakeApp())
    result = CliRunner().invoke(cli, [])
    assert result.exit_code == 0, result.output
    assert runs == ["run"]


@run_async
async def test_a_damaged_database_leaves_the_cards_and_labs_reachable(trainer_home: Path) -> None:
    from trainer.tui.screens.browser import BrowserScreen
    from trainer.tui.screens.labs import LabsScreen

    trainer_home.mkdir(parents=True)
    (trainer_home / "progress.db").write_bytes(b"not a database " * 200)
    app = make_app(deck=fixed_deck(), settings=Settings(language="en"), clock=Clock(), tz=timezone.utc)
    async with app.run_test(size=(100, 32)) as pilot:
        while not app.load_error:  # the store is opened after the first frame: on a busy machine, well after it
            await app.workers.wait_for_complete()
            await pilot.pause(0.05)
        await pilot.pause()
        dashboard = app.screen
        assert dashboard.query_one("#due-count").value == "?"  # unknown, not "loading" forever
        assert "loading" not in str(dashboard.query_one("#heatmap").render())
        assert "is not an SQLite database" in str(dashboard.query_one("#hint").render())
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, LabsScreen) and app.screen.query_one("#labs").row_count == 4
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "LabScreen"
        await pilot.press("escape", "escape", "b")
        await pilot.pause()
        assert isinstance(app.screen, BrowserScreen)
        await pilot.press("escape", "r", "s")
        await pilot.pause()
        assert app.screen is dashboard  # reviews and stats need the database: refused with the reason
        assert sum("needs the progress database" in str(n.title) for n in app._notifications) == 2
    assert (trainer_home / "progress.db").read_bytes() == b"not a database " * 200  # left untouched


@run_async
async def test_the_app_can_open_on_the_review(trainer_home: Path) -> None:
    app = make_app(deck=fixed_deck(), settings=Settings(language="en"), clock=Clock(), tz=timezone.utc, first="review")
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_ready(app, pilot)
        assert isinstance(app.screen, ReviewScreen) and app.screen.card is not None
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)
