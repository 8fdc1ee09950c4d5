"""A learner's month with kv_cache, through the real grader: solve it, see it due again in `trainer due` when its
date comes (the clock is moved), and solve it again from a blank starter with the first solution archived."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trainer import clock
from trainer.cli import app
from trainer.labs import find_lab

runner = CliRunner()


def test_solve_kv_cache_see_it_due_and_solve_it_again_from_a_blank_starter(
    trainer_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("TRAINER_LABS", raising=False)
    offset = timedelta()
    monkeypatch.setattr(clock, "utc_now", lambda: datetime.now(timezone.utc) + offset)
    lab = find_lab("kv_cache")
    path = trainer_home / "workspace" / "kv_cache.py"

    assert runner.invoke(app, ["lab", "start", "kv_cache"]).exit_code == 0
    path.write_text(lab.solution.read_text())  # the learner's answer, written in the workspace file
    watched = runner.invoke(app, ["lab", "watch", "kv_cache", "--runs", "1"])
    assert watched.exit_code == 0 and "PASSED" in watched.output, watched.output
    assert "Scheduled: grade 5 (passed at the first check, without a hint)" in watched.output
    assert "kv_cache" not in runner.invoke(app, ["due"]).output

    offset = timedelta(days=1)  # the next review's day comes
    due = runner.invoke(app, ["due"]).output
    assert "1 lab(s) due" in due and "trainer lab start kv_cache" in due

    again = runner.invoke(app, ["lab", "start", "kv_cache"], input="y\n")
    assert again.exit_code == 0 and "Fresh starter" in again.output, again.output
    (kept,) = (trainer_home / "workspace" / "archive").glob("kv_cache-*.py")
    assert kept.read_text() == lab.solution.read_text() and path.read_text() == lab.starter.read_text()
    blank = runner.invoke(app, ["lab", "check", "kv_cache"])
    assert blank.exit_code == 1 and "FAILED" in blank.output  # a blank starter: the review starts from nothing
    listed = runner.invoke(app, ["lab", "list", "--lang", "en"]).output
    assert any("kv_cache" in line and "failed 0/" in line and "due now" in line for line in listed.splitlines())
