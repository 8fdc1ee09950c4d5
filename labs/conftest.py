"""Pytest fixtures for every lab's tests: the learner's module (`lab`), the `device`, and the forbidden-call guard.

`pytest labs/<slug>/test_<slug>.py --lab-file PATH --device cpu|cuda` grades PATH; without --lab-file
the lab's own solution.py is graded. This file needs only torch and pytest (it also runs on GPU machines).
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch

from labs.grading import forbid


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("trainer lab")
    group.addoption("--lab-file", default=None, help="learner file to grade (default: the lab's solution.py)")
    group.addoption("--device", default="cpu", choices=["cpu", "cuda"], help="device the tests run on")


class Learner:
    """The learner's module; a missing public name fails with a message that names it."""

    def __init__(self, module: ModuleType, path: Path) -> None:
        self._module = module
        self._path = path

    def __getattr__(self, name: str) -> Any:
        try:
            return getattr(self._module, name)
        except AttributeError:
            raise AttributeError(f"{self._path.name} does not define `{name}`, which this lab requires") from None


def lab_config(lab_dir: Path) -> dict[str, Any]:
    """The lab's lab.toml as a dict."""
    with (lab_dir / "lab.toml").open("rb") as fh:
        return tomllib.load(fh)


def load_learner(path: Path) -> Learner:
    """Import `path` under a unique module name; import-time failures become one clear test failure."""
    name = "learner_" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        pytest.fail(f"cannot import {path}: not a Python file", pytrace=False)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        pytest.fail(f"SyntaxError in {path.name} line {exc.lineno}: {exc.msg}", pytrace=False)
    except SystemExit as exc:
        sys.modules.pop(name, None)
        pytest.fail(f"{path.name} called sys.exit({exc.code!r}) while being imported", pytrace=False)
    except Exception as exc:  # noqa: BLE001 - any learner error becomes a readable failure
        sys.modules.pop(name, None)
        pytest.fail(f"importing {path.name} raised {type(exc).__name__}: {exc}", pytrace=False)
    return Learner(module, path)


def _lab_dir(request: pytest.FixtureRequest) -> Path:
    return Path(str(request.path)).resolve().parent


@pytest.fixture(scope="session")
def device(request: pytest.FixtureRequest) -> torch.device:
    """The device under test; on CUDA, TF32 is off so float32 tolerances hold."""
    name = request.config.getoption("--device")
    if name == "cuda":
        if not torch.cuda.is_available():
            pytest.exit("--device cuda was asked for, but no CUDA device is available", returncode=2)
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    return torch.device(name)


@pytest.fixture(scope="module")
def lab(request: pytest.FixtureRequest) -> Learner:
    """The module under test: --lab-file, or this lab's solution.py."""
    lab_dir = _lab_dir(request)
    option = request.config.getoption("--lab-file")
    path = Path(option).resolve() if option else lab_dir / "solution.py"
    forbid.install(lab_config(lab_dir).get("forbidden", []))
    with forbid.guarded():
        return load_learner(path)


@pytest.fixture(autouse=True)
def _forbidden_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """Forbidden calls raise for the whole test; tests compute expected values inside `reference()`."""
    lab_toml = _lab_dir(request) / "lab.toml"
    if lab_toml.exists():
        forbid.install(lab_config(lab_toml.parent).get("forbidden", []))
    with forbid.guarded():
        yield
