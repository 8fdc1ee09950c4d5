"""`trainer lab` commands that need no grading run: list, start, hint, reset, solution, demo."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trainer.cli import app
from trainer.config import Settings, save_settings
from trainer.labs import find_lab
from trainer.store import database as store

FAKE_ROOT = Path(__file__).resolve().parent / "fixtures" / "labs"
runner = CliRunner()


@pytest.fixture(autouse=True)
def fake_labs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINER_LABS", str(FAKE_ROOT))
    monkeypatch.setenv("COLUMNS", "200")


def test_list_shows_every_catalog_lab_and_the_status(trainer_home: Path) -> None:
    result = runner.invoke(app, ["lab", "list"])
    assert result.exit_code == 0
    assert result.stdout.count("not yet available") == 20
    assert "fake_add" in result.stdout and "never tried" in result.stdout
    now = datetime.now(timezone.utc)
    store.open_store().add_lab_attempt("fake_add", started_at=now, file_sha256="0" * 64, outcome="failed", passed=3, failed=2)
    assert "failed 3/5" in runner.invoke(app, ["lab", "list"]).stdout


def test_start_prints_the_path_and_keeps_existing_work(trainer_home: Path) -> None:
    first = runner.invoke(app, ["lab", "start", "fake_add"])
    path = trainer_home / "workspace" / "fake_add.py"
    assert first.exit_code == 0 and str(path) in first.stdout.replace("\n", "")
    path.write_text("mine")
    second = runner.invoke(app, ["lab", "start", "fake_add"])
    assert second.exit_code == 0 and "already exists" in second.stdout and path.read_text() == "mine"


def test_hint_reveals_the_next_one() -> None:
    first = runner.invoke(app, ["lab", "hint", "fake_add", "--lang", "en"])
    second = runner.invoke(app, ["lab", "hint", "fake_add", "--lang", "en"])
    assert "hint 1/3" in first.stdout and "Tensors support" in first.stdout
    assert "hint 2/3" in second.stdout and "triangular" in second.stdout


def test_reset_asks_and_keeps_a_backup(trainer_home: Path) -> None:
    runner.invoke(app, ["lab", "start", "fake_add"])
    path = trainer_home / "workspace" / "fake_add.py"
    path.write_text("mine")
    declined = runner.invoke(app, ["lab", "reset", "fake_add"], input="n\n")
    assert declined.exit_code == 1 and path.read_text() == "mine"
    done = runner.invoke(app, ["lab", "reset", "fake_add", "--yes"])
    assert done.exit_code == 0 and "NotImplementedError" in path.read_text()
    (backup,) = (trainer_home / "workspace").glob("fake_add.py.bak-*")
    assert backup.read_text() == "mine"


def test_solution_asks_first() -> None:
    declined = runner.invoke(app, ["lab", "solution", "fake_add"], input="n\n")
    assert declined.exit_code == 1 and "triu" not in declined.stdout
    shown = runner.invoke(app, ["lab", "solution", "fake_add"], input="y\n")
    assert shown.exit_code == 0 and "triu" in shown.stdout


def test_demo_streams_the_demo_output() -> None:
    result = runner.invoke(app, ["lab", "demo", "fake_add"])
    assert result.exit_code == 0 and "running total of 1..4: 1 3 6 10" in result.stdout


@pytest.mark.parametrize("command", ["start", "hint", "reset", "solution", "demo"])
def test_unavailable_lab_exits_2(command: str) -> None:
    result = runner.invoke(app, ["lab", command, "decoder_only"])
    assert result.exit_code == 2 and "not yet available" in result.stderr


def test_reset_of_an_untouched_starter_keeps_no_backup_and_does_not_ask(trainer_home: Path) -> None:
    runner.invoke(app, ["lab", "start", "fake_add"])
    result = runner.invoke(app, ["lab", "reset", "fake_add"])  # no --yes, no input: it must not ask
    assert result.exit_code == 0 and "Fresh starter" in result.stdout and "kept as" not in result.stdout
    assert list((trainer_home / "workspace").glob("*.bak-*")) == []


def test_solution_prints_the_code_without_line_numbers() -> None:
    shown = runner.invoke(app, ["lab", "solution", "fake_add", "--yes"])
    first = (FAKE_ROOT / "fake_add" / "solution.py").read_text().splitlines()[0]
    assert shown.exit_code == 0 and shown.stdout.splitlines()[0].rstrip() == first


def test_hints_and_titles_follow_the_language_setting() -> None:
    chinese = runner.invoke(app, ["lab", "hint", "fake_add"])  # the default language is zh
    assert "提示 1/3" in chinese.stdout and "张量可以直接用" in chinese.stdout
    assert "假实验" in runner.invoke(app, ["lab", "list"]).stdout
    save_settings(Settings(language="en"))
    english = runner.invoke(app, ["lab", "hint", "fake_add"])
    assert "hint 2/3" in english.stdout and "triangular" in english.stdout
    assert "Fake lab" in runner.invoke(app, ["lab", "list"]).stdout


def test_lab_list_titles_wrap_instead_of_being_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    title = find_lab("fake_add", FAKE_ROOT).title_en
    out = runner.invoke(app, ["lab", "list", "--lang", "en"]).stdout
    words = [w for line in out.splitlines() if "│" in line for w in line.split("│")[3].split()]
    assert "…" not in out and " ".join(title.split()) in " ".join(words)
