"""The SMM estimator is a function of the calibration and of a way to evaluate points: on a
known linear model of the moments it finds the true parameter, without a folder or a run."""

from __future__ import annotations

import numpy as np

from sim.calibration.estimate import smm
from sim.calibration.spec import parse_calibration
from tests.calibration.common import TEXTBOOK

SPEC = {
    "base": str(TEXTBOOK), "seed": 3,
    "parameters": [{"key": "tiers.engineer.search_employed", "min": 0.0, "max": 1.0}],
    "moments": [{"name": "m", "measure": {"kind": "job_to_job_rate", "window": [1, 3]},
                 "target": 0.3, "se": 0.01, "source": "synthetic"}],
    "estimator": {"replicates": 2, "budget": 60, "profile_points": 3,
                  "search": {"points": 8, "local": "nelder-mead"}},
}


def test_smm_recovers_the_parameter_of_a_known_moment_function():
    spec = parse_calibration(SPEC, "test")
    seen: list[str] = []

    def evaluate(batch):  # m(θ) = θ in every replicate: θ* = the target, 0.3
        return [np.full((2, 1), values[0]) for values in batch]

    fit = smm(spec, evaluate, lambda stage, values, moments, j: seen.append(stage))
    assert abs(fit.values[0] - 0.3) < 0.01
    assert fit.objective < 1.0  # within one target SE
    assert abs(fit.jacobian[0, 0] - 1.0) < 1e-9  # dm/dθ = 1
    assert abs(fit.inference.se[0] - 0.01 * np.sqrt(1.5)) < 1e-6  # (1 + 1/R) (G'WG)^-1
    assert seen[0] == "design" and "search" in seen and "jacobian" in seen
    assert seen[-1] == "profile"
    assert smm(spec, evaluate).values == fit.values  # deterministic
