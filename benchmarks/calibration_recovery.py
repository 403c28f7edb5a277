"""Monte Carlo of parameter recovery: coverage of the reported intervals.

For each of N data seeds: simulate the small recovery problem of
tests/calibration/common.py at θ* (textbook job ladder, 2,000 engineers, 12 months; θ* =
separation 0.02, on-the-job search 0.10), take one run's moments as targets and the spread of
12 other runs as their SEs, calibrate from the search's own start (a Latin hypercube, then
Nelder-Mead), and record whether θ* lies within ±1 reported SE and within the reported 95%
interval (``parameters.csv``'s ``ci95_low``-``ci95_high``: logit scale, or cut at a bound;
docs/calibrate.md). The flagship's own design: benchmarks/flagship_recovery.py.

    python benchmarks/calibration_recovery.py --runs 20 --processes 2

Prints a Markdown coverage table (share of runs where θ* is within ±1 SE and inside the
bounded 95% interval, per parameter), as pasted into docs/calibrate.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.calibration.recovery import recovery_calibration, synthetic_targets  # noqa: E402
from sim.calibration.run import run_calibration  # noqa: E402
from tests.calibration.common import (  # noqa: E402
    ESTIMATOR,
    FIXED,
    MEASURES,
    MOMENTS,
    PARAMETERS,
    TEXTBOOK,
    TRUTH,
)


def one(data_seed: int) -> list[dict[str, float]]:
    """One recovery with data seed ``data_seed`` (calibration seed 1000 + data_seed)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        targets, ses = synthetic_targets(TEXTBOOK, FIXED, TRUTH, MEASURES, data_seed=data_seed)
        path = recovery_calibration(folder / "r.toml", base=TEXTBOOK, fixed=FIXED,
                                    parameters=PARAMETERS, moments=MOMENTS, targets=targets,
                                    ses=ses, estimator=ESTIMATOR, seed=1000 + data_seed)
        run_calibration(path, out=folder / "out", progress=False, plots=False)
        table = pd.read_csv(folder / "out" / "parameters.csv").set_index("parameter")
    rows = []
    for key, true in TRUTH.items():
        est, se = float(table.loc[key, "estimate"]), float(table.loc[key, "se"])
        low, high = float(table.loc[key, "ci95_low"]), float(table.loc[key, "ci95_high"])
        rows.append({"seed": data_seed, "parameter": key, "true": true, "estimate": est,
                     "se": se, "z": (est - true) / se, "inside": low <= true <= high})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    clock = time.perf_counter()
    with ProcessPoolExecutor(args.processes) as pool:
        results = [row for rows in pool.map(one, range(1, args.runs + 1)) for row in rows]
    df = pd.DataFrame(results)
    print(f"{args.runs} recoveries in {time.perf_counter() - clock:.0f} s\n")
    print("| parameter | θ* | mean estimate | SD of estimates | mean reported SE | "
          "θ* within ±1 SE (68%) | θ* inside the bounded 95% interval |")
    print("|---|---|---|---|---|---|---|")
    for key, part in df.groupby("parameter", sort=False):
        z = part["z"].abs()
        print(f"| `{key}` | {TRUTH[str(key)]:g} | {part['estimate'].mean():.4g} | "
              f"{part['estimate'].std(ddof=1):.3g} | {part['se'].mean():.3g} | "
              f"{np.mean(z <= 1):.0%} | {part['inside'].mean():.0%} |")
    print()
    print(df.to_string(index=False))


if __name__ == "__main__":
    main()
