"""A TRAINER_HOME that cannot be written: every command says so in one line, naming the file and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from trainer.cli import app
from trainer.store.database import Store, StoreError

FAKE_ROOT = Path(__file__).resolve().parent / "fixtures" / "labs"
runner = CliRunner()


@pytest.fixture
def unwritable_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """TRAINER_HOME inside a regular file: nothing can be created there, even by root."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    home = blocker / "home"
    monkeypatch.setenv("TRAINER_HOME", str(home))
    monkeypatch.setenv("TRAINER_LABS", str(FAKE_ROOT))
    return home


@pytest.mark.parametrize(
    "args",
    [["config", "language", "en"], ["lab", "start", "fake_add"], ["lab", "hint", "fake_add"],
     ["lab", "reset", "fake_add", "--yes"]],  # fmt: skip
)
def test_each_write_is_one_line_naming_the_file(unwritable_home: Path, args: list[str]) -> None:
    result = runner.invoke(app, args, env={"COLUMNS": "60"})
    assert result.exit_code == 2 and not isinstance(result.exception, OSError), result.output
    (line,) = result.output.splitlines()  # one line, even on a narrow terminal
    assert line.startswith(f"error: cannot write {unwritable_home}") and "(Not a directory)" in line
    assert "set TRAINER_HOME to a folder you can write to" in line


@pytest.mark.parametrize("args", [["due"], ["undo"], ["review", "--plain"]])
def test_the_database_in_an_unwritable_home_is_one_line(unwritable_home: Path, args: list[str]) -> None:
    result = runner.invoke(app, args, input="q\n")
    assert result.exit_code == 2 and not isinstance(result.exception, OSError), result.output
    assert result.output.startswith(f"error: {unwritable_home / 'progress.db'} cannot be created: cannot write")


def test_sqlite_refusing_the_file_names_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Path, "mkdir", lambda self, *args, **kwargs: None)  # the folder is never made: SQLite fails
    folder = tmp_path / "missing"
    with pytest.raises(StoreError) as info:
        Store(folder / "progress.db")
    message = str(info.value)
    assert "unable to open database file" in message and f"the folder {folder} exists and is writable" in message


def test_reading_never_needs_a_writable_home(unwritable_home: Path) -> None:
    assert runner.invoke(app, ["config"]).exit_code == 0
    listed = runner.invoke(app, ["lab", "list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and "fake_add" in listed.stdout and "cannot read lab attempts" in listed.stderr
