"""The lab registry, the run-state folding and the learner's workspace: pure and fast, no subprocess."""

from __future__ import annotations

import signal
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from trainer.catalog import LAB_SLUGS
from trainer.labs import LabError, LabNotFound, all_labs, attempt_status, catalog, find_lab, parse_hints
from trainer.labs.registry import parse_readme
from trainer.labs import next_hint, reset, start, workspace_file
from trainer.labs.results import OutputTail, ReportReader, RunState, TestResult, failures, first_to_fix, headline
from trainer.labs.results import message_lines, tidy

FAKE_ROOT = Path(__file__).resolve().parent / "fixtures" / "labs"


def test_fake_lab_is_read_from_lab_toml() -> None:
    lab = find_lab("fake_add", FAKE_ROOT)
    assert (lab.slug, lab.card, lab.difficulty, lab.minutes) == ("fake_add", 99, 1, 5)
    assert lab.title_zh == "假实验：相加、缩放与累计和"
    assert lab.forbidden == ("torch.cumsum",)
    assert lab.test_file == FAKE_ROOT / "fake_add" / "test_fake_add.py"
    assert lab.hints()[2] == "`x @ torch.ones(n, n).triu()` sums every prefix."


def test_hints_are_ordered_by_number_and_skip_the_preamble() -> None:
    text = "# Hints\nintro\n## Hint 2\nsecond\n\n## Hint 1\nfirst\nmore\n## Hint 3\nthird\n## 提示 1\n第一\n## 提示 2\n第二\n"
    assert parse_hints(text) == ("first\nmore", "second", "third")
    assert parse_hints(text, "zh") == ("第一", "第二")


def test_a_lab_gives_its_hints_and_readme_in_either_language() -> None:
    lab = find_lab("kv_cache")
    assert [len(lab.hints(lang)) for lang in ("en", "zh")] == [3, 3]
    assert lab.hints("zh")[0].startswith("每一层") and lab.hints("en")[0].startswith("Keep one slot")
    zh, en = lab.readme_text("zh"), lab.readme_text("en")
    assert zh.startswith("# Lab 6: KV cache") and "解码器每次生成一个 token" in zh and "A decoder generates" not in zh
    assert "A decoder generates" in en and "解码器" not in en and "## English" not in en


def test_a_readme_without_language_sections_is_shown_whole() -> None:
    assert parse_readme("# T\n\nbody\n", "zh") == "# T\n\nbody\n"


def test_unknown_and_unwritten_labs_are_named(tmp_path: Path) -> None:
    with pytest.raises(LabNotFound, match="not yet available"):
        find_lab(LAB_SLUGS[0], tmp_path)
    with pytest.raises(LabNotFound, match="unknown lab 'nope'; available labs: none yet"):
        find_lab("nope", tmp_path)


def test_bad_lab_toml_is_a_lab_error(tmp_path: Path) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "lab.toml").write_text('slug = "other"\ncard = 1\n')
    with pytest.raises(LabError, match="not a valid lab.toml"):
        all_labs(tmp_path)


def test_catalog_lists_the_twenty_then_extra_labs() -> None:
    rows = catalog(FAKE_ROOT)
    assert [slug for slug, _ in rows[:20]] == list(LAB_SLUGS)
    assert all(lab is None for _, lab in rows[:20])
    assert rows[20][0] == "fake_add" and rows[20][1] is not None


def test_start_never_overwrites_and_reset_keeps_a_backup(trainer_home: Path) -> None:
    lab = find_lab("fake_add", FAKE_ROOT)
    path, created = start(lab)
    assert created and path == workspace_file("fake_add") and path.parent == trainer_home / "workspace"
    path.write_text("my work")
    assert start(lab) == (path, False) and path.read_text() == "my work"
    fresh, backup = reset(lab)
    assert fresh.read_text() == lab.starter.read_text()
    assert backup is not None and backup.read_text() == "my work" and backup.name.startswith("fake_add.py.bak-")


def test_hints_are_revealed_one_at_a_time_and_remembered(trainer_home: Path) -> None:
    lab = find_lab("fake_add", FAKE_ROOT)
    assert [next_hint(lab)[0] for _ in range(4)] == [1, 2, 3, 3]
    assert '"fake_add": 3' in (trainer_home / "hints.json").read_text()


def test_status_from_attempts() -> None:
    def attempt(outcome: str, passed: int, failed: int, errors: int = 0, own: bool = True) -> SimpleNamespace:
        return SimpleNamespace(outcome=outcome, passed=passed, failed=failed, errors=errors, own_file=own, round=0)

    assert attempt_status([]) == "never tried"
    assert attempt_status([attempt("failed", 1, 4), attempt("timeout", 2, 1, 1)]) == "failed 2/4"
    assert attempt_status([attempt("failed", 0, 5), attempt("passed", 5, 0)]) == "passed"
    # the status follows the latest check of the learner's own file: a pass that broke since is no longer "passed"
    assert attempt_status([attempt("passed", 5, 0), attempt("failed", 0, 5)]) == "failed 0/5"
    assert attempt_status([attempt("failed", 1, 4), attempt("passed", 5, 0, own=False)]) == "failed 1/5"


def _state(memory: int | None = 4 << 30) -> RunState:
    return RunState("fake_add", Path("x.py"), "0" * 64, "cpu", datetime.now(timezone.utc), 60.0, memory)


def _started(state: RunState) -> None:
    nodeids = ["t.py::test_a", "t.py::test_b"]
    state.apply({"event": "session", "device": "cpu", "memory_limit": state.memory_bytes or 0, "nodeids": nodeids})
    state.apply({"event": "started", "nodeid": "t.py::test_a", "name": "test_a"})


def test_sigkill_under_a_memory_limit_is_reported_as_oom() -> None:
    state = _state()
    _started(state)
    result = state.finish(-signal.SIGKILL, timed_out=False, seconds=3.0)
    assert result.outcome == "oom"
    assert result.message == "out of memory (limit 4 GiB) in test_a: the process was killed"
    assert [t.outcome for t in result.tests] == ["error", "not_run"]


def test_segfault_is_a_crash_named_after_the_signal() -> None:
    state = _state(memory=None)
    _started(state)
    result = state.finish(-signal.SIGSEGV, timed_out=False, seconds=3.0)
    assert (result.outcome, result.exit_code) == ("crashed", 1)
    assert result.message == "the test process was killed by SIGSEGV in test_a"


def test_collection_error_could_not_run() -> None:
    state = _state()
    state.apply({"event": "collect_error", "nodeid": "t.py", "message": "ImportError: no module x"})
    state.apply({"event": "finish", "exitstatus": 2})
    result = state.finish(2, timed_out=False, seconds=1.0)
    assert (result.outcome, result.exit_code) == ("error", 2)
    assert result.message == "could not collect the lab's tests: t.py: ImportError: no module x"


def test_output_tail_keeps_the_last_bytes_and_counts_the_cut() -> None:
    tail = OutputTail(limit=10)
    tail.feed(b"0123456789")
    tail.feed(b"abcdef")
    assert (tail.text(), tail.cut) == ("6789abcdef", 6)


def test_report_reader_waits_for_complete_lines(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    reader = ReportReader(path)
    assert list(reader.read()) == []
    path.write_text('{"event": "started", "nodeid": "a"}\n{"event": "te')
    assert [e["event"] for e in reader.read()] == ["started"]
    with path.open("a") as fh:
        fh.write('st", "nodeid": "a"}\nnot json\n')
    assert [e["event"] for e in reader.read()] == ["test"]


def test_keyboard_interrupt_from_learner_code_is_a_crash() -> None:
    state = _state()
    _started(state)
    state.apply({"event": "abort", "message": "KeyboardInterrupt", "kind": "KeyboardInterrupt"})
    state.apply({"event": "finish", "exitstatus": 2})
    result = state.finish(2, timed_out=False, seconds=1.0)
    assert (result.outcome, result.message) == ("crashed", "KeyboardInterrupt raised in test_a")


def test_first_to_fix_prefers_a_failure_that_names_a_mistake() -> None:
    passed = TestResult("t.py::test_p", "test_p", "passed")
    bare = TestResult("t.py::test_x", "test_x", "failed", message="AssertionError: gradient with respect to X: "
                      "values differ: expected [-5.0539795900329825] got [-4.951792317219952]")
    named = TestResult("t.py::test_k", "test_k", "failed", message="AssertionError: gradient with respect to W_k: "
                       "values differ\nThis looks like dK computed as dS Q, without transposing dS.")
    assert first_to_fix([passed, bare, named]) is named
    assert failures([passed, bare, named]) == [named, bare]
    assert headline(named.message) == "This looks like dK computed as dS Q, without transposing dS."
    assert first_to_fix([passed, bare]) is bare and first_to_fix([passed]) is None
    assert headline(bare.message).endswith("expected [-5.054] got [-4.952]")
    assert message_lines(named.message) == [headline(named.message), "AssertionError: gradient with respect to W_k: "
                                            "values differ"]


def test_tidy_rounds_long_floats_and_nothing_else() -> None:
    text = ("expected [-5.0539795900329825, 4.25, 3.0000001192092896] got [1e-08, 9.103828801926284e-15, 1440, "
            "123456.789012] in torch 2.13.0, x1.123456")
    assert tidy(text) == ("expected [-5.054, 4.25, 3.0] got [1e-08, 9.104e-15, 1440, 1.235e+05] in torch 2.13.0, "
                          "x1.123456")


def test_a_failed_import_is_one_error_for_the_whole_file() -> None:
    state = _state()
    _started(state)
    state.apply({"event": "importing"})
    event = state.apply({"event": "import_error", "message": "SyntaxError in x.py line 3: expected ':'"})
    assert event is not None and (event.kind, event.message) == ("import_error", "SyntaxError in x.py line 3: expected ':'")
    for name in ("test_a", "test_b"):
        state.apply({"event": "test", "nodeid": f"t.py::{name}", "name": name, "outcome": "error",
                     "message": "SyntaxError in x.py line 3: expected ':'"})  # fmt: skip
    state.apply({"event": "finish", "exitstatus": 1})
    result = state.finish(1, timed_out=False, seconds=2.0)
    assert (result.outcome, result.import_error) == ("failed", "SyntaxError in x.py line 3: expected ':'")
    assert result.message == "your file could not be imported, so no test could run: SyntaxError in x.py line 3: expected ':'"


def test_a_crash_while_importing_is_not_blamed_on_the_first_test() -> None:
    state = _state()
    _started(state)
    state.apply({"event": "importing"})
    result = state.finish(5, timed_out=False, seconds=2.0)
    assert result.message == "the test process exited with code 5 (os._exit or a crash) while importing your file"
    assert [t.outcome for t in result.tests] == ["not_run", "not_run"]


def test_tests_stopped_at_their_limit_make_a_timeout_verdict() -> None:
    state = _state()
    state.test_timeout = 10.0
    _started(state)
    state.apply({"event": "test", "nodeid": "t.py::test_a", "name": "test_a", "outcome": "failed", "timeout": True,
                 "message": "stopped after 10 s, this test's time limit"})  # fmt: skip
    state.apply({"event": "test", "nodeid": "t.py::test_b", "name": "test_b", "outcome": "passed"})
    state.apply({"event": "finish", "exitstatus": 1})
    result = state.finish(1, timed_out=False, seconds=12.0)
    assert (result.outcome, result.exit_code) == ("timeout", 1)
    assert result.message == "time limit of 10 s per test reached in test_a; the other tests ran"
