"""Save -> verdict with `trainer lab watch kv_cache`, warm (the default) and cold (`--no-warm`), in the same run.

Two watches run side by side on two copies of kv_cache's solution, one warm and one cold. Each round saves the warm
one's file, waits for its verdict, then does the same for the cold one (so they never compete for the cores); the
clock runs from just before the file is written to the verdict line on the watch's output. Every save changes the
file (a numbered comment), so every save is a real check. Also the first check, from starting `trainer lab watch`
to its first verdict, for both (the warm one starts its warm process then and runs in it).

Target: median save -> verdict <= 0.5 s warm; the first warm check no slower than the first cold one. The load
average is printed with the figures (the machine is shared). Writes benchmarks/out/watch.json.
"""

from __future__ import annotations

import json
import os
import platform
import queue
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRAINER = str(Path(sys.executable).with_name("trainer"))
SOLUTION = ROOT / "labs" / "kv_cache" / "solution.py"
SAVES = int(os.environ.get("BENCH_SAVES", "10"))
FIRSTS = int(os.environ.get("BENCH_FIRSTS", "3"))
TARGET_S = 0.5
VERDICT = re.compile(r"^(PASSED|FAILED|CRASHED|TIMEOUT|OOM|ERROR) ")


class Watch:
    """One `trainer lab watch kv_cache --file FILE` and the lines it prints."""

    def __init__(self, folder: Path, warm: bool) -> None:
        folder.mkdir(parents=True)
        self.file = folder / "kv_cache.py"
        self.saves = 0
        self._write()
        env = dict(os.environ, TRAINER_HOME=str(folder / "home"), COLUMNS="200")
        argv = [TRAINER, "lab", "watch", "kv_cache", "--file", str(self.file), "--warm" if warm else "--no-warm"]
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put((time.perf_counter(), line))

    def _write(self) -> None:
        self.file.write_text(SOLUTION.read_text() + f"\n# save {self.saves}\n")

    def verdict(self) -> tuple[float, str]:
        """When the next verdict line appeared, and the line (it must be a pass)."""
        while True:
            at, line = self.lines.get(timeout=120)
            if VERDICT.match(line):
                if not line.startswith("PASSED"):
                    raise SystemExit(f"kv_cache's solution did not pass: {line}")
                return at, line

    def save(self) -> float:
        """Seconds from writing the file to its verdict."""
        self.saves += 1
        start = time.perf_counter()
        self._write()
        at, _ = self.verdict()
        return at - start

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def first_checks(folder: Path) -> dict[str, list[float]]:
    """Seconds from starting the watch to its first verdict, warm and cold in turn."""
    firsts: dict[str, list[float]] = {"warm": [], "cold": []}
    for run in range(FIRSTS):
        for mode in ("warm", "cold"):
            watch = Watch(folder / f"first-{mode}-{run}", warm=mode == "warm")
            at, _ = watch.verdict()
            firsts[mode].append(at - watch.started)
            watch.stop()
    return firsts


def saves(folder: Path) -> dict[str, list[float]]:
    """Seconds from each save to its verdict, warm and cold in turn."""
    watches = {"warm": Watch(folder / "warm", warm=True), "cold": Watch(folder / "cold", warm=False)}
    try:
        for watch in watches.values():
            watch.verdict()  # the first check
        times: dict[str, list[float]] = {"warm": [], "cold": []}
        for _ in range(SAVES):
            for mode, watch in watches.items():
                times[mode].append(watch.save())
        return times
    finally:
        for watch in watches.values():
            watch.stop()


def main() -> None:
    """Measure, print, save."""
    load_before = os.getloadavg()
    folder = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    try:
        save_times = saves(folder)
        first_times = first_checks(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    load_after = os.getloadavg()
    medians = {mode: statistics.median(t) for mode, t in save_times.items()}
    firsts = {mode: statistics.median(t) for mode, t in first_times.items()}
    print(f"machine: {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"load average (1, 5, 15 min): before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")  # fmt: skip
    for mode in ("warm", "cold"):
        spread = ", ".join(f"{t:.2f}" for t in save_times[mode])
        print(f"save -> verdict, {mode}: median {medians[mode]:.3f} s of {SAVES} ({spread})")
    print(f"target: warm <= {TARGET_S} s: {'met' if medians['warm'] <= TARGET_S else 'MISSED'}; "
          f"warm is {medians['cold'] / medians['warm']:.1f}x faster than cold")
    for mode in ("warm", "cold"):
        print(f"first check (watch start -> verdict), {mode}: median {firsts[mode]:.2f} s of {FIRSTS} "
              f"({', '.join(f'{t:.2f}' for t in first_times[mode])})")
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    figures = {"saves": save_times, "save_medians": medians, "first_checks": first_times, "first_medians": firsts,
               "load_before": load_before, "load_after": load_after, "cpus": os.cpu_count()}  # fmt: skip
    (out / "watch.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
