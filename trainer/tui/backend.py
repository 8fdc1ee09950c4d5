"""What the screens need from the domain: deck, settings, the review service, stats and labs.

The store (SQLModel) and the grader are imported lazily, off the UI thread, so the first frame
comes before the database is open. Everything is injectable for tests.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer import stats
from trainer.catalog import LAB_SLUGS
from trainer.config import Settings, load_settings
from trainer.srs import learning_day

if TYPE_CHECKING:
    from trainer.deck import Card, Deck, Lang
    from trainer.labs.registry import Lab

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class CardRow:
    """One line of the browser: a card, its schedule (None fields when new) and its lab status."""

    card: Card
    easiness: float | None
    interval: int | None
    due: date | None
    lapses: int
    lab_status: str


class Backend:
    """The app's model. `load()` (any thread) reads the deck and imports the heavy modules; `open()` (UI thread)
    opens the store. Screens other than the dashboard are only shown once `ready`."""

    def __init__(
        self,
        deck: Deck | None = None,
        store: Any = None,
        settings: Settings | None = None,
        clock: Clock | None = None,
        tz: tzinfo | None = None,
    ) -> None:
        self.deck: Deck | None = deck
        """None until `load()` reads the deck (YAML), unless given."""
        self.settings = settings if settings is not None else load_settings()
        self.clock = clock or utc_now
        self.tz = tz
        self.store = store
        self.review: Any = None
        self.lang: Lang = "en" if self.settings.language == "en" else "zh"
        self.lab_device = "cpu"

    # -- life cycle

    @property
    def ready(self) -> bool:
        """Whether the store and the review service are open."""
        return self.review is not None

    def load(self) -> None:
        """Read the deck and import the store and review modules (slow: YAML, SQLAlchemy); safe on a worker thread."""
        if self.deck is None:
            from trainer.deck import load_deck

            self.deck = load_deck()
        importlib.import_module("trainer.review")

    def open(self) -> None:
        """Open the store (unless injected) and build today's review service."""
        from trainer.review import ReviewService

        if self.store is None:
            from trainer.store.database import open_store

            self.store = open_store()
        self.review = ReviewService(self.deck.cards, self.store, self.settings, now=self.clock, tz=self.tz)

    # -- figures

    def today(self) -> date:
        """The current learning day."""
        return learning_day(self.clock(), self.settings.rollover_hour, self.tz)

    def toggle_lang(self) -> Lang:
        """Switch the card language between zh and en."""
        self.lang = "en" if self.lang == "zh" else "zh"
        return self.lang

    def overview(self) -> stats.Overview:
        """Streaks, heatmap, retention, forecast and labs passed, from the store."""
        points = stats.points_from_logs(self.store.review_logs(), self.settings.rollover_hour, self.tz)
        due_dates = [s.due for s in self.store.card_states()]
        return stats.overview(points, due_dates, self.passed_labs(), self.today())

    def passed_labs(self) -> frozenset[str]:
        """Slugs of the labs passed at least once."""
        return stats.labs_passed(self.store.lab_attempts())

    def card_rows(self) -> list[CardRow]:
        """Every card with its schedule and lab status, for the browser."""
        states = {s.card_id: s for s in self.store.card_states()}
        attempts = self.store.lab_attempts()
        passed = stats.labs_passed(attempts)
        tried = {a.slug for a in attempts}
        rows = []
        for card in self.deck.cards:
            state = states.get(card.id)
            if card.lab in passed:
                status = "passed"
            elif card.lab in tried:
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
                )
            )
        return rows

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

    def reset_lab(self, slug: str) -> Path:
        """A fresh starter in the workspace (the old file is backed up by the grader module)."""
        from trainer.labs.workspace import reset

        return reset(self._lab(slug))[0]

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
        """The grader's live events, then its CheckResult (the subprocess dies with the iterator)."""
        from trainer.labs.grader import stream_check

        return stream_check(slug, file, self.lab_device)

    def record_attempt(self, result: Any) -> None:
        """Store a CheckResult as a lab attempt."""
        from trainer.labs.workspace import record_attempt

        record_attempt(result, self.store)

    def card_for_lab(self, slug: str) -> Card | None:
        """The card that links to `slug`."""
        return next((c for c in self.deck.cards if c.lab == slug), None)
