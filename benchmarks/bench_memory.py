"""Benchmark: a run's peak memory, summed over its processes, against the estimate that
``talentwar run`` checks before it starts (:func:`sim.scenario.resources.memory_estimate`).

Usage::

    python benchmarks/bench_memory.py                       # the flagship at 1M and 5M
    python benchmarks/bench_memory.py --sizes 1000000 --scenario benchmarks/market_100_firms.toml
    python benchmarks/bench_memory.py --sizes 200000 -- --no-plots

Each size is one ``talentwar run`` (default outputs: every table, the compressed engineer
table and the plots; arguments after ``--`` are passed on) into a temporary folder. Every
50 ms the benchmark sums the proportional set size (``Pss`` of ``/proc/PID/smaps_rollup``:
shared pages split between the processes sharing them) of the run and every process it
started (the forked plot processes), and reports the largest sum, the largest single
process's resident size, and the estimate / measured ratio. The aim is an estimate within
15% at 1M and 5M engineers (Linux only: it reads /proc).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FLAGSHIP = ROOT / "scenarios" / "ai_talent_war_2024.toml"


def _tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            kids = [int(k) for k in children.read().split()]
    except OSError:
        return [pid]
    return [pid] + [p for k in kids for p in _tree(k)]


def _sizes(pid: int) -> tuple[int, int]:
    """(Pss, Rss) of process ``pid`` in bytes (0, 0 if it is gone)."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1]) * 1024
    except OSError:
        pass
    return pss, rss


def peak_memory(command: list[str], every: float = 0.05) -> tuple[int, int, float]:
    """Run ``command``; return (peak summed Pss, peak single Rss, wall seconds)."""
    clock = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_sum = peak_one = 0
    try:
        while proc.poll() is None:
            sizes = [_sizes(p) for p in _tree(proc.pid)]
            peak_sum = max(peak_sum, sum(pss for pss, _ in sizes))
            peak_one = max([peak_one, *(rss for _, rss in sizes)])
            time.sleep(every)
    finally:
        if proc.poll() is None:
            proc.kill()
        _, err = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"the run failed ({proc.returncode}): {err.decode()[-2000:]}")
    return peak_sum, peak_one, time.perf_counter() - clock


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extra: list[str] = []
    if "--" in argv:
        argv, extra = argv[:argv.index("--")], argv[argv.index("--") + 1:]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--scenario", type=Path, default=FLAGSHIP)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from sim.scenario import load_scenario
    from sim.scenario.resources import memory_estimate

    print("| engineers | estimate (MB) | measured: all processes (MB) | largest process (MB) "
          "| estimate / measured | wall (s) |")
    print("|---|---|---|---|---|---|")
    for n in args.sizes:
        estimate = memory_estimate(load_scenario(args.scenario, [f"market.engineers={n}"]))
        with tempfile.TemporaryDirectory() as tmp:
            command = [sys.executable, "-m", "sim", "run", str(args.scenario), "--quiet",
                       "--set", f"market.engineers={n}", "--out", f"{tmp}/run", *extra]
            total, largest, wall = peak_memory(command)
        print(f"| {n:,} | {estimate / 1e6:,.0f} | {total / 1e6:,.0f} | {largest / 1e6:,.0f} "
              f"| {estimate / total:.2f} | {wall:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
