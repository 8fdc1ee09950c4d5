"""Demo of lab 19: the card's claim in numbers, computed with the solution."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table


def main() -> None:
    """Print the demo's table."""
    table = Table(title="SCAFFOLD: what the demo shows")
    Console().print(table)


if __name__ == "__main__":
    main()
