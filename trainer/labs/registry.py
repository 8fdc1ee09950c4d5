"""The lab registry: finds `labs/<slug>/lab.toml` folders and describes each lab (no torch, no labs import)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from trainer.catalog import LAB_SLUGS
from trainer.paths import labs_dir as labs_root

_HINT_HEADING = re.compile(r"^##\s+Hint\s+(\d+)\s*$", re.MULTILINE)


class LabError(Exception):
    """A lab command cannot run (unknown lab, lab not written yet, missing file, bad device)."""


class LabNotFound(LabError):
    """No lab has this slug, or its folder does not exist yet."""


@dataclass(frozen=True)
class Lab:
    """One lab folder and its lab.toml."""

    slug: str
    card: int
    title_en: str
    title_zh: str
    difficulty: int
    minutes: int
    forbidden: tuple[str, ...]
    folder: Path

    @property
    def root(self) -> Path:
        """The labs root this lab lives in."""
        return self.folder.parent

    @property
    def readme(self) -> Path:
        """The task, in English then Chinese."""
        return self.folder / "README.md"

    @property
    def starter(self) -> Path:
        """The file a learner starts from."""
        return self.folder / "starter.py"

    @property
    def solution(self) -> Path:
        """The model answer."""
        return self.folder / "solution.py"

    @property
    def test_file(self) -> Path:
        """The autograder."""
        return self.folder / f"test_{self.slug}.py"

    @property
    def hints_file(self) -> Path:
        """Three `## Hint N` sections."""
        return self.folder / "hints.md"

    @property
    def demo(self) -> Path:
        """`python -m labs.<slug>.demo`: the card's claim in numbers."""
        return self.folder / "demo.py"

    def hints(self) -> tuple[str, ...]:
        """The `## Hint N` sections of hints.md, in order (empty when there is no hints.md)."""
        if not self.hints_file.is_file():
            return ()
        return parse_hints(self.hints_file.read_text(encoding="utf-8"))


def parse_hints(text: str) -> tuple[str, ...]:
    """The bodies of the `## Hint N` sections, ordered by N; text before the first heading is ignored."""
    heads = list(_HINT_HEADING.finditer(text))
    bodies: list[tuple[int, str]] = []
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        bodies.append((int(head.group(1)), text[head.end() : end].strip()))
    return tuple(body for _, body in sorted(bodies, key=lambda pair: pair[0]))


def load_lab(folder: Path) -> Lab:
    """Read `folder/lab.toml` into a Lab; a missing key or a slug that is not the folder's name raises LabError."""
    try:
        with (folder / "lab.toml").open("rb") as fh:
            data = tomllib.load(fh)
        lab = Lab(
            slug=str(data["slug"]),
            card=int(data["card"]),
            title_en=str(data["title"]["en"]),
            title_zh=str(data["title"]["zh"]),
            difficulty=int(data["difficulty"]),
            minutes=int(data["minutes"]),
            forbidden=tuple(str(name) for name in data.get("forbidden", [])),
            folder=folder.resolve(),
        )
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise LabError(f"{folder / 'lab.toml'} is not a valid lab.toml: {exc!r}") from exc
    if lab.slug != folder.name:
        raise LabError(f"{folder / 'lab.toml'} says slug {lab.slug!r}, but the folder is {folder.name!r}")
    return lab


def all_labs(root: Path | None = None) -> list[Lab]:
    """Every lab folder (one with a lab.toml) under `root`, in card order."""
    base = root or labs_root()
    folders = sorted(p.parent for p in base.glob("*/lab.toml"))
    return sorted((load_lab(folder) for folder in folders), key=lambda lab: (lab.card, lab.slug))


def find_lab(slug: str, root: Path | None = None) -> Lab:
    """The lab `slug`; LabNotFound names the reason (not in the catalog, or not written yet)."""
    base = root or labs_root()
    folder = base / slug
    if (folder / "lab.toml").is_file():
        return load_lab(folder)
    if slug in LAB_SLUGS:
        raise LabNotFound(f"lab {slug!r} is not yet available (card {LAB_SLUGS.index(slug) + 1})")
    known = ", ".join(lab.slug for lab in all_labs(base)) or "none yet"
    raise LabNotFound(f"unknown lab {slug!r}; available labs: {known}")


def catalog(root: Path | None = None) -> list[tuple[str, Lab | None]]:
    """The twenty catalog slugs with their Lab (None: not yet available), then any extra labs found under root."""
    found = {lab.slug: lab for lab in all_labs(root)}
    rows: list[tuple[str, Lab | None]] = [(slug, found.pop(slug, None)) for slug in LAB_SLUGS]
    return rows + [(slug, lab) for slug, lab in found.items()]
