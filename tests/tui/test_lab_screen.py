"""Pilot tests of the lab screen: a real grader run on a right and a wrong file, cancel, confirm dialogs."""

from __future__ import annotations

import asyncio
import shutil

from textual.widgets import Markdown, Static
from tui_helpers import run_async, wait_ready

from trainer.labs.registry import find_lab
from trainer.labs.workspace import workspace_file
from trainer.tui.screens.confirm import ConfirmScreen
from trainer.tui.screens.lab import LabScreen
from trainer.tui.widgets.test_results import TestResults

SLUG = "longformer"


async def check_file(app, pilot, source) -> str:  # noqa: ANN001
    """Put `source` in the workspace, press c, wait for the check; the verdict text."""
    workspace_file(SLUG).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, workspace_file(SLUG))
    await app.push_screen(LabScreen(SLUG))
    await pilot.pause()
    await pilot.press("c")
    await pilot.pause()
    await app.screen.check_worker.wait()
    await pilot.pause()
    return str(app.screen.query_one("#verdict", Static).render())


@run_async
async def test_check_of_the_solution_passes_and_is_stored(app_factory, store) -> None:  # noqa: ANN001
    app = app_factory()
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_ready(app, pilot)
        verdict = await check_file(app, pilot, find_lab(SLUG).solution)
        results = app.screen.query_one(TestResults)
        assert verdict.startswith("PASSED"), verdict
        shown = results.count
        assert shown >= 5 and not results.query(".failed")
    attempts = store.lab_attempts(SLUG)
    assert [(a.outcome, a.failed, a.passed) for a in attempts] == [("passed", 0, shown)]


@run_async
async def test_check_of_the_starter_fails_with_each_test_shown(app_factory, store) -> None:  # noqa: ANN001
    app = app_factory()
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_ready(app, pilot)
        verdict = await check_file(app, pilot, find_lab(SLUG).starter)
        results = app.screen.query_one(TestResults)
        assert verdict.startswith("FAILED"), verdict
        assert results.count >= 5 and len(results.query(".failed").exclude(".message")) == results.count
        assert any("NotImplementedError" in str(s.render()) for s in results.query(".message"))
    assert [a.outcome for a in store.lab_attempts(SLUG)] == ["failed"]


@run_async
async def test_second_c_cancels_the_check_and_closes_the_stream(app_factory, store, fake_lab) -> None:  # noqa: ANN001
    app = app_factory()
    closed = asyncio.Event()

    async def slow_stream(slug, file):  # noqa: ANN001, ANN202
        try:
            await asyncio.sleep(30)
            yield None
        finally:
            closed.set()

    async with app.run_test(size=(100, 32)) as pilot:
        await wait_ready(app, pilot)
        app.backend.stream_check = slow_stream
        workspace_file("kv_cache").parent.mkdir(parents=True)
        workspace_file("kv_cache").write_text("# my file\n")
        await app.push_screen(LabScreen("kv_cache"))
        await pilot.press("c")
        await pilot.pause()
        assert not closed.is_set()
        await pilot.press("c")
        await asyncio.wait_for(closed.wait(), 2)
        await pilot.pause()
        assert "cancelled" in str(app.screen.query_one("#verdict", Static).render())
    assert store.lab_attempts() == []


@run_async
async def test_reset_and_solution_ask_first(app_factory, fake_lab) -> None:  # noqa: ANN001
    app = app_factory()
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_ready(app, pilot)
        target = workspace_file("kv_cache")
        await app.push_screen(LabScreen("kv_cache"))
        await pilot.press("s")
        target.write_text("# my work\n")
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert target.read_text() == "# my work\n"
        await pilot.press("x", "y")
        await pilot.pause()
        assert target.read_text() == (fake_lab / "kv_cache" / "starter.py").read_text()
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        await pilot.pause()
        assert "# Solution: kv_cache" in app.screen.query_one("#readme", Markdown).source


@run_async
async def test_a_lab_not_yet_written_says_so(app_factory, fake_lab) -> None:  # noqa: ANN001
    app = app_factory()
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_ready(app, pilot)
        await app.push_screen(LabScreen("quantization"))
        await pilot.pause()
        assert "not yet available" in app.screen.query_one("#readme", Markdown).source
        await pilot.press("c")
        assert app.screen.check_worker is None


@run_async
async def test_an_unwritable_home_leaves_the_lab_screen_usable(app_factory, fake_lab, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("TRAINER_HOME", str(blocker / "home"))  # nothing can be created there
    app = app_factory()
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_ready(app, pilot)
        await app.push_screen(LabScreen("kv_cache"))
        await pilot.pause()
        assert "not started" in str(app.screen.query_one("#workspace", Static).render())
        await pilot.press("s", "h")
        await pilot.pause()
        assert isinstance(app.screen, LabScreen) and app.is_running
        messages = [str(n.message) for n in app._notifications]
        assert sum(m.startswith(f"cannot write {blocker / 'home'}") for m in messages) == 2, messages
        assert "Append along dim 2." in app.screen.query_one("#hints", Markdown).source  # the hint still shows
