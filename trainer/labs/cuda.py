"""Whether a check on CUDA can run here, told at once and without importing torch (seconds, and never in the app).

The grading process still has the last word (`torch.cuda.is_available()` there); this only refuses the cases that
are certain: a CPU-only build of torch, every GPU hidden, or no GPU driver on a Linux machine.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

DRIVER_PATHS = ("/dev/nvidiactl", "/proc/driver/nvidia", "/dev/kfd")
"""What an NVIDIA (or, for ROCm builds, AMD) driver puts on a Linux machine."""
_FIELD = re.compile(r"^(__version__|cuda|hip)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)
WHAT_TO_DO = "use the cpu or auto device (--device, or `trainer config lab_device auto`)"


def torch_build() -> dict[str, str | None] | None:
    """`__version__`, `cuda` and `hip` of the installed torch, read from torch/version.py as text (None: unknown)."""
    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    try:
        text = (Path(next(iter(spec.submodule_search_locations))) / "version.py").read_text(encoding="utf-8")
    except (OSError, StopIteration):
        return None
    fields = {name: value.strip("'\"") for name, value in _FIELD.findall(text)}
    if "__version__" not in fields:
        return None
    return {name: None if fields.get(name, "None") == "None" else fields[name] for name in ("__version__", "cuda", "hip")}


def cuda_problem() -> str | None:
    """Why a check cannot run on CUDA on this machine, with what to do; None when it may."""
    build = torch_build()
    if build is not None and not build["cuda"] and not build["hip"]:
        return f"this torch ({build['__version__']}) is a CPU-only build, so nothing runs on CUDA: {WHAT_TO_DO}"
    if os.environ.get("CUDA_VISIBLE_DEVICES") in ("", "-1"):
        return f"CUDA_VISIBLE_DEVICES={os.environ['CUDA_VISIBLE_DEVICES']!r} hides every GPU: {WHAT_TO_DO}"
    if sys.platform.startswith("linux") and not any(Path(p).exists() for p in DRIVER_PATHS):
        return f"no GPU driver is visible on this machine (no {DRIVER_PATHS[0]}): {WHAT_TO_DO}"
    return None
