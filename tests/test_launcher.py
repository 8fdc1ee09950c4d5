"""The console script: no argument opens the TUI without Typer; arguments go to the CLI."""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest

from trainer import launcher


def test_no_argument_opens_the_tui(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []

    class FakeApp:
        return_code = 0

        def run(self) -> None:
            opened.append("run")

    monkeypatch.setattr(sys, "argv", ["trainer"])
    monkeypatch.setattr("trainer.tui.app.make_app", lambda **options: FakeApp())
    with pytest.raises(SystemExit) as exit_:
        launcher.main()
    assert opened == ["run"] and exit_.value.code == 0


def test_arguments_go_to_the_command_line(fresh_python: Callable[..., str]) -> None:
    code = "import sys; sys.argv = ['trainer', '--version']; from trainer.launcher import main; main()"
    assert fresh_python(code).startswith("trainer ")


def test_opening_the_tui_loads_neither_typer_nor_sqlalchemy_before_the_app_runs(
    fresh_python: Callable[..., str],
) -> None:
    code = (
        "import sys; sys.argv = ['trainer']\n"
        "import trainer.tui.app as a\n"
        "class F:\n    return_code = 0\n    def run(self): print(sorted(m for m in ('typer', 'sqlalchemy', 'torch') if m in sys.modules))\n"
        "a.make_app = lambda **options: F()\n"
        "from trainer.launcher import main; main()"
    )
    assert fresh_python(code).strip() == "[]"
