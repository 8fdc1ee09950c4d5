"""Labs on the schedule: the grading rule, a lab's status and progress (pure), and the store that applies them."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from trainer import lab_review
from trainer.lab_review import RoundFacts, grade_reason, lab_grade
from trainer.srs import SM2State, missed_twice_running, sm2_step
from trainer.store.database import SCHEMA_VERSION, Store, open_store
from trainer.store.records import LabAttemptRecord, LabEventRecord

DAY = date(2026, 6, 1)
AT = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
V3 = Path(__file__).resolve().parent / "fixtures" / "progress" / "progress-v3.db"


# --------------------------------------------------------------------------- the rule (pure)


@pytest.mark.parametrize(
    ("failed", "hints", "solution", "grade", "reason"),
    [
        (0, 0, False, 5, "passed at the first check, without a hint"),
        (2, 0, False, 4, "passed after 2 failed checks"),
        (0, 1, False, 3, "passed after 1 hint"),
        (3, 2, False, 3, "passed after 2 hints and 3 failed checks"),
        (0, 0, True, 1, "the solution was shown before the pass"),
        (4, 3, True, 1, "the solution was shown before the pass"),
    ],
)
def test_the_grade_comes_from_what_happened(failed: int, hints: int, solution: bool, grade: int, reason: str) -> None:
    facts = RoundFacts(checks=failed + 1, failed=failed, hints=hints, solution_shown=solution, seconds=60)
    assert lab_grade(facts) == grade and grade_reason(facts) == reason


def check(outcome: str = "failed", own: bool = True, round_no: int = 0, minutes: int = 0) -> LabAttemptRecord:
    return LabAttemptRecord(0, "kv_cache", AT + timedelta(minutes=minutes), "x", 1 if outcome == "passed" else 0,
                            0 if outcome == "passed" else 1, 0, 1.0, "cpu", outcome, own, round_no)  # fmt: skip


def event(kind: str, round_no: int = 0, minutes: int = 0) -> LabEventRecord:
    return LabEventRecord(0, "kv_cache", round_no, AT + timedelta(minutes=minutes), DAY, kind)


def test_round_facts_count_only_own_checks_that_ran() -> None:
    before = [check("failed", minutes=5), check("failed", own=False, minutes=6), check("error", minutes=7)]
    facts = lab_review.round_facts(before, [event("start"), event("hint", minutes=8)], AT + timedelta(minutes=30))
    assert facts == RoundFacts(checks=2, failed=1, hints=1, solution_shown=False, seconds=1800.0)


def test_the_status_follows_the_own_files_latest_round() -> None:
    assert lab_review.lab_status([], []) == "never tried"
    assert lab_review.lab_status([], [event("start")]) == "started"
    passed = [check("passed")]
    assert lab_review.lab_status(passed, [event("start")]) == "passed"
    assert lab_review.lab_status([*passed, check("passed", own=False)], []) == "passed"
    assert lab_review.lab_status([*passed, check("failed")], [event("reset")]) == "failed 0/1"
    assert lab_review.lab_status([check("passed", own=False)], []) == "never tried"  # another file moves nothing
    assert lab_review.lab_status(passed, [event("resolve", 1)]) == "re-solving"
    assert lab_review.lab_status([*passed, check("failed", round_no=1)], [event("resolve", 1)]) == "failed 0/1"


def test_a_card_missed_twice_running() -> None:
    assert not missed_twice_running(None, 1)  # a new card's first miss
    assert missed_twice_running(SM2State(2.5, 0, 1), 2)
    assert not missed_twice_running(SM2State(2.5, 0, 1), 3)
    assert not missed_twice_running(SM2State(2.5, 2, 6), 0)  # the previous grade passed


# --------------------------------------------------------------------------- the store applies it


@pytest.fixture
def db(trainer_home: Path) -> Store:
    return open_store()


def checked(db: Store, outcome: str, minutes: int, own: bool = True, day: date = DAY):  # noqa: ANN201
    return db.record_lab_check("kv_cache", started_at=AT + timedelta(minutes=minutes), file_sha256="ab" * 32,
                               outcome=outcome, passed=15 if outcome == "passed" else 9,
                               failed=0 if outcome == "passed" else 6, own_file=own, day=day)  # fmt: skip


@pytest.mark.parametrize(
    ("steps", "grade"),
    [
        ([], 5),
        ([("check", "failed"), ("check", "failed")], 4),
        ([("hint", "1")], 3),
        ([("check", "failed"), ("hint", "1"), ("hint", "2")], 3),
        ([("solution", ""), ("check", "failed")], 1),
        ([("check", "passed-other"), ("check", "error")], 5),  # another file's pass and a check that never ran
    ],
)
def test_each_case_of_the_rule_through_the_store(db: Store, steps: list[tuple[str, str]], grade: int) -> None:
    db.add_lab_event("kv_cache", "start", at=AT, day=DAY)
    for minute, (kind, detail) in enumerate(steps, 1):
        if kind == "check":
            outcome, _, other = detail.partition("-")
            assert checked(db, outcome, minute, own=not other).review is None
        else:
            db.add_lab_event("kv_cache", kind, at=AT + timedelta(minutes=minute), day=DAY, detail=detail)
    done = checked(db, "passed", 60)
    assert done.review is not None and done.review.quality == grade
    state = db.lab_state("kv_cache")
    assert state.sm2 == sm2_step(SM2State(), grade) and state.due == DAY + timedelta(days=1)
    assert done.review.seconds == 3600.0 and done.review.after == state  # from the start to the pass


def test_only_the_first_pass_of_a_round_moves_the_schedule(db: Store) -> None:
    first = checked(db, "passed", 0)
    state = db.lab_state("kv_cache")
    assert first.review.quality == 5 and state.interval == 1
    again = checked(db, "passed", 10, day=DAY + timedelta(days=3))
    assert again.review is None and db.lab_state("kv_cache") == state and len(db.lab_reviews()) == 1


def test_another_files_pass_moves_nothing(db: Store) -> None:
    done = checked(db, "passed", 0, own=False)
    assert done.review is None and db.lab_state("kv_cache") is None and done.attempt.own_file is False
    assert lab_review.lab_status(db.lab_attempts("kv_cache"), []) == "never tried"


def test_a_resolve_opens_a_round_whose_first_pass_is_graded_again(db: Store) -> None:
    checked(db, "passed", 0)  # round 0: 5, interval 1
    resolve = db.add_lab_event("kv_cache", "resolve", at=AT + timedelta(days=1), day=DAY + timedelta(days=1),
                               detail="/archive/kv_cache-1.py")  # fmt: skip
    assert resolve.round == 1 and db.lab_round("kv_cache") == 1
    db.add_lab_event("kv_cache", "hint", at=AT + timedelta(days=1, minutes=1), day=DAY + timedelta(days=1))
    failed = checked(db, "failed", 60 * 24 + 2, day=DAY + timedelta(days=1))
    assert failed.attempt.round == 1 and failed.review is None
    passed = checked(db, "passed", 60 * 24 + 3, day=DAY + timedelta(days=1))
    assert (passed.review.round, passed.review.quality, passed.review.hints) == (1, 3, 1)
    state = db.lab_state("kv_cache")
    assert (state.repetitions, state.interval, state.due) == (2, 6, DAY + timedelta(days=7))


def test_the_solution_shown_restarts_the_repetitions_and_counts_a_lapse(db: Store) -> None:
    checked(db, "passed", 0)
    checked(db, "passed", 1)
    db.add_lab_event("kv_cache", "resolve", at=AT, day=DAY)
    db.add_lab_event("kv_cache", "solution", at=AT, day=DAY)
    done = checked(db, "passed", 5, day=DAY + timedelta(days=2))
    state = db.lab_state("kv_cache")
    assert done.review.quality == 1 and (state.repetitions, state.interval, state.lapses) == (0, 1, 1)
    assert state.easiness == 2.6 and state.due == DAY + timedelta(days=3)  # EF unchanged by a grade below 3


def test_an_unknown_event_is_refused(db: Store) -> None:
    with pytest.raises(ValueError, match="a lab event is one of"):
        db.add_lab_event("kv_cache", "peek", at=AT, day=DAY)
    assert db.lab_events() == []


def test_lab_progress_folds_checks_events_and_rounds(db: Store) -> None:
    db.add_lab_event("kv_cache", "start", at=AT, day=DAY)
    checked(db, "failed", 10)
    db.add_lab_event("kv_cache", "hint", at=AT + timedelta(minutes=11), day=DAY)
    checked(db, "passed", 42)
    checked(db, "passed", 43, own=False)
    progress = lab_review.lab_progress("kv_cache", db.lab_attempts("kv_cache"), db.lab_events("kv_cache"),
                                       db.lab_reviews("kv_cache"), db.lab_state("kv_cache"), DAY)  # fmt: skip
    assert progress.first_pass == lab_review.FirstPass(checks=2, seconds=42 * 60, hints=1, grade=3, day=DAY)
    assert (progress.status, progress.checks, progress.other_checks, progress.rounds) == ("passed", 2, 1, 1)
    assert (progress.interval, progress.due, progress.due_now) == (1, DAY + timedelta(days=1), False)
    later = lab_review.lab_progress("kv_cache", [], [], [], db.lab_state("kv_cache"), DAY + timedelta(days=1))
    assert later.due_now


# --------------------------------------------------------------------------- the upgrade from a real v3 database


def test_a_real_v3_database_upgrades_keeps_everything_and_schedules_its_passed_lab(
    trainer_home: Path, tmp_path: Path
) -> None:
    trainer_home.mkdir(parents=True)
    shutil.copyfile(V3, trainer_home / "progress.db")
    db = open_store()
    assert db.schema_version() == SCHEMA_VERSION == 4
    (copy,) = (trainer_home / "backups").glob("progress-v3-before-upgrade-*.db")
    assert sqlite3.connect(copy).execute("PRAGMA user_version").fetchone()[0] == 3  # the copy before the upgrade
    assert [s.card_id for s in db.card_states()] == [6, 8] and len(db.review_logs(include_undone=True)) == 5
    assert db.card_flags()[0].suspended
    attempts = db.lab_attempts()
    assert [(a.slug, a.outcome, a.own_file, a.round) for a in attempts] == [
        ("kv_cache", "failed", True, 0), ("kv_cache", "passed", True, 0), ("attention_gradient", "failed", True, 0)]
    (review,) = db.lab_reviews()
    assert (review.slug, review.quality, review.checks, review.failed, review.day) == ("kv_cache", 4, 2, 1,
                                                                                      date(2026, 5, 1))  # fmt: skip
    assert db.due_labs(date(2026, 5, 2)) == [("kv_cache", date(2026, 5, 2))]
    assert db.lab_state("attention_gradient") is None
    from tests.test_store import schema_of

    fresh = Store(tmp_path / "fresh.db")
    fresh.close()
    assert schema_of(trainer_home / "progress.db") == schema_of(tmp_path / "fresh.db")
