"""The Textual app and `make_app`, the one factory the CLI and the tests use."""

from __future__ import annotations

import asyncio
from datetime import tzinfo
from typing import TYPE_CHECKING

from rich.console import RenderableType
from textual import work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from trainer import cjk
from trainer.config import Settings
from trainer.tui.backend import Backend, Clock, Opened
from trainer.tui.screens.dashboard import DashboardScreen

if TYPE_CHECKING:
    from trainer.deck import Card, Deck  # YAML: read on the loading thread, not before the first frame
    from trainer.store.database import Store


class TrainerApp(App[None]):
    """Dashboard first; the progress database opens in the background so the first frame is quick."""

    TITLE = "trainer"
    SUB_TITLE = "Transformer interview practice"
    CSS_PATH = "trainer.tcss"
    ENABLE_COMMAND_PALETTE = False  # every action has a key in the footer; the room is better spent on them
    BINDINGS = [
        Binding("question_mark", "help", "help", id="help", tooltip="Show the keys of this screen"),
        Binding("q", "quit", "quit", show=False, id="quit", tooltip="Leave the trainer (from any screen)"),
    ]

    def __init__(self, backend: Backend, first: str | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.first = first
        """A screen to open over the dashboard at start ("review"), once the progress can be read."""
        self.load_error: str | None = None
        self.closing = False
        self._store_settled = asyncio.Event()
        """Set once opening the store has ended, opened or failed."""
        self._waiting: Screen | None = None

    def on_mount(self) -> None:
        """Read a snapshot of the progress (cached deck and plain sqlite3: ~30 ms) so that the first frame already
        shows the figures, then open the writable store on a thread (importing SQLAlchemy takes 0.4-0.7 s)."""
        try:
            first = self.backend.snapshot()
        except Exception as exc:  # a broken install must still show a message
            self.push_screen(DashboardScreen())
            self._failed(exc)
            return
        if first is not None:
            self.backend.use(first)
        self.push_screen(DashboardScreen())
        if self.first == "review":
            from trainer.tui.screens.review import ReviewScreen

            self.open_screen(ReviewScreen())
        self.call_after_refresh(self.open_store)  # after the first frame, which the import would slow down

    @work(thread=True, exclusive=True, group="load", name="open store")
    def open_store(self) -> None:
        """Import SQLModel and open the store off the UI thread, then hand it over."""
        try:
            opened = self.backend.open()
        except Exception as exc:  # StoreError and friends carry a message meant for the learner
            self.call_from_thread(self._failed, exc)
            return
        self.call_from_thread(self._use, opened)

    def _use(self, opened: Opened) -> None:
        self.backend.use(opened)
        self._store_settled.set()
        self.data_changed()
        if self._waiting is not None:
            screen, self._waiting = self._waiting, None
            self.push_screen(screen)

    def _failed(self, exc: Exception) -> None:
        self.load_error = str(exc)
        self._store_settled.set()
        self.notify(self.load_error, title="Cannot open the progress database", severity="error", timeout=30)
        if not self.backend.ready and self.backend.deck is not None:
            self.backend.fall_back()
        waiting, self._waiting = self._waiting, None
        self.data_changed()
        if waiting is not None and self.backend.ready:
            self.open_screen(waiting)

    def data_changed(self) -> None:
        """Ask every screen on the stack to redraw its figures."""
        for screen in self.screen_stack:
            refresh = getattr(screen, "refresh_data", None)
            if refresh is not None and screen.is_mounted:  # a screen not yet mounted draws when first shown
                refresh()

    def open_screen(self, screen: Screen) -> None:
        """Push a screen; one asked for before any progress could be read (a first start) opens as soon as it
        can. Keys typed after `q` are ignored. Offline (no database), a screen that shows progress only (its
        class sets NEEDS_PROGRESS) is refused with the reason."""
        if self.closing:
            return
        if self.backend.offline and getattr(screen, "NEEDS_PROGRESS", False):
            self.notify(f"{self.load_error}", title="This needs the progress database", severity="error")
            return
        if self.backend.ready:
            self.push_screen(screen)
        elif self.load_error:
            self.notify(self.load_error, title="Cannot open the progress database", severity="error")
        else:
            self._waiting = screen
            self.notify("Opening your progress database…", timeout=2)

    # -- navigation: screens never import one another; each asks the app for the next one (imported here, when
    # first opened, so the start-up path loads the dashboard alone)

    def open_review(self) -> None:
        """Open today's review."""
        from trainer.tui.screens.review import ReviewScreen

        self.open_screen(ReviewScreen())

    def open_browser(self) -> None:
        """Open the card browser."""
        from trainer.tui.screens.browser import BrowserScreen

        self.open_screen(BrowserScreen())

    def open_card(self, card: Card) -> None:
        """Open one card, question and answer."""
        from trainer.tui.screens.card import CardScreen

        self.open_screen(CardScreen(card))

    def open_history(self, card: Card) -> None:
        """Open one card's history: every grade with its day, interval and EF."""
        from trainer.tui.screens.history import HistoryScreen

        self.open_screen(HistoryScreen(card))

    def open_labs(self) -> None:
        """Open the lab list."""
        from trainer.tui.screens.labs import LabsScreen

        self.open_screen(LabsScreen())

    def open_lab(self, slug: str) -> None:
        """Open one lab."""
        from trainer.tui.screens.lab import LabScreen

        self.open_screen(LabScreen(slug))

    def open_stats(self) -> None:
        """Open the statistics."""
        from trainer.tui.screens.stats import StatsScreen

        self.open_screen(StatsScreen())

    def ask_more_new(self) -> None:
        """Ask how many more new cards to study today, then add them to today's queue."""
        from trainer.tui.dialogs.more_new import MoreNewDialog

        if self.closing:
            return
        if not self.backend.ready:
            self.notify("Opening your progress database…", timeout=2)
            return
        self.push_screen(MoreNewDialog(self.backend.settings.new_per_day or 5), self._study_more_new)

    def _study_more_new(self, count: int | None) -> None:
        if not count:
            return
        added = self.backend.study_more_new(count)
        if added:
            self.notify(f"{added} more new card(s) in today's review.", timeout=3)
        else:
            self.notify("No new card is left: every card has been seen.", timeout=3)
        self.data_changed()

    async def wait_for_store(self) -> bool:
        """Wait until the writable store is open (it opens within a second of the start); False, with the
        reason shown, when it cannot open. Grades, undos and lab attempts call this before writing."""
        await self._store_settled.wait()
        if not self.backend.writable:
            self.notify(self.load_error or "The progress database is not open.", severity="error")
        return self.backend.writable

    def on_unmount(self) -> None:
        """The app ends: stop the warm grader's process (it would also end by itself with this process)."""
        self.backend.close_grader()

    def exit(self, result: None = None, return_code: int = 0, message: RenderableType | None = None) -> None:
        """Leave, and ignore screen-opening keys that are still queued."""
        self.closing = True
        super().exit(result, return_code, message)

    def switch_language(self) -> str:
        """Switch zh/en for every screen and remember it for the next start (a warning when it cannot be saved)."""
        lang = self.backend.toggle_lang()
        problem = self.backend.save_language()
        if problem:
            self.notify(problem, title="The language is switched, but not remembered", severity="warning", timeout=8)
        return lang

    def action_help(self) -> None:
        """Show the keys of the current screen."""
        from trainer.tui.dialogs.help import HelpScreen

        if not isinstance(self.screen, HelpScreen) and not self.closing:
            self.push_screen(HelpScreen(self.screen))


def make_app(
    deck: Deck | None = None,
    store: Store | None = None,
    settings: Settings | None = None,
    clock: Clock | None = None,
    tz: tzinfo | None = None,
    theme: str | None = None,
    first: str | None = None,
) -> TrainerApp:
    """Build the app; every argument defaults to the real thing (deck from cards/, store in TRAINER_HOME).
    `first="review"` opens today's review over the dashboard. ConfigError when config.toml is bad."""
    cjk.install()  # Chinese answers wrap between characters, not only at the spaces around Latin words
    app = TrainerApp(Backend(deck=deck, store=store, settings=settings, clock=clock, tz=tz), first)
    if theme is not None:
        app.theme = theme
    return app
