"""Pilot tests of the lab screen: a real grader run on a right and a wrong file, cancel, confirm dialogs."""

from __future__ import annotations

import asyncio
import shutil
from datetime import datetime, timezone
from pathlib import Path

from textual.widgets import Markdown, ProgressBar, Static
from textual.widgets._markdown import MarkdownH3
from tui_helpers import run_async, wait_ready

from trainer.config import load_settings
from trainer.labs.registry import LabError, find_lab
from trainer.labs.results import CheckResult, TestEvent, TestResult
from trainer.labs.workspace import workspace_file
from trainer.tui.dialogs.confirm import ConfirmScreen
from trainer.tui.screens.lab import LabScreen
from trainer.tui.widgets.path_line import short_path
from trainer.tui.widgets.test_results import TestResults, readable

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
        assert app.backend.last_results[SLUG].warm  # checked in the warm grader's process
        server = app.backend._warm.server.proc
    assert server.wait(10) is not None  # it ends with the app
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
        my_file()
        await open_lab(app, slow_stream)
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
        assert "not started" in str(app.screen.query_one("#workspace").render())
        await pilot.press("s", "h")
        await pilot.pause()
        assert isinstance(app.screen, LabScreen) and app.is_running
        messages = [str(n.message) for n in app._notifications]
        assert sum(m.startswith(f"cannot write {blocker / 'home'}") for m in messages) == 2, messages
        assert "Append along dim 2." in app.screen.query_one("#hints", Markdown).source  # the hint still shows


def fake_result(file, tests, outcome="failed"):  # noqa: ANN001, ANN201
    """A finished check of `file` with these TestResults."""
    from trainer.labs.grader import file_sha256

    passed = sum(t.outcome == "passed" for t in tests)
    return CheckResult("kv_cache", file, file_sha256(file), "cpu", datetime.now(timezone.utc), tuple(tests), passed,
                       len(tests) - passed, 0, 1.5, outcome)


BARE = TestResult("t.py::test_generate", "test_generate", "failed", 0.1,
                  "AssertionError: generate: values differ: expected [-5.0539795900329825, 4.2] got [1.25, 4.2]")
NAMED = TestResult("t.py::test_update_appends[layer_1]", "test_update_appends[layer_1]", "failed", 0.1,
                   "AssertionError: k_all: shape mismatch\nThis looks like the new entries were put first.")
PASSED = TestResult("t.py::test_seq_len", "test_seq_len", "passed", 0.1)


def stream_of(result):  # noqa: ANN001, ANN201
    async def stream(slug, file):  # noqa: ANN001, ANN202
        for index, test in enumerate(result.tests, 1):
            yield TestEvent("finished", total=len(result.tests), nodeid=test.nodeid, name=test.name, index=index,
                            result=test)
        yield result

    return stream


def my_file() -> Path:
    """The fake kv_cache lab's workspace file, written."""
    target = workspace_file("kv_cache")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("# my file\n")
    return target


async def open_lab(app, stream) -> None:  # noqa: ANN001
    """The fake kv_cache lab's screen, its checks going through `stream`."""
    app.backend.stream_check = stream
    await app.push_screen(LabScreen("kv_cache"))


async def open_checked_lab(app, pilot, result_for):  # noqa: ANN001, ANN201
    """The fake kv_cache lab opened and checked once with a stream ending in `result_for(file)`."""
    target = my_file()
    await open_lab(app, stream_of(result_for(target)))
    await pilot.pause()
    await pilot.press("c")
    await app.screen.check_worker.wait()
    await pilot.pause()
    return target


@run_async
async def test_after_a_check_the_failure_to_fix_comes_first(app_factory, fake_lab) -> None:  # noqa: ANN001
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(app, pilot)
        await open_checked_lab(app, pilot, lambda f: fake_result(f, [PASSED, BARE, NAMED]))
        results = app.screen.query_one(TestResults)
        texts = [str(w.render()) for w in results.children]
        assert texts[0] == "First to fix" and texts[1] == "✗ update appends [layer_1]"
        assert texts[2].startswith("This looks like the new entries were put first.")
        assert "expected [-5.054, 4.2] got [1.25, 4.2]" in "".join(texts)  # floats rounded
        assert texts.index("The others") < texts.index("✓ seq len")
        assert results.scroll_y == 0  # the top of the list, not its end
        assert str(app.screen.query_one("#verdict").render()).startswith("FAILED 1/3 passed")


@run_async
async def test_results_go_stale_when_the_file_changes_and_come_back_when_reopened(app_factory, fake_lab) -> None:  # noqa: ANN001
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(app, pilot)
        target = await open_checked_lab(app, pilot, lambda f: fake_result(f, [PASSED, BARE]))
        stale = app.screen.query_one("#stale")
        assert not stale.display
        target.write_text("# my file, changed\n")
        await asyncio.sleep(1.3)
        await pilot.pause()
        assert stale.display and app.screen.query_one(TestResults).has_class("-stale")
        await pilot.press("escape")
        await app.push_screen(LabScreen("kv_cache"))
        await pilot.pause()
        assert app.screen.query_one(TestResults).count == 2  # the last result, shown again
        assert app.screen.query_one("#stale").display


@run_async
async def test_after_a_restart_the_last_stored_check_is_shown(app_factory, store, fake_lab) -> None:  # noqa: ANN001
    target = workspace_file("kv_cache")
    target.parent.mkdir(parents=True)
    target.write_text("# my file\n")
    from trainer.labs.workspace import record_attempt

    record_attempt(fake_result(target, [PASSED, BARE]), store)
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(app, pilot)
        await app.push_screen(LabScreen("kv_cache"))
        await pilot.pause()
        verdict = str(app.screen.query_one("#verdict").render())
        assert verdict.startswith("last check ") and "FAILED 1/2 passed" in verdict
        assert not app.screen.query_one("#stale").display


@run_async
async def test_h_brings_the_new_hint_into_view(app_factory, fake_lab) -> None:  # noqa: ANN001
    readme = fake_lab / "kv_cache" / "README.md"
    readme.write_text("# KV cache\n\n" + "\n\n".join(f"Paragraph {i} of a long task." for i in range(40)))
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(app, pilot)
        await app.push_screen(LabScreen("kv_cache"))
        await pilot.pause()
        await pilot.press("h")
        await app.workers.wait_for_complete()
        await pilot.pause()
        pane = app.screen.query_one("#readme-pane")
        heading = app.screen.query_one("#hints").query(MarkdownH3).last()
        assert pane.scroll_y > 0 and pane.region.contains_region(heading.region)


@run_async
async def test_a_cancelled_check_leaves_a_still_bar(app_factory, fake_lab) -> None:  # noqa: ANN001
    async def slow_stream(slug, file):  # noqa: ANN001, ANN202
        await asyncio.sleep(30)
        yield None

    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(app, pilot)
        my_file()
        await open_lab(app, slow_stream)
        await pilot.press("c")
        await pilot.pause()
        assert app.screen.query_one(ProgressBar).total is None  # spinning while it runs
        await pilot.press("c")
        await pilot.pause()
        assert app.screen.query_one(ProgressBar).total is not None


@run_async
async def test_a_check_that_cannot_start_says_why(app_factory, fake_lab) -> None:  # noqa: ANN001
    async def refused(slug, file):  # noqa: ANN001, ANN202
        raise LabError("a check on cuda cannot run here: this torch (2.13.0+cpu) is a CPU-only build")
        yield None

    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(app, pilot)
        my_file()
        await open_lab(app, refused)
        await pilot.press("c")
        await app.screen.check_worker.wait()
        await pilot.pause()
        assert app.is_running and "CANNOT CHECK a check on cuda cannot run here" in str(
            app.screen.query_one("#verdict").render())


@run_async
async def test_z_switches_the_readme_and_hints_and_is_remembered(app_factory, fake_lab, trainer_home) -> None:  # noqa: ANN001
    (fake_lab / "kv_cache" / "README.md").write_text("# KV cache\n\n## English\n\nAppend.\n\n## 中文\n\n沿时间维追加。\n")
    (fake_lab / "kv_cache" / "hints.md").write_text("## Hint 1\nAppend along dim 2.\n\n## 提示 1\n沿 dim 2 追加。\n")
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(app, pilot)
        await app.push_screen(LabScreen("kv_cache"))
        await pilot.pause()
        readme = app.screen.query_one("#readme", Markdown)
        assert "Append." in readme.source and "沿时间维" not in readme.source
        await pilot.press("h", "z")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "沿时间维追加。" in readme.source and "Append." not in readme.source
        assert "### 提示 1" in app.screen.query_one("#hints", Markdown).source
    assert load_settings().language == "zh"


@run_async
async def test_the_solution_takes_the_whole_width_and_v_goes_back(app_factory, fake_lab) -> None:  # noqa: ANN001
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(app, pilot)
        await app.push_screen(LabScreen("kv_cache"))
        await pilot.press("v", "y")
        await pilot.pause()
        await pilot.pause()
        assert not app.screen.query_one("#side").display
        assert "# Solution: kv_cache" in app.screen.query_one("#readme", Markdown).source
        await pilot.press("v")
        await pilot.pause()
        await pilot.pause()
        assert app.screen.query_one("#side").display and "KV cache" in app.screen.query_one("#readme", Markdown).source


@run_async
async def test_an_unavailable_lab_offers_only_back(app_factory, fake_lab) -> None:  # noqa: ANN001
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(app, pilot)
        await app.push_screen(LabScreen("quantization"))
        await pilot.pause()
        keys = {binding.key for _, binding, _, _ in app.screen.active_bindings.values()}
        assert "escape" in keys and not keys & {"s", "e", "c", "h", "x", "v", "z"}


def test_test_names_read_as_words_with_their_parameters() -> None:
    assert readable("test_gradients_match_for_large_scores[W_v]") == "gradients match for large scores [W_v]"
    assert readable("test_kv_cache_grows") == "kv cache grows"


def test_a_long_path_keeps_its_end() -> None:
    path = Path("/home/learner/.local/share/trainer/workspace/attention_gradient.py")
    assert short_path(path, 100) == str(path)
    assert short_path(path, 34) == "…/workspace/attention_gradient.py"
    assert short_path(path, 12) == "…gradient.py"


@run_async
async def test_a_save_checks_again_and_the_old_results_stay_stale_until_the_verdict(app_factory, fake_lab) -> None:  # noqa: ANN001
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(app, pilot)
        target = await open_checked_lab(app, pilot, lambda f: fake_result(f, [PASSED, BARE]))
        checked: list[str] = []
        release = asyncio.Event()

        async def gated(slug, file):  # noqa: ANN001, ANN202
            checked.append(file.read_text())
            await release.wait()
            yield fake_result(file, [PASSED, PASSED], outcome="passed")

        app.backend.stream_check = gated
        target.write_text("# my file, fixed\n")  # saved by an editor outside the app
        await asyncio.sleep(0.6)
        await pilot.pause()
        screen = app.screen
        assert checked == ["# my file, fixed\n"]
        assert screen.query_one("#stale").display and screen.query_one(TestResults).count == 2  # the old ones, dimmed
        assert str(screen.query_one("#verdict").render()).startswith("saved: checking again")
        release.set()
        await screen.check_worker.wait()
        await pilot.pause()
        assert str(screen.query_one("#verdict").render()).startswith("PASSED 2/2 passed")
        assert not screen.query_one("#stale").display and not screen.query_one(TestResults).has_class("-stale")
        target.write_text("# my file, fixed\n")  # saved again, unchanged: nothing to check
        await asyncio.sleep(0.6)
        assert checked == ["# my file, fixed\n"]


@run_async
async def test_a_second_save_during_a_check_restarts_it(app_factory, fake_lab) -> None:  # noqa: ANN001
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(app, pilot)
        target = await open_checked_lab(app, pilot, lambda f: fake_result(f, [PASSED, BARE]))
        started: list[str] = []
        closed: list[str] = []

        async def endless(slug, file):  # noqa: ANN001, ANN202
            text = file.read_text()
            started.append(text)
            try:
                await asyncio.sleep(30)
                yield None
            finally:
                closed.append(text)

        app.backend.stream_check = endless
        target.write_text("# first save\n")
        await asyncio.sleep(0.6)
        assert started == ["# first save\n"] and closed == []
        target.write_text("# second save\n")
        await asyncio.sleep(0.6)
        await pilot.pause()
        assert started == ["# first save\n", "# second save\n"] and closed == ["# first save\n"]
