"""Benchmark of sweeps: throughput, per-run overhead and memory of the sweep process.

Usage (from the repository root)::

    PYTHONPATH=. python3 benchmarks/bench_sweep.py [--runs 200] [--engineers 10000]
        [--months 60] [--workers 2] [--pairs 1] [--memory-runs 50,100,200,400]
        [--worker-runs 500]

It prints

1. the single-run times, two ways: every run of the sweep (same overrides and seed) run
   alone, one after another in one process,

   - **R**, as ``talentwar run`` builds a run: the scenario file loaded with the run's
     overrides (:func:`sim.scenario.load_scenario`), the model built recording everything
     (``TalentMarket(scenario, seed=...)``), run, and its market table made; this is the
     single run of the benchmark when issue #18 was written (34af249's
     ``bench_sweep.py``, whose W / (R/N) was 0.91): what running each point alone costs,
     against which a sweep's throughput is judged;
   - **S**, exactly as a worker runs it (:func:`sim.sweeps.worker.execute_run`: the base
     scenario parsed once, the model recording only the measures' columns), the stricter
     reference: a sweep on N cores cannot take less than S / N;

   their sums (wall) and CPU times, and the runs a minute one core makes at that CPU time;
2. the wall time W of the same sweep with ``--workers N``, runs per minute, W / (R/N)
   against the criterion W <= R / N (as the issue measured it) and W / (S/N) (the sweep's
   own overhead, with the workers' start, the hand-over of runs and the writing of the
   tables: at least 1 whatever the sweep does), and the CPU time of the sweep process and
   its workers against the single runs', which other processes on the machine disturb
   less than wall time. With ``--pairs K`` (K > 1), R, S and W are
   measured K times in turn (S, R, W, W, R, S...: each pair's measurements close
   together, their order alternating), each pair's ratios printed, and the criteria judged
   on the median ratios: a machine whose speed drifts by 10-20% within minutes moves one
   ratio that much, the median of several much less. Beside it, the sweep's own overhead
   timed within the sweep: W / (S_w/N), S_w the sum of the runs' times as the workers
   timed them (``runs.csv``): the start, the hand-over of runs, the imbalance of the last
   runs and the writing of the tables, free of any drift between the S and W
   measurements; S_w / S is what running N runs at once costs each (the cores' shared
   caches and memory, other processes), which the sweep's code does not decide. The exit
   status is 0 when the median W / (R/N) is at most 1 and the median own overhead at most
   :data:`OWN_OVERHEAD_LIMIT`;
3. the peak resident memory (VmHWM) of the sweep process, each sweep run in a fresh
   process, against the number of runs: flat if nothing grows with the number of runs;
4. the resident memory of one worker process after 10, 50, 100, 200 and 500 runs (one
   process running ``--worker-runs`` runs one after another and freeing each one's memory
   after it, as a worker does), and its
   change from 50 to 500 runs against the criterion: within 10%.

R and S are measured, and the one-worker figure made, with the C allocator set as the
``talentwar`` command and its workers set it (:func:`sim.files.processes.keep_freed_memory`,
where the checkout has it).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OWN_OVERHEAD_LIMIT = 1.05
"""The most the sweep's own overhead W / (S_w/N) of the standard 200-run sweep may be for the
exit status to be 0 (1.027-1.033 measured on 7 December 2026)."""
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


def single_run_times(path: Path, limit: int | None = None, *, as_run: bool = False
                     ) -> tuple[list[float], list[float]]:
    """Run every run of the sweep (or its first ``limit``) alone, serially, in this
    process, as a worker runs it (:func:`sim.sweeps.worker.execute_run`) or, with
    ``as_run``, as ``talentwar run`` builds a run (the scenario file loaded with the run's
    overrides, the model recording everything, its market table made: 34af249's single
    run); return each run's wall and CPU seconds."""
    from sim.model import TalentMarket
    from sim.scenario import load_scenario, parse_overrides
    from sim.sweeps.run import plan_sweep
    from sim.sweeps.worker import execute_run

    plan = plan_sweep(path)
    job = plan.job()
    fixed = {**parse_overrides(plan.spec.overrides), "months": plan.spec.months}
    walls, cpus = [], []
    for task in itertools.islice(plan.tasks(), limit):
        clock, cpu = time.perf_counter(), time.process_time()
        if as_run:
            model = TalentMarket(load_scenario(BASE, {**fixed, **dict(task.overrides)}),
                                 seed=task.seed)
            model.run()
            _ = model.market
        else:
            result = execute_run(task, job)
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - clock)
        if not as_run and result.status != "done":
            raise SystemExit(f"run {task.run_id} failed: {result.error}")
    return walls, cpus


# Peak RSS is read from VmHWM in /proc/self/status: unlike ru_maxrss, Linux does not carry
# it over from the parent through fork and exec.
# CPU time: this process and its (finished, reaped) worker processes.
CHILD = """
import json, resource, sys, time
from sim.sweeps.run import run_sweep
def cpu():
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
               resource.getrusage(resource.RUSAGE_CHILDREN)))
clock, start = time.perf_counter(), cpu()
summary = run_sweep(sys.argv[1], out=sys.argv[2], workers=int(sys.argv[3]), progress=False)
wall = time.perf_counter() - clock
with open("/proc/self/status") as status:
    hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
print(json.dumps({"wall": wall, "cpu": cpu() - start, "done": summary.done,
                  "maxrss_mb": hwm / 1024}))
"""


WORKER = """
import json, sys
from sim.files import processes
from sim.sweeps.run import plan_sweep
from sim.sweeps.worker import execute_run, release_memory
getattr(processes, "keep_freed_memory", lambda: False)()  # as a worker process has it
def rss():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS")) / 1024
plan = plan_sweep(sys.argv[1])
job, out = plan.job(), {}
for k, task in enumerate(plan.tasks(), 1):
    execute_run(task, job)
    release_memory()
    if k in (10, 50, 100, 200, 400, 500, 1000):
        out[k] = rss()
print(json.dumps(out))
"""


def worker_memory(path: Path) -> dict[str, float]:
    """Resident memory of one process running the sweep's runs one after another, as a
    worker does, after 10, 50, 100, 200, 500... runs."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", WORKER, str(path)], env=env,
                            capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(result.stdout.strip().splitlines()[-1])


def runs_wall_time(folder: Path) -> list[float]:
    """Each run's wall time as the sweep's worker timed it (``runs.csv``, ``wall_time``:
    :func:`sim.sweeps.worker.execute_run`, from the scenario's validation to the measures
    taken)."""
    with open(folder / "runs.csv", newline="") as table:
        return [float(row["wall_time"]) for row in csv.DictReader(table)]


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
    parser.add_argument("--pairs", type=int, default=1,
                        help="measure S and W this many times in turn; judge on the median "
                             "ratio")
    parser.add_argument("--memory-runs", default="50,100,200,400",
                        help="sweep sizes for the sweep process's memory (comma-separated; "
                             "empty: skip)")
    parser.add_argument("--worker-runs", type=int, default=500,
                        help="runs of the one-worker memory figure (0: skip)")
    args = parser.parse_args()
    if args.pairs < 1:
        parser.error("--pairs must be at least 1")
    # R and S measured under the allocator the command and its workers have
    from sim.files import processes

    getattr(processes, "keep_freed_memory", lambda: False)()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = tmp / "bench.toml"
        path.write_text(sweep_text(args.runs, args.engineers, args.months))
        print(f"sweep: {args.runs} runs of a {args.engineers:,}-engineer, {args.months}-month "
              f"market; {args.workers} workers; {os.cpu_count()} CPUs")
        load = os.getloadavg()[0]
        print(f"load average before starting: {load:.2f}"
              + (" (other processes are using the CPUs: wall times will be off; the CPU "
                 "times less so)" if load > 0.5 else ""))
        # One run first, not counted: the first run in a process pays for imports and
        # first-use set-up that the single runs measured after it do not.
        single_run_times(path, limit=1)
        ratios, issue_ratios, cpu_ratios, rates, own = [], [], [], [], []
        for pair in range(args.pairs):
            # Alternate the order, so that a drift in the machine's speed does not favour
            # one side.
            order = ("S", "R", "W") if pair % 2 == 0 else ("W", "R", "S")
            for side in order:
                if side == "S":
                    walls, cpus = single_run_times(path)
                    total, cpu_total = sum(walls), sum(cpus)
                elif side == "R":
                    run_walls, run_cpus = single_run_times(path, as_run=True)
                    run_total = sum(run_walls)
                else:
                    result = sweep_in_child(path, tmp / f"sweep{pair}", args.workers)
            print(f"single runs as talentwar run builds them, one process: sum R = "
                  f"{run_total:.2f} s (mean {run_total / len(run_walls) * 1000:.0f} ms per "
                  f"run); CPU {sum(run_cpus):.2f} s")
            print(f"single runs as a worker runs them, one process: sum S = {total:.2f} s "
                  f"(mean {total / len(walls) * 1000:.0f} ms per run); CPU "
                  f"{cpu_total:.2f} s (mean {cpu_total / len(cpus) * 1000:.0f} ms per run: "
                  f"{60 * len(cpus) / cpu_total:.0f} runs a minute on one core)")
            wall, limit = result["wall"], total / args.workers
            issue_ratios.append(wall / (run_total / args.workers))
            ratios.append(wall / limit)
            cpu_ratios.append(result["cpu"] / cpu_total)
            rates.append(result["done"] / wall * 60)
            print(f"sweep on {args.workers} workers: W = {wall:.2f} s "
                  f"({rates[-1]:.0f} runs/minute; R/W = {run_total / wall:.2f}x, "
                  f"S/W = {total / wall:.2f}x speed-up)")
            print(f"criterion W <= R / {args.workers} = {run_total / args.workers:.2f} s "
                  f"(the issue's, against runs alone as talentwar run builds them): "
                  f"{'PASS' if issue_ratios[-1] <= 1.0 else 'FAIL'} "
                  f"(W / (R/{args.workers}) = {issue_ratios[-1]:.3f}; 34af249: 0.91)")
            print(f"strict: W / (S/{args.workers}) = {ratios[-1]:.3f} (S/{args.workers} = "
                  f"{limit:.2f} s: the runs as the workers run them, on {args.workers} cores "
                  "with no overhead)")
            inside = sum(runs_wall_time(tmp / f"sweep{pair}"))
            own.append(wall / (inside / args.workers))
            print(f"the same sweep's runs, as its workers timed them: {inside:.2f} s in all "
                  f"({inside / total:.3f} x S: runs side by side against one at a time); "
                  f"W / ({inside:.2f}/{args.workers}) = {own[-1]:.3f}: the sweep's own "
                  "overhead (start, hand-over, last runs, tables), timed within one sweep")
            print(f"CPU of the sweep process and its workers: {result['cpu']:.2f} s, "
                  f"{cpu_ratios[-1]:.3f} x the single runs' CPU (S) "
                  f"({60 * result['done'] / result['cpu'] * args.workers:.0f} runs/minute "
                  f"on {args.workers} free cores at that CPU time)")
        median = statistics.median(issue_ratios)
        if args.pairs > 1:
            print(f"{args.pairs} pairs: W / (R/{args.workers}) "
                  + ", ".join(f"{r:.3f}" for r in issue_ratios)
                  + f"; median {median:.3f}: {'PASS' if median <= 1.0 else 'FAIL'} (34af249: "
                  + f"0.91); strict W / (S/{args.workers}) "
                  + ", ".join(f"{r:.3f}" for r in ratios)
                  + f" (median {statistics.median(ratios):.3f}); CPU ratio "
                  + ", ".join(f"{r:.3f}" for r in cpu_ratios)
                  + f" (median {statistics.median(cpu_ratios):.3f}); runs a minute "
                  + ", ".join(f"{r:.0f}" for r in rates)
                  + f" (median {statistics.median(rates):.0f}); the sweep's own overhead "
                  + ", ".join(f"{r:.3f}" for r in own)
                  + f" (median {statistics.median(own):.3f})")
        if args.memory_runs:
            print("peak RSS of the sweep process (fresh process per sweep):")
            print(f"  {'runs':>6}  {'wall s':>8}  {'peak RSS MB':>12}")
            for runs in (int(x) for x in args.memory_runs.split(",")):
                small = tmp / f"mem{runs}.toml"
                small.write_text(sweep_text(runs, args.engineers, args.months))
                res = sweep_in_child(small, tmp / f"mem{runs}", args.workers)
                print(f"  {runs:>6}  {res['wall']:>8.2f}  {res['maxrss_mb']:>12.1f}")
        if args.worker_runs:
            many = tmp / "worker.toml"
            many.write_text(sweep_text(args.worker_runs, args.engineers, args.months))
            memory = worker_memory(many)
            print("resident memory of a worker process after k runs (one process, run by "
                  "run):")
            print("  " + ", ".join(f"{k} runs: {v:.1f} MB" for k, v in memory.items()))
            if "50" in memory and "500" in memory:
                growth = memory["500"] / memory["50"] - 1
                print(f"criterion: within 10% from 50 to 500 runs: "
                      f"{'PASS' if abs(growth) <= 0.10 else 'FAIL'} ({growth:+.1%})")
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    # The exit status: the issue's criterion, and the sweep's own overhead within 5% (W
    # against R alone would let an overhead of a third pass: a run as a worker runs it
    # costs about 60% of R).
    overhead = statistics.median(own)
    if overhead > OWN_OVERHEAD_LIMIT:
        print(f"the sweep's own overhead {overhead:.3f} is above {OWN_OVERHEAD_LIMIT}: FAIL")
    return 0 if median <= 1.0 and overhead <= OWN_OVERHEAD_LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
