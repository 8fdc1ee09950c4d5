"""Coding labs from the trainer's side: the registry, the learner's workspace, and the grader (cold and warm)."""

from trainer.labs.grader import (
    DEFAULT_MEMORY,
    CheckCancelled,
    DEFAULT_TEST_TIMEOUT,
    DEFAULT_TIMEOUT,
    DEVICES,
    check_device,
    check_lab,
    pytest_args,
    stream_check,
)
from trainer.labs.registry import Lab, LabError, LabNotFound, all_labs, catalog, find_lab, labs_root, parse_hints
from trainer.labs.results import CheckResult, TestEvent, TestResult
from trainer.labs.warm import WarmGrader
from trainer.labs.workspace import (
    attempt_status,
    is_untouched,
    next_hint,
    record_attempt,
    reset,
    start,
    workspace_file,
)

__all__ = [
    "DEFAULT_MEMORY",
    "DEFAULT_TEST_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "DEVICES",
    "CheckCancelled",
    "CheckResult",
    "Lab",
    "LabError",
    "LabNotFound",
    "TestEvent",
    "TestResult",
    "WarmGrader",
    "all_labs",
    "attempt_status",
    "catalog",
    "check_device",
    "check_lab",
    "find_lab",
    "is_untouched",
    "labs_root",
    "next_hint",
    "parse_hints",
    "pytest_args",
    "record_attempt",
    "reset",
    "start",
    "stream_check",
    "workspace_file",
]
