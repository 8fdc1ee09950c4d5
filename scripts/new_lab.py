"""Scaffold a lab from docs/LABS.md: `python scripts/new_lab.py SLUG`.

Creates labs/SLUG/ with every file of the lab format (the starter and the solution carry the contract's
signatures, bodies raising NotImplementedError), tests/labs/alt/SLUG.py and an example wrong file in
tests/labs/wrong/SLUG/. Every placeholder the author must replace contains the marker `SCAFFOLD:`; the
lab-folder test (tests/labs/test_lab_verdicts.py) fails while one is left. The verdict harness picks the
new lab up with no other edit: its starter fails every placeholder test from the start.

`--labs-root` and `--tests-root` write elsewhere (the scaffold's own test uses them); an existing lab is
never overwritten.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trainer.deck import load_deck  # noqa: E402
from trainer.labs.contract import LabContract, load_contract  # noqa: E402

MARKER = "SCAFFOLD:"


def _names_used(tree: ast.Module) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def import_lines(tree: ast.Module) -> list[str]:
    """The imports the signature block needs (collections.abc, torch, Tensor, nn)."""
    used = _names_used(tree)
    abc = [n for n in ("Callable", "Sequence") if n in used]
    lines = [f"from collections.abc import {', '.join(abc)}"] if abc else []
    if lines:
        lines.append("")
    if "torch" in used:
        lines.append("import torch")
    from_torch = [n for n in ("Tensor", "nn") if n in used]
    if from_torch:
        lines.append(f"from torch import {', '.join(from_torch)}")
    return lines


def stub_bodies(signatures: str) -> str:
    """The signature block with `raise NotImplementedError` after each function's docstring."""
    lines = signatures.splitlines()
    tree = ast.parse(signatures)
    inserts: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            last = node.body[-1]
            inserts.append((last.end_lineno or node.lineno, " " * (node.col_offset + 4) + "raise NotImplementedError"))
    for after, text in sorted(inserts, reverse=True):
        lines.insert(after, text)
    return "\n".join(lines).rstrip() + "\n"


def python_file(docstring: str, contract: LabContract) -> str:
    """A module: docstring, `from __future__`, the needed imports, then the stubbed signatures."""
    head = [f'"""{docstring}"""', "", "from __future__ import annotations"]
    imports = import_lines(contract.tree())
    if imports:
        head += ["", *imports]
    return "\n".join(head) + "\n\n\n" + stub_bodies(contract.signatures)


def titles(card: int) -> tuple[str, str]:
    """Placeholder lab titles that quote the card's question titles."""
    found = next((c for c in load_deck().cards if c.id == card), None)
    en, zh = (found.title_en, found.title_zh) if found else ("", "")
    return f"{MARKER} a lab title for the card '{en}'", f"{MARKER} 实验标题（卡片：{zh}）"


def lab_toml(contract: LabContract, title_en: str, title_zh: str) -> str:
    return (
        f'slug = "{contract.slug}"\ncard = {contract.card}\ndifficulty = 2  # {MARKER} 1-3\nminutes = 30\n'
        f"forbidden = []  # {MARKER} dotted names of the calls that would make the lab trivial\n\n"
        f'[title]\nen = "{title_en}"\nzh = "{title_zh}"\n'
    )


def readme(contract: LabContract, title_en: str, title_zh: str) -> str:
    return (
        f"# Lab {contract.card}: {contract.slug}\n\n{title_en}\n\n## English\n\n"
        f"{MARKER} the task, the conventions, what the tests check.\n\n"
        f"### The contract (docs/LABS.md)\n{contract.prose}\n\n```python\n{contract.signatures}```\n\n"
        f"Run: `trainer lab check {contract.slug}`. Demo: `trainer lab demo {contract.slug}`.\n\n"
        f"## 中文\n\n# {title_zh}\n\n{MARKER} 任务、约定、测试检查什么。\n"
    )


def test_file(contract: LabContract) -> str:
    tests = []
    for name in contract.public_names():
        tests.append(
            f"def test_{name.lower()}_follows_the_contract(lab: Any, device: torch.device) -> None:\n"
            f"    lab.{name}  # a missing name fails with a message that names it\n"
            f'    pytest.fail("{MARKER} test {name} (docs/LABS.md) against an oracle", pytrace=False)\n'
        )
    return (
        f'"""Autograder for lab {contract.card} ({contract.slug})."""\n\nfrom __future__ import annotations\n\n'
        "from typing import Any\n\nimport pytest\nimport torch\n\n"
        "# The kit: from labs.grading import assert_close, assert_count, seeded, seeded_many, ScoreMatrixGuard, ...\n"
        f"# Known mistakes: from labs.{contract.slug} import mistakes\n\n\n" + "\n\n".join(tests)
    )


def hints() -> str:
    en = "\n\n".join(f"## Hint {n}\n{MARKER} hint {n}, revealing more than hint {n - 1}." for n in (1, 2, 3))
    zh = "\n\n".join(f"## 提示 {n}\n{MARKER} 提示 {n}。" for n in (1, 2, 3))
    return f"# Hints\n\n{en}\n\n{zh}\n"


def demo(contract: LabContract) -> str:
    return (
        f'"""Demo of lab {contract.card}: the card\'s claim in numbers, computed with the solution."""\n\n'
        "from __future__ import annotations\n\nfrom rich.console import Console\nfrom rich.table import Table\n\n\n"
        "def main() -> None:\n"
        '    """Print the demo\'s table."""\n'
        f'    table = Table(title="{MARKER} what the demo shows")\n'
        "    Console().print(table)\n\n\n"
        'if __name__ == "__main__":\n    main()\n'
    )


def files(contract: LabContract, labs_root: Path, tests_root: Path) -> dict[Path, str]:
    """Every file of the scaffold, by path."""
    title_en, title_zh = titles(contract.card)
    folder = labs_root / contract.slug
    lab = f"lab {contract.card} ({contract.slug})"
    return {
        folder / "__init__.py": f'"""Lab {contract.card}: {contract.slug}."""\n',
        folder / "lab.toml": lab_toml(contract, title_en, title_zh),
        folder / "README.md": readme(contract, title_en, title_zh),
        folder / "starter.py": python_file(
            f"Lab {contract.card} starter: {contract.slug}. {MARKER} say what it asks.", contract
        ),
        folder / "solution.py": python_file(f"Model answer for lab {contract.card}. {MARKER} write it.", contract),
        folder / "mistakes.py": f'"""Known wrong answers of {lab}, so that failure messages can name them. '
        f'{MARKER} add them."""\n',
        folder / f"test_{contract.slug}.py": test_file(contract),
        folder / "hints.md": hints(),
        folder / "demo.py": demo(contract),
        tests_root / "alt" / f"{contract.slug}.py": python_file(
            f"A correct {lab} written differently from solution.py. {MARKER} write it.", contract
        ),
        tests_root / "wrong" / contract.slug / "example_mistake.py": python_file(
            f"Wrong: {MARKER} one common mistake, in one line.\n\nMessage: {MARKER}\n", contract
        ),
    }


def scaffold(slug: str, labs_root: Path, tests_root: Path) -> list[Path]:
    """Write the scaffold of `slug`; return the files written. SystemExit if the lab exists or is unknown."""
    contracts = load_contract()
    if slug not in contracts:
        raise SystemExit(f"unknown lab {slug!r}: docs/LABS.md names {', '.join(contracts)}")
    if (labs_root / slug).exists():
        raise SystemExit(f"{labs_root / slug} already exists: the scaffold never overwrites a lab")
    written = []
    for path, text in files(contracts[slug], labs_root, tests_root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("slug")
    parser.add_argument("--labs-root", type=Path, default=ROOT / "labs")
    parser.add_argument("--tests-root", type=Path, default=ROOT / "tests" / "labs")
    args = parser.parse_args()
    for path in scaffold(args.slug, args.labs_root, args.tests_root):
        print(path)
    print(f"Now replace every '{MARKER}' placeholder; docs/LAB_AUTHORING.md says how a lab is proven.")


if __name__ == "__main__":
    main()
