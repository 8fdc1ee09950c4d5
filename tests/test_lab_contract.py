"""docs/LABS.md is the contract: it names the twenty labs, and every lab's files define exactly its signatures."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from trainer.catalog import LAB_SLUGS
from trainer.labs import all_labs
from trainer.labs.contract import ContractError, definitions, load_contract, parse_contract

CONTRACT = load_contract()
TESTS = Path(__file__).resolve().parent
LABS = [pytest.param(lab, id=lab.slug) for lab in all_labs()]


def _defined(path: Path) -> dict[str, tuple[list[str], list[str]]]:
    return definitions(ast.parse(path.read_text(encoding="utf-8")))


def test_contract_names_the_twenty_labs_in_card_order() -> None:
    assert [(c.card, c.slug) for c in CONTRACT.values()] == [(i + 1, s) for i, s in enumerate(LAB_SLUGS)]


def test_every_lab_has_signatures() -> None:
    empty = [slug for slug, c in CONTRACT.items() if not c.public_names()]
    assert not empty, f"labs without a public name in docs/LABS.md: {empty}"


@pytest.mark.parametrize("lab", LABS)
def test_starter_defines_exactly_the_contract(lab) -> None:
    assert _defined(lab.starter) == definitions(CONTRACT[lab.slug].tree())


@pytest.mark.parametrize("lab", LABS)
def test_solution_and_alt_define_the_contract(lab) -> None:
    expected = definitions(CONTRACT[lab.slug].tree())
    for path in (lab.solution, TESTS / "labs" / "alt" / f"{lab.slug}.py"):
        found = _defined(path)
        differ = {name: found.get(name) for name, sig in expected.items() if found.get(name) != sig}
        assert not differ, f"{path.name} differs from docs/LABS.md: {differ} (contract: {expected})"


def test_a_lab_without_signatures_is_an_error() -> None:
    with pytest.raises(ContractError, match="no ```python block"):
        parse_contract("### 1. rnn_vs_attention\nprose only\n")


def test_a_signature_block_that_is_not_python_is_an_error() -> None:
    with pytest.raises(ContractError, match="not valid Python"):
        parse_contract("### 1. rnn_vs_attention\n```python\ndef f(:\n```\n")
