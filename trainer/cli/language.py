"""The language a command shows cards, hints and lab texts in: `--lang`, else the `language` setting."""

from __future__ import annotations

import typer

from trainer.config import LANGUAGES, ConfigError, load_settings
from trainer.deck import Lang

LangOption = typer.Option(
    None, "--lang", "-l", help="zh or en (default: the language setting).", case_sensitive=False, show_default=False
)


def chosen_language(option: str | None) -> Lang:
    """`--lang` when given (checked), else the configured language; a bad config.toml is one line and exit 2."""
    if option is None:
        try:
            return load_settings().language  # type: ignore[return-value]
        except ConfigError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
    lang = option.lower()
    if lang not in LANGUAGES:
        raise typer.BadParameter("choose zh or en", param_hint="--lang")
    return lang  # type: ignore[return-value]
