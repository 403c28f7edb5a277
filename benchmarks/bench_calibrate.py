"""Benchmark of talentwar calibrate: six parameters against ten moments on the flagship at
20,000 engineers, 10 replicates a point.

The problem is scenarios/calibration/ai_talent_war_2024.toml cut to its first six
parameters, with its ten fitted moments and three held out. The benchmark measures the
throughput (runs per minute) of the calibration's evaluation loop at 1 and 2 local workers
(and on a local Dask cluster with --dask) on a global design of ``--points`` points, then
extrapolates the full calibration (budget + Jacobian + profiles runs) to this machine and
to a 64-core cluster. ``--full`` runs the whole calibration at 2 workers instead.

    python benchmarks/bench_calibrate.py --points 6
    python benchmarks/bench_calibrate.py --full
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import tomli_w

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.calibration.run import planned_runs, run_calibration  # noqa: E402
from sim.calibration.spec import parse_calibration  # noqa: E402

FILE = ROOT / "scenarios" / "calibration" / "ai_talent_war_2024.toml"


def problem(points: int, local: str, budget: int) -> dict:
    """The benchmark's calibration data: 6 parameters, 10 fitted moments (and the held-out
    ones), 10 replicates."""
    raw = tomllib.loads(FILE.read_text(encoding="utf-8"))
    raw["base"] = str(FILE.parent / raw["base"])
    raw["set"] = ["market.engineers=20000"]
    raw["parameters"] = raw["parameters"][:6]
    fitted = [m for m in raw["moments"] if not m.get("held_out")][:10]
    held = [m for m in raw["moments"] if m.get("held_out")]
    raw["moments"] = fitted + held
    raw["estimator"].update(replicates=10, budget=budget)
    raw["estimator"]["search"].update(points=points, local=local)
    return raw


def timed(raw: dict, workers: int, dask: str | None, profile: bool,
          keep: Path | None = None) -> tuple[float, int]:
    """Seconds and runs of one calibration of ``raw`` (its folder kept in ``keep``)."""
    if not profile:
        raw = {**raw, "estimator": {**raw["estimator"], "profile_points": 0}}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.toml"
        path.write_text(tomli_w.dumps(raw), encoding="utf-8")
        clock = time.perf_counter()
        summary = run_calibration(path, out=keep or Path(tmp) / "out", workers=workers,
                                  dask=dask,
                                  progress=False, plots=False)
        return time.perf_counter() - clock, summary.ran


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=6, help="design points timed")
    parser.add_argument("--dask", action="store_true", help="also time a local Dask cluster")
    parser.add_argument("--full", action="store_true", help="run the whole calibration")
    parser.add_argument("--keep", type=Path, help="--full: calibration folder to keep")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs")
    if args.full:
        raw = problem(64, "nelder-mead", 2000)
        seconds, runs = timed(raw, 2, None, profile=True, keep=args.keep)
        print(f"full calibration at 2 workers: {runs} runs in {seconds / 60:.1f} min")
        return
    raw = problem(args.points, "none", args.points * 10)
    # the start point and 6 x 2 Jacobian points come on top of the design:
    # (points + 1 + 12) x 10 runs
    rates = {}
    configs = [("1 worker", 1, None), ("2 workers", 2, None)]
    if args.dask:
        configs.append(("Dask LocalCluster, 2 workers", 2, "local"))
    for name, workers, dask in configs:
        seconds, runs = timed(raw, workers, dask, profile=False)
        rates[name] = runs / seconds * 60
        print(f"{name}: {runs} runs in {seconds:.1f} s = {rates[name]:.0f} runs/minute")
    full = planned_runs(parse_calibration(problem(64, "nelder-mead", 2000), "bench"))
    print(f"\nfull calibration (budget 2,000 + Jacobian 120 + profiles 6 x 5 x 10 = {full} "
          "runs at most):")
    for name, rate in rates.items():
        print(f"  {name}: about {full / rate:.1f} min")
    one = rates["1 worker"]
    per_run = 60.0 / one  # seconds of one run on one core, loop overhead included
    spec = parse_calibration(problem(64, "nelder-mead", 2000), "bench")
    est = spec.estimator
    batch = est.search.points * 10 + 2 * 6 * 10 + 6 * est.profile_points * 10
    waves = (est.budget - est.search.points * 10) // 10
    cluster = (batch / 64 + waves) * per_run / 60
    print(f"  64 cores: the design, Jacobian and profiles ({batch} runs) spread over 64 "
          f"cores, and the local search's {waves} points of 10 runs each run one after "
          f"another (10 cores busy): about {cluster:.1f} min")

if __name__ == "__main__":
    main()
