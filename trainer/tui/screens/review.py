"""Today's review: the question, the answer on `space`, a grade from 0 to 5, undo, the card's lab."""

from __future__ import annotations

import asyncio
import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Markdown, Rule, Static

from trainer.deck import Card
from trainer.tui.labels import HEADINGS
from trainer.tui.widgets.grade_bar import GRADES, GradeBar
from trainer.tui.widgets.title_bar import TitleBar

CARD_ACTIONS = ("reveal", "grade", "open_lab", "toggle_lang")
"""What needs a card on screen: hidden from the footer once nothing is left to review."""


class ReviewScreen(Screen[None]):
    """One card at a time; a grade commits at once and the next card appears."""

    NEEDS_PROGRESS = True
    """Offline (no database) it is refused: it shows and changes progress only."""
    CSS_PATH = "review.tcss"
    BINDINGS = [
        Binding("space", "reveal", "show answer", id="review.reveal", tooltip="Show the answer"),
        *(
            Binding(str(q), f"grade({q})", "grade 0-5" if q == 0 else f"grade {q}", show=q == 0, id=f"review.grade{q}",
                    tooltip=f"Grade {q}: {meaning}")
            for q, meaning, _ in GRADES
        ),
        Binding("u", "undo", "undo", id="review.undo", tooltip="Undo the last grade"),
        Binding("n", "more_new", "more new", id="review.more_new", tooltip="Study more new cards today"),
        Binding("o", "open_lab", "lab", id="review.lab", tooltip="Open this card's coding lab"),
        Binding("z", "toggle_lang", "zh/en", id="review.lang", tooltip="Switch the card language"),
        Binding("l", "labs", "labs", show=False, id="review.labs", tooltip="The lab list"),
        Binding("escape", "back", "back", id="review.back", tooltip="Back to the dashboard"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.card: Card | None = None
        self.revealed = False
        self.shown_at = time.monotonic()
        self.answer_built = asyncio.Event()
        """Set once the background work of the current card is done: its (hidden) answer rendered, the next
        card's question prepared."""
        self.question = Markdown(classes="question")
        """The question shown; the other Markdown, hidden, holds the question of the card expected next."""
        self._spare = Markdown(classes="question")
        self._spare.display = False
        self._spare_key: tuple[int, str] | None = None
        """(card id, language) of the question fully rendered in the spare, None while it is (re)built."""

    def compose(self) -> ComposeResult:
        """Status line, card, grade bar; an empty-queue panel in place of the card when done."""
        yield TitleBar()
        yield Static(id="status")
        with VerticalScroll(id="card"):
            yield Static(id="card-title")
            yield Rule(id="q-rule")
            yield self.question
            yield self._spare
            yield Static(id="a-heading", classes="section-title")
            yield Markdown(id="answer")
        with Vertical(id="empty"):
            yield Static("Nothing left to review today. Well done!", id="empty-message")
            yield Static("Come back tomorrow, study more new cards (n), or practise with a coding lab.", classes="muted")
            yield Button("Open the labs (l)", id="open-labs", variant="primary")
        yield Static("press [b]space[/b] to show the answer", id="reveal-hint", classes="muted")
        yield GradeBar(id="grades")
        yield Footer()

    async def on_mount(self) -> None:
        """Show the first card."""
        await self.show_current()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer offers what works now: the card's keys only while there is a card."""
        return self.card is not None or action not in CARD_ACTIONS

    async def show_current(self) -> None:
        """Draw the current card (question only), or the empty panel."""
        backend = self.app.backend
        self.card = backend.review.current()
        self.revealed = False
        self.shown_at = time.monotonic()
        self.answer_built.clear()
        empty = self.card is None
        self._show(empty=empty, revealed=False)
        self.refresh_bindings()
        self._update_status()
        if self.card is None:
            self.query_one("#open-labs", Button).focus()
            return
        lang = backend.lang
        self.query_one("#card-title", Static).update(f"[b]{self.card.id}. {self.card.title(lang)}[/b]")
        self.query_one("#a-heading", Static).update(HEADINGS[lang][1])
        self.query_one("#card", VerticalScroll).scroll_home(animate=False)
        if self._spare_key == (self.card.id, lang):  # prepared while the previous answer was read
            self.question, self._spare = self._spare, self.question
            self._spare_key = None
            self.question.display = True
            self._spare.display = False
        else:
            await self.question.update(self.card.question(lang))
        # The hidden answer and the next question are built after the question is on screen, while the learner
        # reads (grading stays fast).
        self.call_after_refresh(self.run_worker, self._prepare(self.card, lang), group="answer", exclusive=True)

    async def _prepare(self, card: Card, lang: str) -> None:
        """Render the answer of `card`, then the question of the card expected next in the spare; `answer_built`
        is set unless another card came in the meantime. A cancelled build leaves the spare unused."""
        await self.query_one("#answer", Markdown).update(card.answer(lang))  # type: ignore[arg-type]
        upcoming = self.app.backend.review.upcoming()
        if upcoming is not None and self._spare_key != (upcoming.id, lang):
            self._spare_key = None
            await self._spare.update(upcoming.question(lang))
            self._spare_key = (upcoming.id, lang)
        if card is self.card and lang == self.app.backend.lang:
            self.answer_built.set()

    def _show(self, empty: bool, revealed: bool) -> None:
        """Show the parts for this state. Widget `display` is set directly: a class on the screen would
        restyle every block of the (long) answer and cost a hundred milliseconds per card."""
        parts = {
            "#card": not empty, "#empty": empty, "#reveal-hint": not empty and not revealed,
            "#a-heading": revealed, "#answer": revealed, "#grades": revealed,
        }
        for selector, shown in parts.items():
            self.query_one(selector).display = shown

    def _update_status(self) -> None:
        review = self.app.backend.review
        summary = review.summary()
        parts = [f"{review.remaining} left", f"{summary.done} done today"]
        if self.card is not None and not review.is_first_today(self.card.id):
            parts.append("[yellow]repeat (schedule unchanged)[/]")
        parts.append(self.app.backend.lang)
        self.query_one("#status", Static).update("  ·  ".join(parts))

    def action_reveal(self) -> None:
        """Show the answer and the grades."""
        if self.card is not None and not self.revealed:
            self.revealed = True
            self._show(empty=False, revealed=True)

    async def action_grade(self, quality: int) -> None:
        """Commit a grade and show the next card (only once the answer is shown)."""
        if self.card is None:
            return
        if not self.revealed:
            self.notify("Show the answer first (space).", severity="warning", timeout=2)
            return
        if not await self.app.wait_for_store():
            return
        result = self.app.backend.review.grade(quality, seconds=round(time.monotonic() - self.shown_at, 1))
        if result.missed_twice and self.app.backend.lab_available(result.card.lab):
            self.notify(f"Card {result.card.id} was missed twice running: its lab [b]{result.card.lab}[/b] builds the "
                        "answer. Press [b]o[/b] while the card is shown, or [b]l[/b] for the labs.",
                        title="Try its lab", timeout=10)  # fmt: skip
        elif result.requeued:
            self.notify(f"Card {result.card.id} comes back later today.", timeout=2)
        await self.show_current()

    async def action_undo(self) -> None:
        """Undo the last grade; its card comes back."""
        if not await self.app.wait_for_store():
            return
        undone = self.app.backend.review.undo()
        if undone is None:
            self.notify("Nothing to undo.", timeout=2)
            return
        self.notify(f"Undid grade {undone.log.quality} of card {undone.log.card_id}.", timeout=2)
        await self.show_current()

    async def action_toggle_lang(self) -> None:
        """Switch zh/en and redraw the card, keeping the answer shown if it was."""
        self.app.switch_language()
        revealed = self.revealed
        await self.show_current()
        if revealed:
            self.action_reveal()

    def action_open_lab(self) -> None:
        """Open the current card's lab."""
        if self.card is not None:
            self.app.open_lab(self.card.lab)

    def action_labs(self) -> None:
        """Open the lab list."""
        self.app.open_labs()

    def action_more_new(self) -> None:
        """Ask how many more new cards to study today."""
        self.app.ask_more_new()

    def refresh_data(self) -> None:
        """Show the first of the cards added to an empty review (more new cards, a card released); else update
        the counts."""
        if self.card is None and self.app.backend.review.current() is not None:
            self.call_later(self.show_current)
        else:
            self._update_status()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """The empty panel's button."""
        if event.button.id == "open-labs":
            self.action_labs()

    def action_back(self) -> None:
        """Back to the dashboard."""
        self.app.pop_screen()
