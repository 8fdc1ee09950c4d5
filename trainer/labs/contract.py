"""The lab contract of docs/LABS.md, parsed: each lab's heading and its block of Python signatures.

Used by the lab scaffold (`scripts/new_lab.py`) and by the test that keeps every lab's starter true to the
contract. Pure text and `ast`: no torch, no import of the labs.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from trainer.paths import PROJECT_ROOT

CONTRACT = PROJECT_ROOT / "docs" / "LABS.md"
_HEADING = re.compile(r"^### (\d+)\. ([a-z0-9_]+)\s*$", re.MULTILINE)
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


class ContractError(Exception):
    """docs/LABS.md lacks a lab, or its signature block is not valid Python."""


@dataclass(frozen=True)
class LabContract:
    """One lab of the contract: its card number, slug, prose and signature block."""

    card: int
    slug: str
    prose: str
    signatures: str

    def tree(self) -> ast.Module:
        """The signature block as a Python module."""
        return ast.parse(self.signatures)

    def public_names(self) -> list[str]:
        """The functions and classes the lab must define, in contract order."""
        return [node.name for node in self.tree().body if isinstance(node, ast.FunctionDef | ast.ClassDef)]


def parse_contract(text: str) -> dict[str, LabContract]:
    """Every `### N. slug` section with its first python block, by slug."""
    heads = list(_HEADING.finditer(text))
    labs: dict[str, LabContract] = {}
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        section = text[head.end() : end]
        section = section.split("\n## ", 1)[0]  # a following level-2 heading ends the last lab
        block = _BLOCK.search(section)
        if block is None:
            raise ContractError(f"lab {head.group(2)} has no ```python block of signatures")
        try:
            ast.parse(block.group(1))
        except SyntaxError as exc:
            raise ContractError(f"lab {head.group(2)}: its signature block is not valid Python: {exc}") from exc
        prose = section[: block.start()].strip()
        labs[head.group(2)] = LabContract(int(head.group(1)), head.group(2), prose, block.group(1))
    return labs


def load_contract(path: Path = CONTRACT) -> dict[str, LabContract]:
    """The contract file, parsed."""
    return parse_contract(path.read_text(encoding="utf-8"))


def signature(node: ast.FunctionDef) -> tuple[list[str], list[str]]:
    """(parameter names, unparsed default values) of a function, for comparing files with the contract."""
    args = node.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    defaults = [ast.unparse(d) for d in (*args.defaults, *(d for d in args.kw_defaults if d is not None))]
    return names, defaults


def definitions(tree: ast.Module) -> dict[str, tuple[list[str], list[str]]]:
    """Every top-level function and class method of a module, as {"name" or "Class.method": signature}."""
    found: dict[str, tuple[list[str], list[str]]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found[node.name] = signature(node)
        elif isinstance(node, ast.ClassDef):
            found[node.name] = ([], [])
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    found[f"{node.name}.{item.name}"] = signature(item)
    return found
