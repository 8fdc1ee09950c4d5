"""`trainer cards`: list the deck, show one card, check the deck for errors."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console, Group
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table

from trainer.cli.language import LangOption, chosen_language
from trainer.deck import Deck, Lang, load_deck

cards_app = typer.Typer(help="The question cards: list, show, check.", no_args_is_help=False)
console = Console()
err_console = Console(stderr=True)

CardsOption = typer.Option(
    None, "--cards", envvar="TRAINER_CARDS", help="Deck folder (default: the project's cards/).",
    file_okay=False, dir_okay=True,
)


def register(app: typer.Typer) -> None:
    """Add `trainer cards` to the root app."""
    app.add_typer(cards_app, name="cards")


def print_errors(deck: Deck) -> None:
    """Every deck error on stderr, one per line: file:line: message."""
    for error in deck.errors:
        line = f"[red]✗[/red] [bold]{escape(str(error.path))}[/bold]:{error.line}: {escape(error.message)}"
        err_console.print(line, highlight=False, soft_wrap=True)  # one line per error, never wrapped


def deck_table(deck: Deck, lang: Lang) -> Table:
    """The deck as a table: id, title, tags, lab."""
    table = Table(title=f"{len(deck.cards)} cards", title_justify="left", header_style="bold cyan")
    table.add_column("#", justify="right", style="bold")
    table.add_column("title")
    table.add_column("tags", style="magenta")
    table.add_column("lab", style="green")
    for card in deck.cards:
        table.add_row(str(card.id), escape(card.title(lang)), ", ".join(card.tags), card.lab)
    return table


def print_deck_table(cards: Path | None = None, lang: Lang = "zh") -> Deck:
    """Load the deck, print its table and any errors."""
    deck = load_deck(cards)
    console.print(deck_table(deck, lang))
    print_errors(deck)
    return deck


@cards_app.callback(invoke_without_command=True)
def cards(
    ctx: typer.Context,
    check: bool = typer.Option(False, "--check", help="Validate the deck; exit 1 if any card is invalid."),
    cards_dir: Optional[Path] = CardsOption,
    lang: Optional[str] = LangOption,
) -> None:
    """List the cards (id, title, tags, lab)."""
    if ctx.invoked_subcommand is not None:
        return
    deck = print_deck_table(cards_dir, chosen_language(lang))
    if check:
        if not deck.cards and not deck.errors:
            err_console.print("[red]no cards found[/red]")
            raise typer.Exit(1)
        if deck.errors:
            err_console.print(f"[red]{len(deck.errors)} invalid card file(s)[/red]; {len(deck.cards)} loaded.")
            raise typer.Exit(1)
        console.print(f"[green]✓ all {len(deck.cards)} cards are valid[/green]")


@cards_app.command("show")
def show(
    card_id: int = typer.Argument(..., help="Card number (1-20)."),
    lang: Optional[str] = LangOption,
    cards_dir: Optional[Path] = CardsOption,
) -> None:
    """Show one card, question then answer, rendered as Markdown."""
    lang_ = chosen_language(lang)
    deck = load_deck(cards_dir)
    card = deck.by_id(card_id)
    if card is None:
        print_errors(deck)
        err_console.print(f"[red]No card {card_id}.[/red] Cards: {', '.join(str(c.id) for c in deck.cards)}")
        raise typer.Exit(2)
    heading = ("问题", "答案") if lang_ == "zh" else ("Question", "Answer")
    body = Group(
        Rule(heading[0], style="cyan"),
        Markdown(card.question(lang_)),
        Rule(heading[1], style="green"),
        Markdown(card.answer(lang_)),
    )
    subtitle = f"lab: {card.lab} · tags: {', '.join(card.tags)}"
    console.print(Panel(body, title=f"[bold]{card.id}. {card.title(lang_)}[/bold]", subtitle=subtitle, expand=True))
