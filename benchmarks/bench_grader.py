"""Grader overhead: `trainer lab check kv_cache` vs a bare `import torch, pytest`, and the first labs' test time.

Targets: median(check) / median(import) <= 1.5, and the three first labs graded on CPU in <= 30 s in all.
Also the CPU seconds of each (the command and all it started): on a shared machine, wall time mostly measures the
wait for a core, CPU time what the work costs. Prints a table and writes benchmarks/out/grader.json.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trainer.labs import all_labs, check_lab  # noqa: E402

RUNS = 5
FIRST_LABS = ("kv_cache", "attention_gradient", "longformer")
RATIO_TARGET = 1.5
LABS_TARGET_S = 30.0


def _cpu() -> float:
    """CPU seconds used so far by the finished children of this process and their own children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _wall(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of `command`."""
    cpu, start = _cpu(), time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited with {proc.returncode}")
    return elapsed, _cpu() - cpu


def overhead(home: Path) -> dict[str, float]:
    """Median wall seconds of a full `trainer lab check` and of `python -c 'import torch, pytest'`, interleaved."""
    env = dict(os.environ, TRAINER_HOME=str(home))
    env.pop("TRAINER_LABS", None)
    trainer = str(Path(sys.executable).with_name("trainer"))
    check = [trainer, "lab", "check", "kv_cache", "--file", str(ROOT / "labs/kv_cache/solution.py"), "--json"]
    bare = [sys.executable, "-c", "import torch, pytest"]
    _wall(bare, env)  # warm the page cache
    checks, bares = [], []
    for _ in range(RUNS):
        checks.append(_wall(check, env))
        bares.append(_wall(bare, env))
    c, b = (statistics.median(t[0] for t in runs) for runs in (checks, bares))
    c_cpu, b_cpu = (statistics.median(t[1] for t in runs) for runs in (checks, bares))
    return {"check_s": c, "import_torch_pytest_s": b, "ratio": c / b, "check_cpu_s": c_cpu,
            "import_torch_pytest_cpu_s": b_cpu, "cpu_ratio": c_cpu / b_cpu}


def labs_time() -> dict[str, dict[str, float]]:
    """Wall seconds of one grading run per first lab, and the time its tests themselves took."""
    present = {lab.slug: lab for lab in all_labs()}
    out = {}
    for slug in FIRST_LABS:
        if slug not in present:
            continue
        result = check_lab(slug, present[slug].solution, "cpu")
        out[slug] = {
            "wall_s": result.seconds,
            "tests_s": sum(t.seconds for t in result.tests),
            "passed": result.passed,
            "total": result.total,
        }
    return out


def main() -> None:
    """Run both measurements, print them, save them."""
    with tempfile.TemporaryDirectory() as home:
        over = overhead(Path(home))
    per_lab = labs_time()
    total = sum(v["wall_s"] for v in per_lab.values())
    print(f"machine: {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"trainer lab check kv_cache (median of {RUNS}): {over['check_s']:.2f} s")
    print(f"python -c 'import torch, pytest' (median of {RUNS}): {over['import_torch_pytest_s']:.2f} s")
    print(f"ratio: {over['ratio']:.2f} (target <= {RATIO_TARGET})")
    print(f"CPU seconds: check {over['check_cpu_s']:.2f}, import {over['import_torch_pytest_cpu_s']:.2f}, "
          f"ratio {over['cpu_ratio']:.2f}")
    for slug, row in per_lab.items():
        passed = f"{row['passed']:.0f}/{row['total']:.0f} passed"
        print(f"  {slug}: {row['wall_s']:.2f} s wall, tests {row['tests_s']:.2f} s, {passed}")
    print(f"first labs graded on CPU: {total:.2f} s for {len(per_lab)} labs (target <= {LABS_TARGET_S:g} s)")
    out_dir = ROOT / "benchmarks" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = {"overhead": over, "labs": per_lab, "labs_total_s": total}
    (out_dir / "grader.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
