"""Labs on the SM-2 schedule (pure): the grade a round earns at its first pass, a lab's status and its progress.

A round is everything done on a lab since its latest re-solve (before the first re-solve: since the beginning).
Only the first check of the learner's own workspace file that passes in a round grades it, from what happened in the
round before that pass; checks of other files are logged and count for nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

START, RESOLVE, HINT, SOLUTION, RESET = "start", "resolve", "hint", "solution", "reset"
EVENT_KINDS = (START, RESOLVE, HINT, SOLUTION, RESET)
"""What the store logs of a lab besides its checks: the workspace file created, a re-solve from a fresh starter (a
new round), a hint shown, the solution shown, a reset to the starter."""
NOT_RUN = "error"
"""The outcome of a check that could not run (a missing file, no GPU): it judged nothing, so it counts for nothing."""


class Check(Protocol):
    """A stored lab check, as the store's LabAttemptRecord gives it."""

    @property
    def started_at(self) -> datetime: ...

    @property
    def outcome(self) -> str: ...

    @property
    def passed(self) -> int: ...

    @property
    def failed(self) -> int: ...

    @property
    def errors(self) -> int: ...

    @property
    def own_file(self) -> bool: ...

    @property
    def round(self) -> int: ...


class Event(Protocol):
    """A stored lab event, as the store's LabEventRecord gives it."""

    @property
    def kind(self) -> str: ...

    @property
    def round(self) -> int: ...

    @property
    def at(self) -> datetime: ...


class Graded(Protocol):
    """A graded round, as the store's LabReviewRecord gives it."""

    @property
    def round(self) -> int: ...

    @property
    def quality(self) -> int: ...

    @property
    def checks(self) -> int: ...

    @property
    def hints(self) -> int: ...

    @property
    def failed(self) -> int: ...

    @property
    def solution_shown(self) -> bool: ...

    @property
    def seconds(self) -> float: ...

    @property
    def day(self) -> date: ...


class Schedule(Protocol):
    """A lab's SM-2 schedule, as the store's LabStateRecord gives it."""

    @property
    def interval(self) -> int: ...

    @property
    def due(self) -> date: ...


def counts(check: Check) -> bool:
    """Whether a check counts for the lab: it checked the learner's own workspace file and could run."""
    return check.own_file and check.outcome != NOT_RUN


@dataclass(frozen=True)
class RoundFacts:
    """What a round's grade comes from, as it stood at the round's first pass."""

    checks: int
    """Checks of the learner's own file that ran, the pass included."""
    failed: int
    """Those of them that failed (all but the pass)."""
    hints: int
    """Hints shown during the round."""
    solution_shown: bool
    seconds: float
    """From the round's first step (an event or a check) to the passing check."""


def round_facts(checks_before: Iterable[Check], events: Iterable[Event], passed_at: datetime) -> RoundFacts:
    """The facts of a round at its first pass: `checks_before` are the round's checks stored before the passing one
    (other files and checks that could not run are left out here), `events` the round's events so far."""
    before = list(checks_before)
    kinds = list(events)
    judged = [c for c in before if counts(c)]
    began = min([e.at for e in kinds] + [c.started_at for c in before], default=passed_at)
    return RoundFacts(
        checks=len(judged) + 1,
        failed=sum(c.outcome != "passed" for c in judged),
        hints=sum(e.kind == HINT for e in kinds),
        solution_shown=any(e.kind == SOLUTION for e in kinds),
        seconds=max(0.0, (passed_at - began).total_seconds()),
    )


def lab_grade(facts: RoundFacts) -> int:
    """The SM-2 grade a round earns: 1 when the solution was shown before the pass (the repetitions restart), else 3
    after a hint (failed checks or not), else 4 after failed checks, else 5 (passed at the first check, no hint)."""
    if facts.solution_shown:
        return 1
    if facts.hints:
        return 3
    if facts.failed:
        return 4
    return 5


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def facts_of(review: Graded) -> RoundFacts:
    """The facts a stored graded round was graded from."""
    return RoundFacts(review.checks, review.failed, review.hints, review.solution_shown, review.seconds)


def grade_reason(facts: RoundFacts) -> str:
    """Why the round earned its grade, in a few words."""
    if facts.solution_shown:
        return "the solution was shown before the pass"
    if facts.hints:
        after = _plural(facts.hints, "hint") + (f" and {_plural(facts.failed, 'failed check')}" if facts.failed else "")
        return f"passed after {after}"
    if facts.failed:
        return f"passed after {_plural(facts.failed, 'failed check')}"
    return "passed at the first check, without a hint"


def current_round(events: Iterable[Event], checks: Iterable[Check]) -> int:
    """The lab's current round: the highest round any of its events or checks belongs to (0 before a re-solve)."""
    return max([e.round for e in events] + [c.round for c in checks], default=0)


def lab_status(checks: Sequence[Check], events: Sequence[Event]) -> str:
    """What the learner's own file stands at, in its latest round: `passed` or `failed n/m` (its latest own check),
    `re-solving` (a re-solve, not checked yet), `started` (started, never checked) or `never tried`."""
    now = current_round(events, checks)
    own = [c for c in checks if counts(c) and c.round == now]
    if own:
        last = own[-1]
        return "passed" if last.outcome == "passed" else f"failed {last.passed}/{last.passed + last.failed + last.errors}"
    if now > 0:
        return "re-solving"
    return "started" if events else "never tried"


def is_due(schedule: Schedule | None, today: date) -> bool:
    """Whether a lab's review is due on learning day `today` (a lab never passed has no schedule)."""
    return schedule is not None and schedule.due <= today


def can_resolve(schedule: Schedule | None, graded: Sequence[Graded], round_now: int, today: date) -> bool:
    """Whether a re-solve from a fresh starter is offered: the lab is due and its current round is already graded
    (otherwise the current file is the review in progress)."""
    return is_due(schedule, today) and any(g.round == round_now for g in graded)


@dataclass(frozen=True)
class FirstPass:
    """How the lab was first solved: its first graded round."""

    checks: int
    seconds: float
    hints: int
    grade: int
    day: date


@dataclass(frozen=True)
class LabProgress:
    """One lab's progress: its status, checks, first pass, reviews and schedule."""

    slug: str
    status: str
    checks: int
    """Checks of the learner's own file that ran, all rounds."""
    other_checks: int
    """Checks of other files (logged, counting for nothing)."""
    hints: int
    """Hints shown, all rounds."""
    first_pass: FirstPass | None
    rounds: int
    """Graded rounds: the first pass and each review since."""
    last_grade: int | None
    interval: int | None
    due: date | None
    due_now: bool

    @property
    def touched(self) -> bool:
        """Whether anything was ever done on the lab."""
        return self.status != "never tried" or self.other_checks > 0


def lab_progress(
    slug: str,
    checks: Sequence[Check],
    events: Sequence[Event],
    graded: Sequence[Graded],
    schedule: Schedule | None,
    today: date,
) -> LabProgress:
    """Fold one lab's checks, events and graded rounds (each oldest first) and its schedule into its progress."""
    first = min(graded, key=lambda g: g.round, default=None)
    last = max(graded, key=lambda g: g.round, default=None)
    return LabProgress(
        slug=slug,
        status=lab_status(checks, events),
        checks=sum(counts(c) for c in checks),
        other_checks=sum(not c.own_file for c in checks),
        hints=sum(e.kind == HINT for e in events),
        first_pass=None if first is None else FirstPass(first.checks, first.seconds, first.hints, first.quality,
                                                        first.day),  # fmt: skip
        rounds=len(graded),
        last_grade=None if last is None else last.quality,
        interval=None if schedule is None else schedule.interval,
        due=None if schedule is None else schedule.due,
        due_now=is_due(schedule, today),
    )


def duration(seconds: float) -> str:
    """A time to a pass in its largest sensible unit: `45 s`, `12 min`, `3.5 h`, `4 d`."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} d"


PROGRESS_COLUMNS = ("lab", "status", "checks", "1st pass", "hints", "grade", "every", "next")
"""The columns of a lab progress table (`progress_cells`), the same in `trainer stats` and the TUI."""
PROGRESS_LEGEND = ("checks: of your own file (+ of other files, which count for nothing); 1st pass: checks and time "
                   "to it; grade: the latest; every: the interval")
"""What the columns of a lab progress table mean, in a line."""


def progress_cells(progress: LabProgress) -> tuple[str, ...]:
    """One lab's progress as table cells: checks of its own file (and of other files), its first pass (checks and
    time to it), all hints shown, the latest grade, the interval and the next review."""
    first = progress.first_pass
    checks = str(progress.checks) + (f" (+{progress.other_checks})" if progress.other_checks else "")
    return (
        progress.slug,
        progress.status,
        checks,
        "-" if first is None else f"{first.checks} · {duration(first.seconds)}",
        str(progress.hints),
        "-" if progress.last_grade is None else str(progress.last_grade),
        "-" if progress.interval is None else f"{progress.interval} d",
        "-" if progress.due is None else ("due now" if progress.due_now else progress.due.isoformat()),
    )


def progress_line(progress: LabProgress) -> str:
    """One lab's progress in a sentence: status, checks, the first pass, the reviews and the next one."""
    if not progress.touched:
        return "never tried: open it and press s to start"
    parts = [progress.status]
    if progress.checks or progress.other_checks:
        others = "another file" if progress.other_checks == 1 else "other files"
        other = f" (+{progress.other_checks} of {others})" if progress.other_checks else ""
        parts.append(f"{_plural(progress.checks, 'check')}{other}")
    first = progress.first_pass
    if first is None:
        if progress.hints:
            parts.append(f"{_plural(progress.hints, 'hint')} shown")
        parts.append("not solved yet")
        return " · ".join(parts)
    parts.append(f"first pass: {_plural(first.checks, 'check')}, {duration(first.seconds)}, "
                 f"{_plural(first.hints, 'hint')}, grade {first.grade}")  # fmt: skip
    if progress.rounds > 1:
        parts.append(f"{_plural(progress.rounds - 1, 'review')}, last grade {progress.last_grade}")
    when = "due now" if progress.due_now else f"next {progress.due.isoformat()}" if progress.due else ""
    parts.append(f"every {progress.interval} d, {when}")
    return " · ".join(parts)
