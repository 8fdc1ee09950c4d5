"""Snapshot tests at 100x32 (the lab screen at 80x24 and 100x30, the light dashboard at 80x24): fixed deck, fixed
clock, a seeded history, a fake lab."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from tui_helpers import NOW, full_deck, seed_history

from trainer.labs.grader import file_sha256
from trainer.labs.results import CheckResult, TestEvent, TestResult
from trainer.tui.screens.lab import LabScreen

SIZE = (100, 32)


@pytest.fixture
def seeded(store):  # noqa: ANN001, ANN201
    """The store with 75 days of reviews before the fixed clock's day."""
    seed_history(store, full_deck(), NOW.date())
    return store


MESSAGES = {
    "failed": "AssertionError: generate(model, prompt, 3): values differ: max abs error 2, max rel error 0.667 "
              "(atol 0, rtol 0); 2 of 12 elements differ; first at index (0, 4): expected [3.0000001192092896, "
              "7.0] got [1.0, 5.0]",
    "named": "AssertionError: k_all: shape mismatch: expected [2, 4, 5, 8], got [2, 4, 8, 5]\n"
             "This looks like the new entries were concatenated along dim 3 instead of the time dim 2.",
}


def fake_stream(outcomes: list[tuple[str, str]]):  # noqa: ANN201
    """A stand-in for the grader's stream_check: fixed events, then a fixed CheckResult."""

    async def stream(slug: str, file: Path) -> AsyncIterator[object]:
        tests = [TestResult(f"test_{slug}.py::{n}", n, "passed" if o == "passed" else "failed", 0.01 * (i + 1),
                            MESSAGES.get(o, "")) for i, (n, o) in enumerate(outcomes)]  # fmt: skip
        yield TestEvent("session", total=len(tests), device="cpu")
        for i, t in enumerate(tests, 1):
            yield TestEvent("finished", total=len(tests), nodeid=t.nodeid, name=t.name, index=i, result=t)
        passed = sum(t.outcome == "passed" for t in tests)
        yield CheckResult(slug, file, file_sha256(file), "cpu", NOW, tuple(tests), passed, len(tests) - passed, 0,
                          1.25, "passed" if passed == len(tests) else "failed")

    return stream


def build(app_factory, **kwargs):  # noqa: ANN001, ANN201
    return app_factory(deck=full_deck(), tz=timezone.utc, **kwargs)


async def ready(pilot) -> None:  # noqa: ANN001
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_dashboard(snap_compare, app_factory, seeded) -> None:  # noqa: ANN001
    assert snap_compare(build(app_factory), terminal_size=SIZE, run_before=ready)


def test_dashboard_light_theme_80x24(snap_compare, app_factory, seeded) -> None:  # noqa: ANN001
    assert snap_compare(build(app_factory, theme="textual-light"), terminal_size=(80, 24), run_before=ready)


def test_dashboard_no_color(snap_compare, app_factory, seeded, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(build(app_factory), terminal_size=SIZE, run_before=ready)


def test_review_answer_shown(snap_compare, app_factory, seeded) -> None:  # noqa: ANN001
    async def reveal(pilot) -> None:  # noqa: ANN001
        await ready(pilot)
        await pilot.press("r", "space")
        await pilot.app.screen.answer_built.wait()
        await pilot.pause()

    assert snap_compare(build(app_factory), terminal_size=SIZE, run_before=reveal)


def test_stats(snap_compare, app_factory, seeded) -> None:  # noqa: ANN001
    async def stats(pilot) -> None:  # noqa: ANN001
        await ready(pilot)
        await pilot.press("s")
        await pilot.pause()

    assert snap_compare(build(app_factory), terminal_size=SIZE, run_before=stats)


def test_browser(snap_compare, app_factory, seeded) -> None:  # noqa: ANN001
    async def browse(pilot) -> None:  # noqa: ANN001
        await ready(pilot)
        await pilot.press("b", "down")
        await pilot.pause()

    assert snap_compare(build(app_factory), terminal_size=SIZE, run_before=browse)


@pytest.mark.parametrize("size", [(80, 24), (100, 30)], ids=["80x24", "100x30"])
def test_lab_after_a_failed_check(snap_compare, app_factory, store, fake_lab, size) -> None:  # noqa: ANN001
    async def check(pilot) -> None:  # noqa: ANN001
        await ready(pilot)
        app = pilot.app
        app.backend.stream_check = fake_stream([("test_update_appends", "passed"), ("test_generate_calls", "failed"),
                                                ("test_update_keeps_layers_apart[layer_1]", "named"),
                                                ("test_bytes", "passed")])  # fmt: skip
        await app.push_screen(LabScreen("kv_cache"))
        await pilot.press("s")
        await app.workers.wait_for_complete()  # the start is logged by a worker, whose note is cleared next
        await pilot.pause()
        app.clear_notifications()
        app.screen.query_one("#workspace").show(Path("/home/learner/.local/share/trainer/workspace/kv_cache.py"))
        await pilot.press("c")
        await app.screen.check_worker.wait()
        await pilot.pause()

    assert snap_compare(build(app_factory), terminal_size=size, run_before=check)


def test_help(snap_compare, app_factory, store) -> None:  # noqa: ANN001
    async def help_(pilot) -> None:  # noqa: ANN001
        await ready(pilot)
        await pilot.press("r", "question_mark")
        await pilot.pause()

    assert snap_compare(build(app_factory), terminal_size=SIZE, run_before=help_)


def test_browser_search_and_held_cards(snap_compare, app_factory, seeded) -> None:  # noqa: ANN001
    seeded.set_suspended(2, True)
    seeded.set_buried(4, NOW.date())

    async def search(pilot) -> None:  # noqa: ANN001
        await ready(pilot)
        await pilot.press("b", "slash", *"attention", "enter", "down")
        await pilot.pause()

    assert snap_compare(build(app_factory), terminal_size=SIZE, run_before=search)


def test_history(snap_compare, app_factory, seeded) -> None:  # noqa: ANN001
    async def history(pilot) -> None:  # noqa: ANN001
        await ready(pilot)
        await pilot.press("b", "h")
        await pilot.pause()

    assert snap_compare(build(app_factory), terminal_size=SIZE, run_before=history)


def test_tag_dialog_80x24(snap_compare, app_factory, seeded) -> None:  # noqa: ANN001
    async def tags(pilot) -> None:  # noqa: ANN001
        await ready(pilot)
        await pilot.press("b", "t", "down")
        await pilot.pause()

    assert snap_compare(build(app_factory), terminal_size=(80, 24), run_before=tags)


def test_more_new_dialog(snap_compare, app_factory, seeded) -> None:  # noqa: ANN001
    async def more(pilot) -> None:  # noqa: ANN001
        await ready(pilot)
        await pilot.press("n")
        await pilot.pause()

    assert snap_compare(build(app_factory), terminal_size=SIZE, run_before=more)


def test_stats_hardest_cards_and_distributions(snap_compare, app_factory, seeded) -> None:  # noqa: ANN001
    async def stats(pilot) -> None:  # noqa: ANN001
        await ready(pilot)
        await pilot.press("s")
        await pilot.pause()
        pilot.app.screen.query_one("#hardest").scroll_visible(top=True, animate=False)
        await pilot.pause()

    assert snap_compare(build(app_factory), terminal_size=SIZE, run_before=stats)


@pytest.fixture
def lab_history(seeded):  # noqa: ANN001, ANN201
    """The seeded store plus lab work: kv_cache solved 9 days ago after a failure and a hint (due today),
    longformer at the first check 2 days ago, attention_gradient failing, decoder_only's shipped solution checked."""
    day = NOW.date()
    for slug, back in (("kv_cache", 9), ("longformer", 2), ("attention_gradient", 1)):
        seeded.add_lab_event(slug, "start", at=NOW - timedelta(days=back), day=day - timedelta(days=back))
    at = NOW - timedelta(days=9)
    seeded.record_lab_check("kv_cache", started_at=at + timedelta(minutes=20), file_sha256="a" * 64, outcome="failed",
                            passed=9, failed=6)  # fmt: skip
    seeded.add_lab_event("kv_cache", "hint", at=at + timedelta(minutes=25), day=day - timedelta(days=9), detail="1")
    seeded.record_lab_check("kv_cache", started_at=at + timedelta(minutes=42), file_sha256="b" * 64, outcome="passed",
                            passed=15, day=day - timedelta(days=9))  # fmt: skip
    seeded.record_lab_check("longformer", started_at=NOW - timedelta(days=2, minutes=-12), file_sha256="c" * 64,
                            outcome="passed", passed=12, day=day - timedelta(days=2))  # fmt: skip
    seeded.record_lab_check("attention_gradient", started_at=NOW - timedelta(hours=20), file_sha256="d" * 64,
                            outcome="failed", passed=10, failed=5)  # fmt: skip
    seeded.record_lab_check("decoder_only", started_at=NOW - timedelta(hours=3), file_sha256="e" * 64,
                            outcome="passed", passed=9, own_file=False)  # fmt: skip
    return seeded


def test_labs_with_their_progress_and_next_review(snap_compare, app_factory, lab_history) -> None:  # noqa: ANN001
    async def labs(pilot) -> None:  # noqa: ANN001
        await ready(pilot)
        await pilot.press("l", "down", "down", "down", "down", "down")
        await pilot.pause()

    assert snap_compare(build(app_factory), terminal_size=SIZE, run_before=labs)


def test_dashboard_with_a_lab_due_80x24(snap_compare, app_factory, lab_history) -> None:  # noqa: ANN001
    assert snap_compare(build(app_factory), terminal_size=(80, 24), run_before=ready)
