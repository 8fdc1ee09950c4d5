"""What the store hands out: plain frozen records, free of SQL and of SQLAlchemy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from trainer.srs import SM2State


@dataclass(frozen=True)
class CardStateRecord:
    """A card's schedule: SM-2 state, due learning day, lapses, last schedule-changing review (UTC)."""

    card_id: int
    easiness: float
    repetitions: int
    interval: int
    due: date
    lapses: int = 0
    last_review: datetime | None = None

    @property
    def sm2(self) -> SM2State:
        """The SM-2 part of the state."""
        return SM2State(self.easiness, self.repetitions, self.interval)


@dataclass(frozen=True)
class ReviewLogRecord:
    """One grade. `before` is None when the card was new; a repeat (`is_repeat`) leaves the state as is."""

    id: int
    card_id: int
    reviewed_at: datetime
    day: date
    quality: int
    before: CardStateRecord | None
    after: CardStateRecord
    seconds: float
    is_repeat: bool
    undone: bool

    @property
    def first_of_day(self) -> bool:
        """Whether this grade changed the schedule (the day's first grade of the card)."""
        return not self.is_repeat


@dataclass(frozen=True)
class UndoRecord:
    """What an undo did: the log row (now marked undone) and the state restored (None: card is new again)."""

    log: ReviewLogRecord
    restored: CardStateRecord | None


@dataclass(frozen=True)
class LabAttemptRecord:
    """One lab check: counts, duration, device and outcome ("passed", "failed", "error", "timeout"), whether it
    checked the learner's own workspace file (a check of any other file moves nothing), and the lab's round then."""

    id: int
    slug: str
    started_at: datetime
    file_sha256: str
    passed: int
    failed: int
    errors: int
    seconds: float
    device: str
    outcome: str
    own_file: bool = True
    round: int = 0


@dataclass(frozen=True)
class LabEventRecord:
    """Something done on a lab besides a check (trainer.lab_review.EVENT_KINDS), in the lab's round then. `detail`:
    the hint's number, the archived file of a re-solve, the backup of a reset."""

    id: int
    slug: str
    round: int
    at: datetime
    day: date
    kind: str
    detail: str = ""


@dataclass(frozen=True)
class LabStateRecord:
    """A lab's schedule, once its own file has passed: SM-2 state, due learning day, lapses, last graded pass (UTC)."""

    slug: str
    easiness: float
    repetitions: int
    interval: int
    due: date
    lapses: int = 0
    last_review: datetime | None = None

    @property
    def sm2(self) -> SM2State:
        """The SM-2 part of the state."""
        return SM2State(self.easiness, self.repetitions, self.interval)


@dataclass(frozen=True)
class LabReviewRecord:
    """One graded round: the grade its first pass earned, what the grade came from, and the schedule after it."""

    id: int
    slug: str
    round: int
    reviewed_at: datetime
    day: date
    quality: int
    checks: int
    failed: int
    hints: int
    solution_shown: bool
    seconds: float
    after: LabStateRecord


@dataclass(frozen=True)
class LabCheckRecord:
    """What storing a check did: the check, and the graded round when it was its round's first pass of the
    learner's own file (else None)."""

    attempt: LabAttemptRecord
    review: LabReviewRecord | None


@dataclass(frozen=True)
class ReviewHistory:
    """The review log folded for statistics (undone grades left out): grades per learning day, each card's
    first learning day, and the grades of recent days as (card id, day, grade), oldest first."""

    per_day: dict[date, int]
    first_day: dict[int, date]
    recent: list[tuple[int, date, int]]


@dataclass(frozen=True)
class CardFlagRecord:
    """A card held out of the queue: suspended (until released) or buried on a learning day (until the next)."""

    card_id: int
    suspended: bool = False
    buried_on: date | None = None

    def held_on(self, day: date) -> bool:
        """Whether the card stays out of the queue on learning day `day`."""
        return self.suspended or (self.buried_on is not None and self.buried_on >= day)
