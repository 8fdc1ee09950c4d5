"""The review session shared by `trainer review --plain` and the TUI (no SQL, no UI)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from trainer.config import Settings
from trainer.srs import RELEARN_BELOW, Session, build_queue, learning_day, missed_twice_running, validate_quality
from trainer.store.records import CardStateRecord, ReviewLogRecord

if TYPE_CHECKING:  # SQLAlchemy: the TUI builds a first service on a Snapshot before loading it
    from trainer.store.database import Store
    from trainer.store.reads import Reader


class HasId(Protocol):
    """Anything with an integer card id (deck.Card, or a test fixture)."""

    @property
    def id(self) -> int: ...


C = TypeVar("C", bound=HasId)


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class GradeResult(Generic[C]):
    """What one grade changed: the committed log row (with states before and after) and what comes next."""

    card: C
    log: ReviewLogRecord
    requeued: bool
    """True when the card comes back later today (graded below 4)."""

    @property
    def first_of_day(self) -> bool:
        """Whether this grade changed the schedule."""
        return not self.log.is_repeat

    @property
    def after(self) -> CardStateRecord:
        """The card's state after the grade."""
        return self.log.after

    @property
    def missed_twice(self) -> bool:
        """Whether this grade and the card's previous schedule-moving one were both below 3: time for its lab."""
        before = self.log.before.sm2 if self.log.before is not None else None
        return not self.log.is_repeat and missed_twice_running(before, self.log.quality)


@dataclass(frozen=True)
class UndoResult(Generic[C]):
    """What an undo did: the log row now marked undone, the restored state (None: new again), the card."""

    log: ReviewLogRecord
    restored: CardStateRecord | None
    card: C | None
    """The card, when it is in the deck (it is shown next)."""


@dataclass(frozen=True)
class ReviewSummary:
    """Counts for today: due and new in the queue at the start, repeats still pending, grades done."""

    day: date
    due: int
    new: int
    repeats: int
    done: int
    remaining: int


class ReviewService(Generic[C]):
    """Today's review over a deck and a store: what to show next, grade, undo.

    Each grade or undo is one committed transaction; the session is rebuilt from the database
    when the learning day changes, so two processes (TUI and plain CLI) stay consistent. Built on a
    read-only Snapshot it answers every question about today, but grade and undo raise.
    """

    def __init__(
        self,
        cards: Sequence[C],
        store: Reader,
        settings: Settings | None = None,
        now: Callable[[], datetime] = utc_now,
        tz: tzinfo | None = None,
    ) -> None:
        self._cards = {card.id: card for card in cards}
        self._order = [card.id for card in cards]
        self._deck = frozenset(self._order)
        self.store = store
        self.settings = settings or Settings()
        self._now = now
        self._tz = tz
        self.extra_new: tuple[date, int] | None = None
        """(learning day, count): new cards allowed that day beyond `new_per_day` (see `study_more_new`)."""
        self.refresh()

    # -- state

    def today(self) -> date:
        """The current learning day (rollover hour from the settings)."""
        return learning_day(self._now(), self.settings.rollover_hour, self._tz)

    def refresh(self) -> None:
        """Rebuild today's queue and session from the database."""
        day = self.today()
        logs = self.store.review_logs(day=day)
        introduced = {log.card_id for log in logs if log.before is None and not log.is_repeat}
        last_quality: dict[int, int] = {}
        for log in logs:
            last_quality[log.card_id] = log.quality
        held = self.store.held_card_ids(day)
        relearning = [
            cid for cid, q in last_quality.items() if q < RELEARN_BELOW and cid in self._cards and cid not in held
        ]
        due_on = dict(self.store.due_cards(day))
        new_limit = max(0, self.settings.new_per_day + self._extra_on(day) - len(introduced))
        unseen = self.store.new_card_ids(self._order, new_limit, day) if new_limit else []
        queue = build_queue(self._deck, due_on, day, new_limit, unseen=unseen)
        self._queue = queue
        self._session = Session.start(queue, graded_today=last_quality, relearning=relearning)
        self._day = day
        self._done_today = len(logs)

    def _extra_on(self, day: date) -> int:
        """New cards allowed on `day` beyond `new_per_day`."""
        return self.extra_new[1] if self.extra_new is not None and self.extra_new[0] == day else 0

    def study_more_new(self, count: int) -> int:
        """Allow `count` more new cards today beyond `new_per_day` (until the learning day ends); returns how many
        joined the queue, fewer when the deck runs out of new cards."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"the number of extra new cards is a whole number of at least 1, got {count!r}")
        self.refresh()  # the queue's new cards, less those already graded
        before = len(self._queue.new)
        self.extra_new = (self._day, self._extra_on(self._day) + count)
        self.refresh()
        return len(self._queue.new) - before

    def _check_day(self) -> None:
        if self.today() != self._day:
            self.refresh()

    def current(self) -> C | None:
        """The card to show now, or None when today's review is done."""
        self._check_day()
        cid = self._session.current
        return None if cid is None else self._cards[cid]

    def upcoming(self) -> C | None:
        """The card after the current one in today's queue: it becomes current once the current card is graded,
        whatever the grade (a card graded below 4 goes to the back). None when fewer than two showings are left.

        A prediction for preparing the next card ahead: an undo or a new learning day changes the queue.
        """
        pending = self._session.pending
        return self._cards[pending[1]] if len(pending) > 1 else None

    def is_first_today(self, card_id: int) -> bool:
        """Whether a grade for `card_id` now would change its schedule."""
        return self._session.is_first_today(card_id)

    @property
    def remaining(self) -> int:
        """Showings left today (a card graded below 4 counts again)."""
        return self._session.remaining

    @property
    def done_today(self) -> int:
        """Grades logged today (not undone), in this process and others seen at the last refresh."""
        return self._done_today

    def queue_rows(self) -> list[tuple[int, C, CardStateRecord | None]]:
        """The cards still to show today, in order, with their current state (None: new)."""
        pending = self._session.pending
        states = {state.card_id: state for state in self.store.card_states(pending)}
        return [(cid, self._cards[cid], states.get(cid)) for cid in pending]

    def summary(self) -> ReviewSummary:
        """Today's counts."""
        pending = set(self._session.pending)
        repeats = len(pending - set(self._queue.order))
        return ReviewSummary(
            day=self._day,
            due=len(self._queue.due),
            new=len(self._queue.new),
            repeats=repeats,
            done=self._done_today,
            remaining=self.remaining,
        )

    # -- actions

    def grade(self, quality: int, seconds: float = 0.0) -> GradeResult[C]:
        """Grade the current card (one committed transaction). ValueError for a bad grade, nothing written."""
        q = validate_quality(quality)
        card = self.current()
        if card is None:
            raise LookupError("nothing to grade: today's review is done")
        log = self._writer().record_grade(card.id, q, at=self._now(), day=self._day, seconds=seconds)
        self._session = self._session.after_grade(card.id, q)
        self._done_today += 1
        return GradeResult(card=card, log=log, requeued=q < RELEARN_BELOW)

    def undo(self) -> UndoResult[C] | None:
        """Undo the latest grade in the database (repeatable); its card is shown next. None if nothing to undo."""
        undone = self._writer().undo_last()
        if undone is None:
            return None
        self.refresh()
        card = self._cards.get(undone.log.card_id)
        if card is not None and undone.log.day == self._day:
            self._session = self._session.with_front(card.id)
        return UndoResult(log=undone.log, restored=undone.restored, card=card)

    def _writer(self) -> Store:
        """The store, unless it is a read-only Snapshot."""
        if not self.store.writable:
            raise RuntimeError("the progress database is still opening: nothing can be saved yet")
        return self.store  # type: ignore[return-value] - the one writable Reader is the Store
