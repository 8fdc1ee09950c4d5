"""Labs on the schedule from the command line: what counts as a pass, the grade, `trainer due`, the re-solve.

The grader is replaced by a quick stand-in here (a file passes when it is the fake lab's solution); the real grader
runs in tests/test_lab_review_e2e.py.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trainer import clock, labs
from trainer.cli import app
from trainer.labs import CheckResult
from trainer.store.database import open_store

FAKE_ROOT = Path(__file__).resolve().parent / "fixtures" / "labs"
SOLUTION = FAKE_ROOT / "fake_add" / "solution.py"
START = datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc)
runner = CliRunner()


class Clock:
    """The commands' clock, moved by the tests."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def days(self, n: int) -> None:
        self.now += timedelta(days=n)


def fake_check(slug: str, file: Path, device: str = "cpu", **_: object) -> CheckResult:
    """Pass when the file is the fake lab's solution, else fail 1 of 4; the check runs at the commands' clock."""
    text = Path(file).read_bytes()
    ok = text == SOLUTION.read_bytes()
    return CheckResult(slug, Path(file), hashlib.sha256(text).hexdigest(), device, clock.utc_now(), (),
                       4 if ok else 3, 0 if ok else 1, 0, 0.5, "passed" if ok else "failed")  # fmt: skip


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moving = Clock()
    monkeypatch.setattr(clock, "utc_now", moving)
    monkeypatch.setattr(labs, "check_lab", fake_check)
    monkeypatch.setenv("TRAINER_LABS", str(FAKE_ROOT))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("TZ", "UTC")
    return moving


def run(*args: str, input: str | None = None) -> str:  # noqa: A002 - CliRunner's name
    result = runner.invoke(app, list(args), input=input)
    assert result.exit_code in (0, 1), result.output
    return result.output


def solve(trainer_home: Path) -> Path:
    path = trainer_home / "workspace" / "fake_add.py"
    path.write_bytes(SOLUTION.read_bytes())
    return path


def status(slug: str = "fake_add") -> str:
    line = next(line for line in run("lab", "list").splitlines() if f" {slug} " in line)
    return " ".join(cell.strip() for cell in line.split("│")[5:7]).strip()


def test_checking_the_shipped_solution_is_logged_and_moves_nothing(now: Clock) -> None:
    out = run("lab", "check", "fake_add", "--file", str(SOLUTION))
    assert "PASSED" in out and "not your workspace file: logged, it moves neither" in out
    data = json.loads(run("lab", "check", "fake_add", "--file", str(SOLUTION), "--json"))
    assert data["own_file"] is False and data["graded"] is None
    store = open_store()
    assert [a.own_file for a in store.lab_attempts()] == [False, False]
    assert store.lab_state("fake_add") is None and status() == "never tried"


def test_a_first_pass_without_a_hint_is_a_5_and_the_lab_is_due_the_next_day(now: Clock, trainer_home: Path) -> None:
    run("lab", "start", "fake_add")
    solve(trainer_home)
    out = run("lab", "check", "fake_add")
    assert "Scheduled: grade 5 (passed at the first check, without a hint); next review 2026-06-02 (in 1 d)" in out
    assert status() == "passed 2026-06-02"
    again = json.loads(run("lab", "check", "fake_add", "--json"))
    assert again["own_file"] is True and again["graded"] is None  # one grade per round
    assert "This round was graded already" in run("lab", "check", "fake_add")
    assert "Labs due" not in run("due")
    now.days(1)
    due = run("due")
    assert "1 lab(s) due" in due and "fake_add" in due and "trainer lab start fake_add" in due
    assert status() == "passed due now"


def test_failed_checks_and_hints_lower_the_grade(now: Clock, trainer_home: Path) -> None:
    run("lab", "start", "fake_add")
    run("lab", "check", "fake_add")  # the starter fails
    run("lab", "hint", "fake_add")
    solve(trainer_home)
    data = json.loads(run("lab", "check", "fake_add", "--json"))
    assert data["graded"]["grade"] == 3 and data["graded"]["reason"] == "passed after 1 hint and 1 failed check"
    assert [e.kind for e in open_store().lab_events("fake_add")] == ["start", "hint"]


def test_the_solution_shown_before_the_pass_is_a_1(now: Clock, trainer_home: Path) -> None:
    run("lab", "start", "fake_add")
    run("lab", "solution", "fake_add", "--yes")
    solve(trainer_home)
    assert "Scheduled: grade 1 (the solution was shown before the pass)" in run("lab", "check", "fake_add")


def test_after_a_reset_and_a_failing_check_the_lab_is_no_longer_passed(now: Clock, trainer_home: Path) -> None:
    run("lab", "start", "fake_add")
    solve(trainer_home)
    run("lab", "check", "fake_add")
    run("lab", "reset", "fake_add", "--yes")
    assert status().startswith("passed")  # a reset alone changes nothing yet
    run("lab", "check", "fake_add")
    assert status() == "failed 3/4 2026-06-02"
    assert [e.kind for e in open_store().lab_events("fake_add")] == ["start", "reset"]


def test_a_due_lab_is_solved_again_from_a_blank_starter_and_the_old_file_is_kept(
    now: Clock, trainer_home: Path
) -> None:
    run("lab", "start", "fake_add")
    path = solve(trainer_home)
    run("lab", "check", "fake_add")
    before = run("lab", "start", "fake_add")
    assert "already exists" in before and "Next review of fake_add: 2026-06-02" in before
    now.days(1)
    declined = run("lab", "start", "fake_add", input="n\n")
    assert "is due for review" in declined and "stays due" in declined and path.read_bytes() == SOLUTION.read_bytes()
    out = run("lab", "start", "fake_add", input="y\n")
    (kept,) = (trainer_home / "workspace" / "archive").glob("fake_add-*.py")
    assert kept.read_bytes() == SOLUTION.read_bytes() and str(kept) in out.replace("\n", "")
    starter = (FAKE_ROOT / "fake_add" / "starter.py").read_bytes()
    assert path.read_bytes() == starter and status() == "re-solving due now"
    assert "re-solving" in run("due")
    assert "already exists" in run("lab", "start", "fake_add")  # the round is open: no second re-solve
    run("lab", "check", "fake_add")  # the blank starter fails
    solve(trainer_home)
    out = run("lab", "check", "fake_add")
    assert "Scheduled: grade 4 (passed after 1 failed check); next review 2026-06-08 (in 6 d)" in out
    assert "Labs due" not in run("due") and status() == "passed 2026-06-08"


def test_a_resolve_hides_the_hints_again(now: Clock, trainer_home: Path) -> None:
    run("lab", "start", "fake_add")
    run("lab", "hint", "fake_add")
    solve(trainer_home)
    run("lab", "check", "fake_add")
    now.days(1)
    run("lab", "start", "fake_add", "--yes")
    assert json.loads((trainer_home / "hints.json").read_text())["fake_add"] == 0
    assert "hint 1/3" in run("lab", "hint", "fake_add", "--lang", "en")


def test_a_card_missed_twice_running_suggests_its_lab(now: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRAINER_LABS")  # the project's labs: card 6's kv_cache and card 8's attention_gradient
    store = open_store()
    at = START - timedelta(days=2)
    store.record_grade(6, 1, at=at, day=at.date())
    store.record_grade(8, 4, at=at, day=at.date())
    out = run("review", "--plain", "--lang", "en", input="\n2\n\n1\nq\n")  # card 6 missed again, card 8 once
    assert out.count("missed twice running") == 1 and "`trainer lab start kv_cache`" in out
