"""The lab registry: finds `labs/<slug>/lab.toml` folders and describes each lab (no torch, no labs import)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from trainer.catalog import LAB_SLUGS
from trainer.paths import labs_dir as labs_root

HINT_WORDS = {"en": "Hint", "zh": "提示"}
"""hints.md holds `## Hint 1..3` (English) and `## 提示 1..3` (Chinese): the same hints in both languages."""
README_SECTIONS = {"en": "English", "zh": "中文"}
"""A lab README holds a `## English` and a `## 中文` section, after its title."""
_HINT_HEADING = re.compile(rf"^##\s+({'|'.join(HINT_WORDS.values())})\s+(\d+)\s*$", re.MULTILINE)
_README_HEADING = re.compile(rf"^##\s+({'|'.join(README_SECTIONS.values())})\s*$", re.MULTILINE)


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
        """Three `## Hint N` sections, then the same three as `## 提示 N`."""
        return self.folder / "hints.md"

    @property
    def demo(self) -> Path:
        """`python -m labs.<slug>.demo`: the card's claim in numbers."""
        return self.folder / "demo.py"

    def hints(self, lang: str = "en") -> tuple[str, ...]:
        """The hints of hints.md in `lang` (zh or en), in order; English where a language has none; empty when
        there is no hints.md."""
        if not self.hints_file.is_file():
            return ()
        text = self.hints_file.read_text(encoding="utf-8")
        return parse_hints(text, lang) or parse_hints(text, "en")

    def readme_text(self, lang: str = "en") -> str:
        """The README in `lang` (its title and that language's section), or a line saying it is missing."""
        if not self.readme.is_file():
            return f"# {self.title_en}\n\n(README.md missing)"
        return parse_readme(self.readme.read_text(encoding="utf-8"), lang)


def _sections(pattern: re.Pattern[str], text: str) -> list[tuple[re.Match[str], str]]:
    """Each heading `pattern` matches, with the text up to the next one."""
    heads = list(pattern.finditer(text))
    return [(head, text[head.end() : heads[i + 1].start() if i + 1 < len(heads) else len(text)])
            for i, head in enumerate(heads)]  # fmt: skip


def parse_hints(text: str, lang: str = "en") -> tuple[str, ...]:
    """The bodies of the `## Hint N` (en) or `## 提示 N` (zh) sections, ordered by N; other text is ignored."""
    word = HINT_WORDS[lang]
    bodies = [(int(head.group(2)), body.strip()) for head, body in _sections(_HINT_HEADING, text) if head.group(1) == word]
    return tuple(body for _, body in sorted(bodies, key=lambda pair: pair[0]))


def parse_readme(text: str, lang: str = "en") -> str:
    """A README in one language: what comes before its first language section (the title), then the body of the
    `## English` (en) or `## 中文` (zh) section. A README without such sections is returned whole."""
    sections = _sections(_README_HEADING, text)
    wanted = [body for head, body in sections if head.group(1) == README_SECTIONS[lang]]
    if not wanted:
        return text
    return text[: sections[0][0].start()].rstrip() + "\n\n" + wanted[0].strip() + "\n"


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
