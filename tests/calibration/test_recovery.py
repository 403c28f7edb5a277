"""Parameter recovery: simulate at known θ*, calibrate from elsewhere, find θ* again."""

import pandas as pd

from sim.calibration.recovery import recovery_calibration, synthetic_targets
from sim.calibration.run import run_calibration
from tests.calibration.common import (
    ESTIMATOR,
    FIXED,
    MEASURES,
    MOMENTS,
    PARAMETERS,
    TEXTBOOK,
    TRUTH,
)


def test_recovers_search_and_separation_rates_within_two_standard_errors(tmp_path):
    targets, ses = synthetic_targets(TEXTBOOK, FIXED, TRUTH, MEASURES, data_seed=1)
    path = recovery_calibration(tmp_path / "recovery.toml", base=TEXTBOOK, fixed=FIXED,
                                parameters=PARAMETERS, moments=MOMENTS, targets=targets,
                                ses=ses, estimator=ESTIMATOR, seed=5)
    summary = run_calibration(path, out=tmp_path / "out", progress=False, plots=False)
    assert not summary.warnings
    table = pd.read_csv(tmp_path / "out" / "parameters.csv").set_index("parameter")
    for key, true in TRUTH.items():
        estimate, se = table.loc[key, "estimate"], table.loc[key, "se"]
        assert se > 0
        assert abs(estimate - true) <= 2 * se, (key, estimate, se, true)
        assert table.loc[key, "on_bound"] == "no"
        # the search started elsewhere: the design does not contain θ*
    points = pd.read_csv(tmp_path / "out" / "points.csv")
    assert (points["stage"] == "search").any()
