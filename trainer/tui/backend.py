"""What the screens need from the domain: deck, settings, the review service, stats and labs.

Start-up: the cached deck and a read-only Snapshot of the database (sqlite3 alone) give every figure in
~30 ms, before the first frame; then, on a thread, SQLModel is imported (0.4-0.7 s) and the writable Store
replaces the snapshot. The grader is imported only for a check. Everything is injectable for tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer import figures, lab_review, stats
from trainer.catalog import LAB_SLUGS
from trainer.config import Settings, load_settings
from trainer.srs import learning_day

if TYPE_CHECKING:
    from trainer.deck import Card, Deck, Lang
    from trainer.labs.registry import Lab
    from trainer.review import ReviewService
    from trainer.store.database import Store
    from trainer.store.reads import Reader
    from trainer.store.records import LabCheckRecord, LabStateRecord, ReviewLogRecord

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class CardRow:
    """One line of the browser: a card, its schedule (None fields when new), its lab status, whether it is held."""

    card: Card
    easiness: float | None
    interval: int | None
    due: date | None
    lapses: int
    lab_status: str
    suspended: bool = False
    buried: bool = False
    """Buried for the rest of today."""


@dataclass(frozen=True)
class Opened:
    """A store and today's review service built on it, handed from the loading thread to the UI."""

    store: Reader
    review: ReviewService


class Backend:
    """The app's model. `snapshot()` (quick) and `open()` (slow, on a thread) build `Opened` pairs; the UI thread
    installs each with `use()`. Figures can be drawn once `ready`; grades need `writable`."""

    def __init__(
        self,
        deck: Deck | None = None,
        store: Store | None = None,
        settings: Settings | None = None,
        clock: Clock | None = None,
        tz: tzinfo | None = None,
    ) -> None:
        self.deck: Deck | None = deck
        """None until the loading thread reads the deck (YAML), unless given."""
        self.settings = settings if settings is not None else load_settings()
        self.clock = clock or utc_now
        self.tz = tz
        self.store: Reader | None = None
        self.review: ReviewService | None = None
        self.lang: Lang = "en" if self.settings.language == "en" else "zh"
        self.last_results: dict[str, Any] = {}
        """The latest CheckResult of each lab checked in this session, shown again when its screen reopens."""
        self.offline = False
        """True when the progress database cannot be read at all: the figures are unknown, the cards and labs still
        open (on an empty reader), reviews and statistics do not."""
        self._given_store = store
        self._warm: Any = None
        """The WarmGrader of the lab checks (trainer.labs.warm), once a check has needed it."""

    # -- life cycle

    @property
    def ready(self) -> bool:
        """Whether figures can be drawn (from a snapshot or the store)."""
        return self.review is not None

    @property
    def writable(self) -> bool:
        """Whether the writable store is open (grades and lab attempts can be saved)."""
        return self.store is not None and self.store.writable

    def snapshot(self) -> Opened | None:
        """Read the deck, then the database through sqlite3 alone (an empty view when it does not exist yet);
        None when only the Store can open it (an old schema, a damaged file) or a store was given. Any thread."""
        from trainer.paths import db_path, deck_cache_path

        if self.deck is None:
            from trainer.deck_cache import load_deck_cached

            self.deck = load_deck_cached(deck_cache_path())
        if self._given_store is not None:
            return None
        from trainer.store.reads import Snapshot

        snapshot = Snapshot.open(db_path())
        return None if snapshot is None else Opened(snapshot, self._service(snapshot))

    def open(self) -> Opened:
        """Import SQLModel and open (create, migrate) the store, unless one was given. Any thread (slow)."""
        store = self._given_store
        if store is None:
            from trainer.store.database import open_store

            store = open_store()
        return Opened(store, self._service(store))

    def _service(self, store: Reader) -> ReviewService:
        from trainer.review import ReviewService

        return ReviewService(self.deck.cards, store, self.settings, now=self.clock, tz=self.tz)

    def fall_back(self) -> None:
        """The progress cannot be read (a damaged file, an unwritable home): carry on offline, on an empty reader,
        so that nothing that does not need the database is out of reach. Needs the deck (read by `snapshot`)."""
        from trainer.store.reads import EmptySnapshot

        empty = EmptySnapshot()
        self.offline = True
        self.use(Opened(empty, self._service(empty)))

    def use(self, opened: Opened) -> None:
        """Install a store and its review service (UI thread); a snapshot replaced by the store is closed. Extra new
        cards allowed today carry over to the new service."""
        replaced, previous = self.store, self.review
        self.store, self.review = opened.store, opened.review
        if previous is not None and previous.extra_new is not None and opened.review.extra_new is None:
            opened.review.extra_new = previous.extra_new
            opened.review.refresh()
        if replaced is not None and replaced is not opened.store and not replaced.writable:
            replaced.close()

    # -- figures

    def today(self) -> date:
        """The current learning day."""
        return learning_day(self.clock(), self.settings.rollover_hour, self.tz)

    def toggle_lang(self) -> Lang:
        """Switch the card language between zh and en."""
        self.lang = "en" if self.lang == "zh" else "zh"
        return self.lang

    def save_language(self) -> str | None:
        """Remember the current language in config.toml (its other values kept); the reason when it cannot."""
        from trainer.config import describe_problems, read_settings, save_settings
        from trainer.paths import cannot_write, config_path

        path = config_path()
        settings, problems = read_settings(path)
        if problems:
            return describe_problems(path, problems)
        try:
            save_settings(replace(settings, language=self.lang), path)
        except OSError as exc:
            return cannot_write(exc)
        self.settings = replace(self.settings, language=self.lang)
        return None

    def overview(self) -> stats.Overview:
        """Streaks, heatmap, retention, forecast and labs passed, from the store."""
        return figures.overview(self.store, self.today())

    def figures(self) -> tuple[stats.Overview, stats.Details]:
        """The overview and the details of the stats screen (hardest cards, EF and interval distributions)."""
        return figures.figures(self.store, self.today())

    def lab_progress(self) -> dict[str, lab_review.LabProgress]:
        """Every lab's progress (status, checks, first pass, hints, schedule), by slug."""
        return {p.slug: p for p in figures.lab_progress(self.store, self.today())}

    def card_rows(self) -> list[CardRow]:
        """Every card with its schedule, lab status and flags, for the browser."""
        today = self.today()
        flags = {f.card_id: f for f in self.store.card_flags()}
        states = {s.card_id: s for s in self.store.card_states()}
        progress = self.lab_progress()
        rows = []
        for card in self.deck.cards:
            state = states.get(card.id)
            flag = flags.get(card.id)
            lab = progress.get(card.lab)
            if lab is not None and lab.due_now:
                status = "due"
            elif lab is not None and lab.status == "passed":
                status = "passed"
            elif lab is not None and lab.touched:
                status = "tried"
            else:
                status = "to do" if self.lab_available(card.lab) else "n/a"
            rows.append(
                CardRow(
                    card=card,
                    easiness=state.easiness if state else None,
                    interval=state.interval if state else None,
                    due=state.due if state else None,
                    lapses=state.lapses if state else 0,
                    lab_status=status,
                    suspended=flag is not None and flag.suspended,
                    buried=flag is not None and flag.buried_on is not None and flag.buried_on >= today,
                )
            )
        return rows

    # -- actions on cards (the caller waits until `writable`)

    def set_suspended(self, card_id: int, suspended: bool) -> None:
        """Suspend a card (it leaves every queue) or release it; today's queue follows."""
        self._writer().set_suspended(card_id, suspended)
        self.review.refresh()

    def set_buried(self, card_id: int, buried: bool) -> None:
        """Bury a card for the rest of today (it comes back tomorrow) or unbury it; today's queue follows."""
        self._writer().set_buried(card_id, self.today() if buried else None)
        self.review.refresh()

    def study_more_new(self, count: int) -> int:
        """Allow `count` more new cards today; how many joined the queue (fewer when the deck runs out)."""
        return self.review.study_more_new(count)

    def card_history(self, card_id: int) -> list[ReviewLogRecord]:
        """Every grade of one card (undone ones left out), oldest first."""
        return self.store.review_logs(card_id=card_id)

    def _writer(self) -> Store:
        if not self.writable:
            raise RuntimeError("the progress database is still opening: nothing can be saved yet")
        return self.store  # type: ignore[return-value] - the one writable Reader is the Store

    # -- labs

    @staticmethod
    def lab_slugs() -> tuple[str, ...]:
        """The twenty lab slugs, in card order."""
        return LAB_SLUGS

    def lab_available(self, slug: str) -> bool:
        """Whether the lab has been written yet (its folder has a lab.toml)."""
        from trainer.labs.registry import labs_root

        return (labs_root() / slug / "lab.toml").is_file()

    def find_lab(self, slug: str) -> Lab | None:
        """The lab, or None while it is not yet available."""
        from trainer.labs.registry import LabError, find_lab

        try:
            return find_lab(slug)
        except LabError:
            return None

    @staticmethod
    def workspace_file(slug: str) -> Path:
        """The learner's file for the lab."""
        from trainer.labs.workspace import workspace_file

        return workspace_file(slug)

    def start_lab(self, slug: str) -> tuple[Path, bool]:
        """Copy the starter into the workspace unless already there: (path, created)."""
        from trainer.labs.workspace import start

        return start(self._lab(slug))

    def reset_lab(self, slug: str) -> tuple[Path, Path | None]:
        """A fresh starter in the workspace: (its path, the backup of a changed file or None)."""
        from trainer.labs.workspace import reset

        return reset(self._lab(slug))

    def lab_state(self, slug: str) -> LabStateRecord | None:
        """The lab's schedule, or None while its own file has never passed."""
        return self.store.lab_state(slug) if self.store is not None else None

    def resolve_due(self, slug: str) -> LabStateRecord | None:
        """The lab's schedule when a re-solve from a fresh starter is due now, else None."""
        from trainer.labs.workspace import resolve_offer

        return resolve_offer(slug, self.store, self.today()) if self.store is not None else None

    def resolve_lab(self, slug: str) -> tuple[Path, Path | None]:
        """Start a due lab again: a fresh starter, the earlier file archived, the hints hidden, a new round logged
        (the caller waits until `writable`): (the new file, the archived one or None)."""
        from trainer.labs.workspace import resolve

        path, kept = resolve(self._lab(slug))
        self.log_lab_event(slug, lab_review.RESOLVE, str(kept or ""))
        return path, kept

    def log_lab_event(self, slug: str, kind: str, detail: str = "") -> None:
        """Log a start, hint, solution, reset or re-solve of a lab (the caller waits until `writable`)."""
        from trainer.labs.workspace import log_event

        log_event(slug, kind, detail, store=self._writer(), day=self.today())

    @staticmethod
    def hints_shown(slug: str) -> int:
        """How many of the lab's hints the learner has revealed (remembered across runs)."""
        from trainer.labs.workspace import hints_shown

        return hints_shown(slug)

    def last_attempt(self, slug: str) -> Any:
        """The lab's latest stored check (a LabAttemptRecord, its `own_file` says whose), or None."""
        attempts = self.store.lab_attempts(slug) if self.store is not None else []
        return attempts[-1] if attempts else None

    @staticmethod
    def file_sha256(path: Path) -> str:
        """Hex SHA-256 of a file (empty when it cannot be read), to tell whether results belong to it."""
        import hashlib

        try:
            return hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return ""

    @staticmethod
    def next_hint(lab: Lab) -> int:
        """Reveal one more hint (remembered across runs); how many are now shown."""
        from trainer.labs.workspace import next_hint

        return next_hint(lab)[0]

    def _lab(self, slug: str) -> Lab:
        lab = self.find_lab(slug)
        if lab is None:
            raise LookupError(f"lab {slug!r} is not yet available")
        return lab

    def stream_check(self, slug: str, file: Path) -> AsyncIterator[Any]:
        """The grader's live events, then its CheckResult (the check's process dies with the iterator). Checks run
        in the warm grader, started by the first one, kept until `close_grader`."""
        from trainer.labs.grader import stream_check
        from trainer.labs.warm import WarmGrader

        if self._warm is None:
            self._warm = WarmGrader()
        return stream_check(slug, file, self.settings.lab_device, warm=self._warm)

    def close_grader(self) -> None:
        """Stop the warm grader's process, if one was started."""
        if self._warm is not None:
            self._warm.close()
            self._warm = None

    def record_attempt(self, result: Any) -> LabCheckRecord:
        """Store a CheckResult as a lab attempt (the caller waits until `writable`): the check, and the graded round
        when it was the round's first pass of the own file."""
        if not self.writable:
            raise RuntimeError("the progress database is still opening: the attempt cannot be saved yet")
        from trainer.labs.workspace import record_attempt

        return record_attempt(result, self.store, self.today())

    def card_for_lab(self, slug: str) -> Card | None:
        """The card that links to `slug`."""
        return next((c for c in self.deck.cards if c.lab == slug), None)
