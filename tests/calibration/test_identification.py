"""A parameter that moves no moment is fixed as not identified, the other estimated."""

import pandas as pd

from sim.calibration.run import run_calibration
from tests.calibration.common import TEXTBOOK


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_a_parameter_that_moves_no_moment_is_fixed_as_not_identified(tmp_path, capsys):
    # In the textbook scenario every firm has mission 0 and no GPUs: the engineers' weight
    # on mission multiplies zero, so it moves nothing.
    path = write(tmp_path / "c.toml", f"""
base = "{TEXTBOOK}"
seed = 3
set = ["market.engineers=1000", "months=6"]
[[parameters]]
key = "tiers.engineer.search_employed"
min = 0.02
max = 0.4
scale = "log"
[[parameters]]
key = "tiers.engineer.weights.mission"
min = 0.0
max = 2.0
[[moments]]
name = "job_to_job"
measure = {{ kind = "job_to_job_rate", window = [1, 6] }}
target = 0.04
se = 0.002
source = "synthetic"
[[moments]]
name = "median_pay"
measure = {{ kind = "pay_quantile", tier = "engineer", window = [3, 6] }}
target = 200000
se = 1500
source = "synthetic"
[estimator]
replicates = 2
budget = 8
profile_points = 3
[estimator.search]
points = 4
local = "none"
""")
    summary = run_calibration(path, out=tmp_path / "out", progress=False, plots=True)
    assert any("not identified: tiers.engineer.weights.mission" in w
               for w in summary.warnings)
    table = pd.read_csv(tmp_path / "out" / "parameters.csv").set_index("parameter")
    # fixed at the first pass's estimate (no start value) and the other re-estimated alone
    assert table.loc["tiers.engineer.weights.mission", "identified"] == "fixed (not identified)"
    assert pd.isna(table.loc["tiers.engineer.weights.mission", "se"])
    assert "Fixed (not identified by the moments): tiers.engineer.weights.mission" in (
        tmp_path / "out" / "fitted.toml").read_text(encoding="utf-8")
    assert table.loc["tiers.engineer.search_employed", "identified"] == "yes"
    assert table.loc["tiers.engineer.search_employed", "se"] > 0
    jac = pd.read_csv(tmp_path / "out" / "jacobian.csv").set_index("moment")
    assert (jac["tiers.engineer.weights.mission"] == 0).all()
    for png in ("objective.png", "moments_fit.png", "profiles.png"):
        assert (tmp_path / "out" / png).is_file()


def test_a_profile_point_below_the_estimate_is_warned_about():
    from sim.calibration.estimate import profile_warnings

    profiles = [("a", 0.1, 7.0), ("a", 0.2, 6.0), ("a", 0.3, 6.5),
                ("b", 1.0, 5.5), ("b", 2.0, 6.0), ("b", 3.0, float("nan"))]
    warned = profile_warnings(profiles, 6.0)
    assert len(warned) == 1 and "profile of b: J = 5.5 at b = 1" in warned[0]
    assert profile_warnings(profiles, 5.0) == []
