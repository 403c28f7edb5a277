"""Benchmark of sweeps: throughput, per-run overhead and memory of the sweep process.

Usage (from the repository root)::

    PYTHONPATH=. python3 benchmarks/bench_sweep.py [--runs 200] [--engineers 10000]
        [--months 60] [--workers 2] [--memory-runs 50,100,200,400]

It prints

1. the sum S of single-run times: every run of the sweep (same overrides and seed) timed
   alone in one process, building and running the model as ``talentwar run`` does;
2. the wall time W of the same sweep with ``--workers N``, runs per minute, and the
   criterion W <= 1.2 * S / N;
3. the peak resident memory (VmHWM) of the sweep process, each sweep run in a fresh
   process, against the number of runs: flat if nothing grows with the number of runs;
4. the resident memory of one worker process after 10, 50, 100, 200 runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "sweeps" / "small_market.toml"


def sweep_text(runs: int, engineers: int, months: int) -> str:
    """A one-parameter grid sweep of ``runs`` runs (10 points x runs/10 replicates)."""
    points = 10
    return f"""
name = "bench"
base = "{BASE}"
seed = 1
replicates = {max(runs // points, 1)}
months = {months}
set = ["market.engineers={engineers}"]
[[parameters]]
key = "compute.threshold"
min = 1000
max = 100000
steps = {points}
scale = "log"
[[measures]]
column = "top_share_above_threshold"
[[measures]]
column = "top_hhi"
keep = "series"
"""


def single_run_times(path: Path) -> list[float]:
    """Time every run of the sweep alone, serially, in this process."""
    from sim.model import TalentMarket
    from sim.scenario import load_scenario, parse_overrides
    from sim.sweeps.run import plan_sweep

    plan = plan_sweep(path)
    fixed = {**parse_overrides(plan.spec.overrides), "months": plan.spec.months}
    times = []
    for task in plan.tasks():
        clock = time.perf_counter()
        model = TalentMarket(load_scenario(BASE, {**fixed, **dict(task.overrides)}), seed=task.seed)
        model.run()
        _ = model.market
        times.append(time.perf_counter() - clock)
    return times


# Peak RSS is read from VmHWM in /proc/self/status: unlike ru_maxrss, Linux does not carry
# it over from the parent through fork and exec.
CHILD = """
import json, sys, time
from sim.sweeps.run import run_sweep
clock = time.perf_counter()
summary = run_sweep(sys.argv[1], out=sys.argv[2], workers=int(sys.argv[3]), progress=False)
wall = time.perf_counter() - clock
with open("/proc/self/status") as status:
    hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
print(json.dumps({"wall": wall, "done": summary.done, "maxrss_mb": hwm / 1024}))
"""


WORKER = """
import json, sys
from sim.sweeps.run import plan_sweep
from sim.sweeps.worker import execute_run
def rss():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS")) / 1024
plan = plan_sweep(sys.argv[1])
job, out = plan.job(), {}
for k, task in enumerate(plan.tasks(), 1):
    execute_run(task, job)
    if k in (10, 50, 100, 200, 400):
        out[k] = rss()
print(json.dumps(out))
"""


def worker_memory(path: Path) -> dict[str, float]:
    """Resident memory of one process running the sweep's runs one after another, as a
    worker does, after 10, 50, 100, 200... runs."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", WORKER, str(path)], env=env,
                            capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(result.stdout.strip().splitlines()[-1])


def sweep_in_child(path: Path, out: Path, workers: int) -> dict[str, float]:
    """Run a sweep in a fresh Python process; return its wall time and peak RSS."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", CHILD, str(path), str(out), str(workers)],
                            env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--engineers", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-runs", default="50,100,200,400",
                        help="sweep sizes for the memory figure (comma-separated)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = tmp / "bench.toml"
        path.write_text(sweep_text(args.runs, args.engineers, args.months))
        print(f"sweep: {args.runs} runs of a {args.engineers:,}-engineer, {args.months}-month "
              f"market; {args.workers} workers; {os.cpu_count()} CPUs")
        load = os.getloadavg()[0]
        print(f"load average before starting: {load:.2f}"
              + (" (other processes are using the CPUs: figures will be off)"
                 if load > 0.5 else ""))
        times = single_run_times(path)
        total = sum(times)
        print(f"single runs, one process: sum S = {total:.2f} s "
              f"(mean {total / len(times) * 1000:.0f} ms per run)")
        result = sweep_in_child(path, tmp / "sweep", args.workers)
        wall, limit = result["wall"], 1.2 * total / args.workers
        print(f"sweep on {args.workers} workers: W = {wall:.2f} s "
              f"({result['done'] / wall * 60:.0f} runs/minute; "
              f"S/W = {total / wall:.2f}x speed-up)")
        verdict = "PASS" if wall <= limit else "FAIL"
        print(f"criterion W <= 1.2 S / {args.workers} = {limit:.2f} s: {verdict} "
              f"(W / (S/{args.workers}) = {wall / (total / args.workers):.3f})")
        print("peak RSS of the sweep process (fresh process per sweep):")
        print(f"  {'runs':>6}  {'wall s':>8}  {'peak RSS MB':>12}")
        for runs in (int(x) for x in args.memory_runs.split(",")):
            small = tmp / f"mem{runs}.toml"
            small.write_text(sweep_text(runs, args.engineers, args.months))
            res = sweep_in_child(small, tmp / f"mem{runs}", args.workers)
            print(f"  {runs:>6}  {res['wall']:>8.2f}  {res['maxrss_mb']:>12.1f}")
        print("resident memory of a worker process after k runs (one process, run by run):")
        print("  " + ", ".join(f"{k} runs: {v:.1f} MB" for k, v in worker_memory(path).items()))
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0 if wall <= limit else 1


if __name__ == "__main__":
    sys.exit(main())
