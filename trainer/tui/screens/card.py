"""One card from the browser: question and answer, with its lab a key away."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Markdown, Static

from trainer.deck import Card
from trainer.tui.labels import HEADINGS
from trainer.tui.widgets.title_bar import TitleBar


class CardScreen(Screen[None]):
    """Read a card in either language."""

    CSS_PATH = "card.tcss"
    BINDINGS = [
        Binding("o", "open_lab", "lab", id="card.lab", tooltip="Open this card's coding lab"),
        Binding("z", "toggle_lang", "zh/en", id="card.lang", tooltip="Switch the card language"),
        Binding("escape", "back", "back", id="card.back", tooltip="Back to the browser"),
    ]

    def __init__(self, card: Card) -> None:
        super().__init__()
        self.card = card

    def compose(self) -> ComposeResult:
        """Title, question, answer."""
        yield TitleBar()
        with VerticalScroll(id="card-view"):
            yield Static(id="card-meta", classes="muted")
            yield Static(id="q-heading", classes="section-title")
            yield Markdown(id="card-question")
            yield Static(id="a-heading", classes="section-title")
            yield Markdown(id="card-answer")
        yield Footer()

    async def on_mount(self) -> None:
        """Draw the card."""
        await self.draw()

    async def draw(self) -> None:
        """Fill the widgets in the current language."""
        lang = self.app.backend.lang
        card = self.card
        self.sub_title = f"{card.id}. {card.title(lang)}"
        self.query_one("#card-meta", Static).update(f"[b]{card.id}. {card.title(lang)}[/b]  lab: {card.lab} · tags: {', '.join(card.tags)}")
        self.query_one("#q-heading", Static).update(HEADINGS[lang][0])
        self.query_one("#a-heading", Static).update(HEADINGS[lang][1])
        await self.query_one("#card-question", Markdown).update(card.question(lang))
        await self.query_one("#card-answer", Markdown).update(card.answer(lang))

    async def action_toggle_lang(self) -> None:
        """Switch zh/en."""
        self.app.switch_language()
        await self.draw()

    def action_open_lab(self) -> None:
        """Open the card's lab."""
        self.app.open_lab(self.card.lab)

    def action_back(self) -> None:
        """Back."""
        self.app.pop_screen()
