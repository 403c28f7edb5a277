"""Parameter recovery: synthetic targets simulated at known parameters θ*.

:func:`synthetic_targets` runs the base scenario at θ* and returns, for each moment, the
value of one "observed" run (seed ``data_seed``) as the target and the standard deviation
over ``spread_runs`` other runs at θ* as its standard error (one simulated market stands for
the observed one, as the (1 + 1/R) correction assumes). :func:`recovery_calibration` writes
those targets into a calibration file. Used by the recovery test and
``benchmarks/calibration_recovery.py``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sim.calibration.spec import Moment
from sim.calibration.worker import MomentJob, evaluate_run
from sim.errors import UserError
from sim.scenario import load_scenario
from sim.sweeps.designs import point_overrides, run_seed
from sim.sweeps.worker import RunTask


def simulate(base: dict[str, Any], moments: Sequence[Any], overrides: Sequence[str],
             seeds: Sequence[int]) -> np.ndarray:
    """The measures (runs x M) of the base scenario with ``overrides`` at each seed."""
    wrapped = tuple(Moment(name=f"m{i}", measure=m, target=0.0, se=1.0, source="synthetic")
                    for i, m in enumerate(moments))
    job = MomentJob(base, "recovery", wrapped)
    rows = []
    for i, seed in enumerate(seeds):
        result = evaluate_run(RunTask(i, 0, i, seed, tuple(overrides)), job)
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
    """Write a calibration file of synthetic targets (TOML written as JSON-compatible
    inline values)."""
    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, Mapping):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        if isinstance(v, list | tuple):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, float | np.floating):
            return repr(float(v))
        return json.dumps(v)

    lines = ['name = "recovery"', f"base = {json.dumps(str(base))}", f"seed = {seed}",
             f"set = {value(list(fixed))}", ""]
    for p in parameters:
        lines += ["[[parameters]]", *(f"{k} = {value(v)}" for k, v in p.items()), ""]
    for m, target, se in zip(moments, targets, ses, strict=True):
        lines += ["[[moments]]", *(f"{k} = {value(v)}" for k, v in m.items()),
                  f"target = {value(float(target))}", f"se = {value(float(se))}",
                  'source = "synthetic: one run at the true parameters"', ""]
    lines += ["[estimator]", *(f"{k} = {value(v)}" for k, v in estimator.items()
                               if not isinstance(v, Mapping))]
    for k, v in estimator.items():
        if isinstance(v, Mapping):
            lines += ["", f"[estimator.{k}]", *(f"{a} = {value(b)}" for a, b in v.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
