"""SM-2 scheduling, the learning day, today's queue and the same-day session model (pure)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone, tzinfo

MIN_EF_CENTI = 130
START_EF_CENTI = 250
PASS_QUALITY = 3
"""A grade at or above this keeps the repetition count going (SM-2)."""
RELEARN_BELOW = 4
"""A grade below this brings the card back later in the same session."""


def validate_quality(quality: object) -> int:
    """Return `quality` if it is an int in 0..5, else raise ValueError with a clear message."""
    if isinstance(quality, bool) or not isinstance(quality, int) or not 0 <= quality <= 5:
        raise ValueError(f"a grade is a whole number from 0 to 5, got {quality!r}")
    return quality


def parse_quality(text: str) -> int:
    """Parse a typed grade ('0'..'5'); raise ValueError with a clear message otherwise."""
    stripped = text.strip()
    if len(stripped) != 1 or stripped not in "012345":
        raise ValueError(f"a grade is one digit from 0 to 5, got {text.strip()!r}")
    return int(stripped)


@dataclass(frozen=True)
class SM2State:
    """One card's SM-2 state. `easiness` is kept to exact hundredths (no float drift)."""

    easiness: float = 2.5
    repetitions: int = 0
    interval: int = 0

    def __post_init__(self) -> None:
        centi = round(self.easiness * 100)
        if centi < MIN_EF_CENTI:
            raise ValueError(f"easiness must be at least 1.3, got {self.easiness!r}")
        if self.repetitions < 0 or self.interval < 0:
            raise ValueError("repetitions and interval must not be negative")
        object.__setattr__(self, "easiness", centi / 100)

    @property
    def ef_centi(self) -> int:
        """The easiness factor in integer hundredths (2.5 -> 250)."""
        return round(self.easiness * 100)

    @classmethod
    def from_centi(cls, ef_centi: int, repetitions: int = 0, interval: int = 0) -> SM2State:
        """Build a state from an easiness in hundredths."""
        return cls(ef_centi / 100, repetitions, interval)


def sm2_step(state: SM2State, quality: int) -> SM2State:
    """Apply one SM-2 grade (Wozniak 1990): the interval uses the EF from before the grade, rounded up."""
    q = validate_quality(quality)
    ef = state.ef_centi
    if q < PASS_QUALITY:
        return SM2State.from_centi(ef, repetitions=0, interval=1)
    if state.repetitions == 0:
        interval = 1
    elif state.repetitions == 1:
        interval = 6
    else:
        interval = -(-(state.interval * ef) // 100)  # ceil(I * EF) in exact integers
    d = 5 - q
    new_ef = max(MIN_EF_CENTI, ef + 10 - d * (8 + d * 2))
    return SM2State.from_centi(new_ef, repetitions=state.repetitions + 1, interval=interval)


def missed_twice_running(before: SM2State | None, quality: int) -> bool:
    """Whether a schedule-moving grade below 3 follows another one: a card's state has no repetitions only after
    such a grade (a new card has no state)."""
    return before is not None and before.repetitions == 0 and validate_quality(quality) < PASS_QUALITY


def learning_day(now_utc: datetime, rollover_hour: int = 4, tz: tzinfo | None = None) -> date:
    """The learning day `now_utc` belongs to: local calendar date, turning over at `rollover_hour`.

    A naive `now_utc` is taken as UTC; `tz=None` means the machine's local time zone.
    """
    if not 0 <= rollover_hour <= 23:
        raise ValueError(f"rollover_hour must be 0..23, got {rollover_hour!r}")
    if now_utc.tzinfo is None:
        now_utc = now_utc.replace(tzinfo=timezone.utc)
    local = now_utc.astimezone(tz) if tz is not None else now_utc.astimezone()
    day = local.date()
    return day - timedelta(days=1) if local.hour < rollover_hour else day


def due_date(day: date, state: SM2State) -> date:
    """The learning day on which a card graded on `day` with resulting `state` is due again."""
    return day + timedelta(days=max(1, state.interval))


@dataclass(frozen=True)
class TodayQueue:
    """Today's queue: due cards (most overdue first), then new cards up to the daily limit."""

    due: tuple[int, ...]
    new: tuple[int, ...]

    @property
    def order(self) -> tuple[int, ...]:
        """All card ids in review order."""
        return self.due + self.new


def build_queue(
    deck_ids: Collection[int],
    due_on: Mapping[int, date],
    today: date,
    new_limit: int,
    known: Collection[int] | None = None,
    unseen: Sequence[int] | None = None,
) -> TodayQueue:
    """Build today's queue: due cards most overdue first (ties by id), then new cards in deck order.

    `deck_ids`: the deck's card ids (in deck order, unless `unseen` is given). `due_on`: card id ->
    due day for reviewed cards (it may hold only those due by `today`). New cards are `unseen`
    (deck cards without a state, in deck order) when given, else the deck cards outside `known`
    (default: the keys of `due_on`). `new_limit`: how many new cards may still be introduced today.
    Cards that are not in the deck are ignored.
    """
    in_deck = deck_ids if isinstance(deck_ids, (set, frozenset)) else set(deck_ids)
    due = sorted((d, cid) for cid, d in due_on.items() if d <= today and cid in in_deck)
    if unseen is None:
        seen = due_on.keys() if known is None else known
        unseen = [cid for cid in deck_ids if cid not in seen]
    new = [cid for cid in unseen if cid in in_deck][: max(0, new_limit)]
    return TodayQueue(due=tuple(cid for _, cid in due), new=tuple(new))


@dataclass(frozen=True)
class Session:
    """The same-day session model: what is next, which cards repeat, which grade is the day's first.

    Immutable: each method returns a new Session, so undo can keep the previous one.
    """

    pending: tuple[int, ...] = ()
    graded_today: frozenset[int] = field(default_factory=frozenset)
    done: int = 0
    repeats: int = 0

    @classmethod
    def start(
        cls,
        queue: TodayQueue,
        graded_today: Iterable[int] = (),
        relearning: Sequence[int] = (),
    ) -> Session:
        """A session for today: the queue, then cards whose last grade today was below 4."""
        graded = frozenset(graded_today)
        order = list(queue.order)
        seen = set(order)
        order += [cid for cid in relearning if cid not in seen]
        return cls(pending=tuple(order), graded_today=graded | frozenset(relearning))

    @property
    def current(self) -> int | None:
        """The card to show now, or None when the session is over."""
        return self.pending[0] if self.pending else None

    @property
    def remaining(self) -> int:
        """How many showings are left (a card that repeats counts again when it comes back)."""
        return len(self.pending)

    def is_first_today(self, card_id: int) -> bool:
        """Whether a grade for `card_id` now would be its first of the day (it changes the schedule)."""
        return card_id not in self.graded_today

    def after_grade(self, card_id: int, quality: int) -> Session:
        """The session after grading `card_id`: below 4 it goes to the back of the queue."""
        q = validate_quality(quality)
        rest = [cid for cid in self.pending if cid != card_id]
        if q < RELEARN_BELOW:
            rest.append(card_id)
        first = self.is_first_today(card_id)
        return replace(
            self,
            pending=tuple(rest),
            graded_today=self.graded_today | {card_id},
            done=self.done + 1,
            repeats=self.repeats + (0 if first else 1),
        )

    def with_front(self, card_id: int) -> Session:
        """The session with `card_id` shown next, if it is pending (used after an undo)."""
        if card_id not in self.pending:
            return self
        rest = tuple(cid for cid in self.pending if cid != card_id)
        return replace(self, pending=(card_id, *rest))
