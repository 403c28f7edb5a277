"""Parameter recovery: synthetic targets simulated at known parameters θ*.

:func:`synthetic_targets` runs the base scenario at θ* and returns, for each moment, the
value of one "observed" run (seed ``data_seed``) as the target and the standard deviation
over ``spread_runs`` other runs at θ* as its standard error (one simulated market stands for
the observed one, as the (1 + 1/R) correction assumes). :func:`recovery_calibration` writes
those targets into a calibration file. Used by the recovery test and
``benchmarks/calibration_recovery.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from sim.calibration.spec import Moment
from sim.calibration.worker import MomentJob, evaluate_run
from sim.errors import UserError
from sim.files import write_text
from sim.scenario import load_scenario
from sim.sweeps.designs import plain_data, point_overrides, run_seed
from sim.sweeps.worker import RunTask


def simulate(base: dict[str, Any], moments: Sequence[Any], overrides: Mapping[str, Any],
             seeds: Sequence[int]) -> np.ndarray:
    """The measures (runs x M) of the base scenario with ``overrides`` at each seed."""
    wrapped = tuple(Moment(name=f"m{i}", measure=m, target=0.0, se=1.0, source="synthetic")
                    for i, m in enumerate(moments))
    job = MomentJob(base, "recovery", wrapped)
    rows = []
    for i, seed in enumerate(seeds):
        result = evaluate_run(RunTask(i, 0, i, seed, tuple(overrides.items())), job)
        if result.status != "done":
            raise UserError(f"recovery run with seed {seed} failed: {result.error}")
        rows.append(result.values)
    return np.array(rows, dtype=float)


def synthetic_targets(base_path: Path, fixed: Sequence[str], truth: Mapping[str, float],
                      moments: Sequence[Any], data_seed: int, spread_root: int = 99_991,
                      spread_runs: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """(targets, SEs): one run at θ* with ``data_seed``, and the SD over ``spread_runs`` runs
    at θ* with seeds ``run_seed(spread_root, i)``."""
    base = load_scenario(base_path, list(fixed)).to_dict()
    over = point_overrides(dict(truth))
    data = simulate(base, moments, over, [data_seed])[0]
    spread = simulate(base, moments, over, [run_seed(spread_root, i)
                                            for i in range(spread_runs)])
    return data, np.nanstd(spread, axis=0, ddof=1)


def recovery_calibration(path: Path, *, base: Path, fixed: Sequence[str],
                         parameters: Sequence[Mapping[str, Any]],
                         moments: Sequence[Mapping[str, Any]], targets: np.ndarray,
                         ses: np.ndarray, estimator: Mapping[str, Any], seed: int) -> Path:
    """Write a calibration file of synthetic targets (TOML, written by ``tomli_w``)."""
    document: dict[str, Any] = {
        "name": "recovery", "base": str(base), "seed": seed, "set": list(fixed),
        "parameters": [dict(p) for p in parameters],
        "moments": [{**m, "target": float(target), "se": float(se),
                     "source": "synthetic: one run at the true parameters"}
                    for m, target, se in zip(moments, targets, ses, strict=True)],
        "estimator": dict(estimator),
    }
    write_text(path, tomli_w.dumps(plain_data(document)))
    return path
