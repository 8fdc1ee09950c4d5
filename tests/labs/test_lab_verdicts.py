"""Every lab's autograder, proven in-process: the solution and the alt file pass, the starter and each wrong file fail.

Each case runs the lab's own test file through `pytest.main` (same arguments as the subprocess grader) with the
learner-file option pointed at one file. A wrong file declares, in a `Message:` line of its docstring, a phrase
that the learner must be shown: some failing test's message (as the grader reports it) must contain it. The fake
lab of tests/fixtures runs the same way, so the harness is exercised even for a lab that has no proofs yet.
Completeness is checked for the real labs only.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from labs.grading.report import failure_message

from scripts.new_lab import MARKER, scaffold
from trainer.catalog import LAB_SLUGS
from trainer.labs import Lab, all_labs, parse_hints, pytest_args
from trainer.paths import LABS_DIR

TESTS = Path(__file__).resolve().parent.parent
REAL = (LABS_DIR, TESTS / "labs")
FAKE = (TESTS / "fixtures" / "labs", TESTS / "fixtures" / "lab_proofs")
SUITES = [REAL, FAKE]
DEVICE = os.environ.get("TRAINER_LAB_DEVICE", "cpu")  # scripts/gpu_check.sh sets cuda


def _labs() -> list[tuple[Lab, Path]]:
    return [(lab, proofs) for root, proofs in SUITES for lab in all_labs(root)]


def _wrong_files() -> list[Any]:
    return [
        pytest.param(lab, path, id=f"{lab.slug}/{path.stem}")
        for lab, proofs in _labs()
        for path in sorted((proofs / "wrong" / lab.slug).glob("*.py"))
    ]


def _alt_files() -> list[Any]:
    return [
        pytest.param(lab, proofs / "alt" / f"{lab.slug}.py", id=lab.slug)
        for lab, proofs in _labs()
        if (proofs / "alt" / f"{lab.slug}.py").is_file()
    ]


LABS = [pytest.param(lab, id=lab.slug) for lab, _ in _labs()]
REAL_LABS = [pytest.param(lab, id=lab.slug) for lab in all_labs(REAL[0])]


class Outcomes:
    """Pytest plugin: each test's outcome (a failing setup or teardown counts as an error) and failure message.

    With `stop_at`, the run stops after the first failure whose message contains that phrase: what the rest
    of the tests would say cannot change the verdict on a wrong file, and skipping them keeps the suite fast.
    """

    def __init__(self, stop_at: str = "") -> None:
        self.by_test: dict[str, str] = {}
        self.messages: dict[str, str] = {}
        self.stop_at = stop_at
        self.session: pytest.Session | None = None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        previous = self.by_test.get(report.nodeid, "passed")
        if previous != "passed":
            return
        if report.failed:
            self.by_test[report.nodeid] = "failed" if report.when == "call" else "error"
            self.messages[report.nodeid] = failure_message(report)
            if self.stop_at and self.stop_at in self.messages[report.nodeid] and self.session is not None:
                self.session.shouldstop = "the declared message was shown"
        elif report.when == "call" or report.skipped:
            self.by_test[report.nodeid] = report.outcome

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.by_test[report.nodeid or "<collection>"] = "collect error"
            self.messages[report.nodeid or "<collection>"] = failure_message(report)


def run_lab(lab: Lab, file: Path, monkeypatch: pytest.MonkeyPatch, *extra: str, stop_at: str = "") -> Outcomes:
    """Run `lab`'s tests on `file` in this process (until a failure shows `stop_at`, when given)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    outcomes = Outcomes(stop_at)
    pytest.main([*pytest_args(lab, file, DEVICE), "-qq", "--tb=no", *extra], plugins=[outcomes])
    return outcomes


def grade(lab: Lab, file: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> dict[str, str]:
    """Run `lab`'s tests on `file` in this process; {nodeid: outcome}."""
    return run_lab(lab, file, monkeypatch, *extra).by_test


def declared_message(path: Path) -> str:
    """The phrase after `Message:` in a wrong file's docstring ("" when there is none)."""
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    found = re.search(r"^Message:\s*(.+)$", docstring, re.MULTILINE)
    return found.group(1).strip() if found else ""


@pytest.mark.parametrize("lab", LABS)
def test_solution_passes_every_test(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes = grade(lab, lab.solution, monkeypatch)
    assert outcomes, f"{lab.slug}: no tests ran"
    assert set(outcomes.values()) == {"passed"}, outcomes


@pytest.mark.parametrize("lab", LABS)
def test_starter_fails_every_test(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes = grade(lab, lab.starter, monkeypatch)
    assert outcomes, f"{lab.slug}: no tests ran"
    passing = [nodeid for nodeid, outcome in outcomes.items() if outcome == "passed"]
    assert not passing, f"these tests pass on the starter, so they never call learner code: {passing}"


@pytest.mark.parametrize(("lab", "path"), _wrong_files())
def test_wrong_file_is_rejected_with_its_message(lab: Lab, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    phrase = declared_message(path)
    assert phrase, f"{path.name} declares no `Message:` line in its docstring"
    run = run_lab(lab, path, monkeypatch, stop_at=phrase)
    assert run.by_test, f"{lab.slug}: no tests ran"
    assert run.messages, f"{path.name} passes every test"
    shown = [m for m in run.messages.values() if phrase in m]
    assert shown, f"no failure message of {path.name} contains {phrase!r}; the failures said:\n" + "\n".join(
        f"- {nodeid.split('::')[-1]}: {m}" for nodeid, m in run.messages.items()
    )


@pytest.mark.parametrize(("lab", "path"), _alt_files())
def test_alt_file_passes_every_test(lab: Lab, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes = grade(lab, path, monkeypatch)
    assert outcomes, f"{lab.slug}: no tests ran"
    assert set(outcomes.values()) == {"passed"}, outcomes


def folder_problems(lab: Lab, proofs: Path) -> list[str]:
    """What a lab folder lacks by docs/LAB_AUTHORING.md (empty when complete)."""
    problems = []
    required = ["__init__.py", "lab.toml", "README.md", "starter.py", "solution.py", "mistakes.py",
                f"test_{lab.slug}.py", "hints.md", "demo.py"]  # fmt: skip
    problems += [f"missing {name}" for name in required if not (lab.folder / name).is_file()]
    text = lab.hints_file.read_text(encoding="utf-8") if lab.hints_file.is_file() else ""
    for lang, head in (("en", "## Hint N"), ("zh", "## 提示 N")):
        if len(parse_hints(text, lang)) != 3:
            problems.append(f"hints.md has {len(parse_hints(text, lang))} `{head}` sections, not 3")
    readme = lab.readme.read_text(encoding="utf-8") if lab.readme.is_file() else ""
    problems += [f"README.md lacks `{head}`" for head in ("## English", "## 中文") if head not in readme]
    if lab.slug not in LAB_SLUGS or LAB_SLUGS.index(lab.slug) + 1 != lab.card:
        problems.append(f"lab.toml card {lab.card} does not match the catalog")
    if not 1 <= lab.difficulty <= 3:
        problems.append(f"difficulty {lab.difficulty} is not 1-3")
    if not (proofs / "alt" / f"{lab.slug}.py").is_file():
        problems.append(f"no alt file tests/labs/alt/{lab.slug}.py")
    wrong = sorted((proofs / "wrong" / lab.slug).glob("*.py"))
    if not wrong:
        problems.append(f"no wrong files in tests/labs/wrong/{lab.slug}/")
    problems += [f"{p.name} declares no `Message:` line" for p in wrong if not declared_message(p)]
    authored = [p for p in lab.folder.rglob("*") if p.is_file() and p.suffix in (".py", ".md", ".toml")]
    authored += [proofs / "alt" / f"{lab.slug}.py", *wrong]
    problems += [f"{p.name} still holds a {MARKER} placeholder" for p in authored
                 if p.is_file() and MARKER in p.read_text(encoding="utf-8")]  # fmt: skip
    return problems


@pytest.mark.parametrize("lab", REAL_LABS)
def test_lab_folder_is_complete(lab: Lab) -> None:
    assert folder_problems(lab, REAL[1]) == []


def test_folder_check_flags_an_incomplete_lab(tmp_path: Path) -> None:
    (fake,) = all_labs(FAKE[0])
    problems = folder_problems(fake, tmp_path)
    assert "missing __init__.py" in problems
    assert "lab.toml card 99 does not match the catalog" in problems
    assert any("no alt file" in p for p in problems)
    assert not any("hints.md" in p or "README" in p for p in problems)


def test_a_declared_message_that_no_failure_shows_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (fake,) = all_labs(FAKE[0])
    wrong = tmp_path / "scale_adds.py"
    source = (FAKE[1] / "wrong" / "fake_add" / "scale_adds.py").read_text(encoding="utf-8")
    wrong.write_text(source.replace("Message: x + k instead of x * k", "Message: a phrase no test says"))
    assert declared_message(wrong) == "a phrase no test says"
    run = run_lab(fake, wrong, monkeypatch, stop_at="a phrase no test says")
    assert run.messages, "the wrong file should fail a test"
    assert not any("a phrase no test says" in m for m in run.messages.values())
    assert any("x + k instead of x * k" in m for m in run.messages.values())
    assert len(run.by_test) == 5, "without its phrase the run goes on to the last test"
    stopped = run_lab(fake, wrong, monkeypatch, stop_at="x + k instead of x * k")
    assert len(stopped.by_test) < len(run.by_test), "the run stops at the failure that shows the phrase"


def test_scaffold_makes_a_lab_that_the_harness_grades(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    labs_root, proofs = tmp_path / "labs", tmp_path / "proofs"
    labs_root.mkdir()
    (labs_root / "conftest.py").write_text((FAKE[0] / "conftest.py").read_text(encoding="utf-8"))
    written = scaffold("state_space_model", labs_root, proofs)
    assert {p.name for p in written} >= {"starter.py", "solution.py", "test_state_space_model.py", "hints.md",
                                          "demo.py", "lab.toml", "README.md", "mistakes.py", "__init__.py"}
    (lab,) = all_labs(labs_root)
    starter = grade(lab, lab.starter, monkeypatch)
    assert len(starter) == 3, starter  # one placeholder test per public name of the contract
    assert set(starter.values()) == {"failed"}, starter
    problems = folder_problems(lab, proofs)
    assert "README.md still holds a SCAFFOLD: placeholder" in problems
    assert "example_mistake.py still holds a SCAFFOLD: placeholder" in problems
    assert not any(p.startswith("missing") for p in problems), problems
    with pytest.raises(SystemExit, match="never overwrites"):
        scaffold("state_space_model", labs_root, proofs)


def test_folder_check_wants_the_hints_in_both_languages(tmp_path: Path) -> None:
    (fake,) = all_labs(FAKE[0])
    english_only = tmp_path / "fake_add"
    english_only.mkdir()
    text = fake.hints_file.read_text(encoding="utf-8")
    (english_only / "hints.md").write_text(text[: text.index("## 提示 1")], encoding="utf-8")
    problems = folder_problems(replace(fake, folder=english_only), tmp_path)
    assert "hints.md has 0 `## 提示 N` sections, not 3" in problems
