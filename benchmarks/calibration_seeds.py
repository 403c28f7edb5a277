"""Pass rate of each calibration fact of the flagship over many seeds.

Usage::

    python benchmarks/calibration_seeds.py --seeds 20               # flagship size
    python benchmarks/calibration_seeds.py --seeds 20 --engineers 50000

Runs ``scenarios/ai_talent_war_2024.toml`` for seeds 1..N (in worker processes), computes
the measures and checks of ``tests/test_calibration.py`` (one definition), and prints each
fact's pass rate and each measure's 10th, 50th and 90th percentiles over the seeds. The
tolerances of docs/calibration.md are chosen from this spread. Deal prices per engineer
depend on the size of the teams, so a reduced market (``--engineers``) shifts fact 3.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_calibration import TOLERANCES, checks, measures, run_flagship  # noqa: E402


def one(args: tuple[int, int | None]) -> tuple[dict[str, float], dict[str, bool]]:
    seed, engineers = args
    m = measures(run_flagship(seed, engineers))
    return m, checks(m)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--engineers", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    jobs = [(seed, args.engineers) for seed in range(1, args.seeds + 1)]
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(one, jobs))
    print(f"{args.seeds} seeds, {args.engineers or 'flagship'} engineers")
    print("| fact | tolerance | pass rate |")
    print("|---|---|---|")
    for fact, text in TOLERANCES.items():
        rate = np.mean([ok[fact] for _, ok in results])
        print(f"| {fact} | {text} | {rate:.0%} |")
    print()
    print("| measure | p10 | median | p90 |")
    print("|---|---|---|---|")
    for key in results[0][0]:
        values = np.array([m[key] for m, _ in results], dtype=float)
        p10, p50, p90 = np.nanpercentile(values, [10, 50, 90])
        print(f"| {key} | {p10:,.3g} | {p50:,.3g} | {p90:,.3g} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
