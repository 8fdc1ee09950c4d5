"""The TUI process stays lean: no torch, no lab code, and no SQLAlchemy before the first frame."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tui_helpers import run_async, wait_ready

from trainer.tui.screens.dashboard import DashboardScreen

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


def test_the_tui_never_imports_torch_and_defers_sqlalchemy() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report == {"at_import": [], "torch": False, "labs": False, "ready": True, "screen": "DashboardScreen"}


@run_async
async def test_dashboard_shows_todays_numbers(app_factory) -> None:  # noqa: ANN001
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(app, pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        assert str(screen.query_one("#due-count").render()) == "0"
        assert str(screen.query_one("#new-count").render()) == "4"
        assert str(screen.query_one("#labs-count").render()) == "0/20 labs"
        await pilot.press("q", "s", "r", "question_mark")  # keys typed after q open nothing (and do not crash)
    assert app.return_code == 0 and not app.is_running


def test_trainer_alone_runs_the_tui(monkeypatch) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    import trainer.tui.app as tui
    from trainer.cli import app as cli

    runs: list[str] = []

    class FakeApp:
        def run(self) -> None:
            runs.append("run")

    monkeypatch.setattr(tui, "make_app", lambda: FakeApp())
    result = CliRunner().invoke(cli, [])
    assert result.exit_code == 0, result.output
    assert runs == ["run"]
