"""The Textual app and `make_app`, the one factory the CLI and the tests use."""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from rich.console import RenderableType
from textual import work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from trainer.config import Settings
from trainer.tui.backend import Backend, Clock
from trainer.tui.screens.dashboard import DashboardScreen

if TYPE_CHECKING:
    from trainer.deck import Deck  # YAML: read on the loading thread, not before the first frame


class TrainerApp(App[None]):
    """Dashboard first; the store opens in the background so the first frame is quick."""

    TITLE = "trainer"
    SUB_TITLE = "Transformer interview practice"
    CSS_PATH = "trainer.tcss"
    ENABLE_COMMAND_PALETTE = False  # every action has a key in the footer; the room is better spent on them
    BINDINGS = [
        Binding("question_mark", "help", "help", id="help", tooltip="Show the keys of this screen"),
    ]

    def __init__(self, backend: Backend) -> None:
        super().__init__()
        self.backend = backend
        self.load_error: str | None = None
        self.closing = False

    def on_mount(self) -> None:
        """Show the dashboard, then open the store off the UI thread."""
        self.push_screen(DashboardScreen())
        self.call_after_refresh(self.load_backend)  # after the first frame: the import competes for the GIL

    @work(thread=True, exclusive=True, group="load", name="load backend")
    def load_backend(self) -> None:
        """Import SQLAlchemy and friends on a thread, then open the store on the UI thread."""
        try:
            self.backend.load()
        except Exception as exc:  # a broken install must still show a message
            self.call_from_thread(self._failed, exc)
            return
        self.call_from_thread(self._open_backend)

    def _open_backend(self) -> None:
        try:
            self.backend.open()
        except Exception as exc:  # StoreError and friends carry a message meant for the learner
            self._failed(exc)
            return
        self.data_changed()

    def _failed(self, exc: Exception) -> None:
        self.load_error = str(exc)
        self.notify(self.load_error, title="Cannot open the progress database", severity="error", timeout=30)
        self.data_changed()

    def data_changed(self) -> None:
        """Ask every screen on the stack to redraw its figures."""
        for screen in self.screen_stack:
            refresh = getattr(screen, "refresh_data", None)
            if refresh is not None and screen.is_mounted:  # a screen not yet mounted draws in on_mount
                refresh()

    def open_screen(self, screen: Screen) -> None:
        """Push a screen, unless the store is not open yet or the app is closing (keys typed after `q`)."""
        if self.closing:
            return
        if not self.backend.ready:
            self.notify("Still opening your progress database…", timeout=2)
            return
        self.push_screen(screen)

    def exit(self, result: None = None, return_code: int = 0, message: RenderableType | None = None) -> None:
        """Leave, and ignore screen-opening keys that are still queued."""
        self.closing = True
        super().exit(result, return_code, message)

    def action_help(self) -> None:
        """Show the keys of the current screen."""
        from trainer.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen) and not self.closing:
            self.push_screen(HelpScreen(self.screen))


def make_app(
    deck: Deck | None = None,
    store: Any = None,
    settings: Settings | None = None,
    clock: Clock | None = None,
    tz: tzinfo | None = None,
    theme: str | None = None,
) -> TrainerApp:
    """Build the app; every argument defaults to the real thing (deck from cards/, store in TRAINER_HOME)."""
    app = TrainerApp(Backend(deck=deck, store=store, settings=settings, clock=clock, tz=tz))
    if theme is not None:
        app.theme = theme
    return app
