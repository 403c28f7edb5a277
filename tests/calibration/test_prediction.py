"""Prediction intervals of moments at the estimate and the data cut of a backtest
(sim/calibration/inference.py ``predict``; sim/calibration/spec.py ``cut``)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.calibration.inference import Z95, predict
from sim.calibration.markdown import calibration_markdown
from sim.calibration.run import run_calibration
from sim.calibration.spec import CalibrationSpec, parse_calibration
from sim.errors import UserError
from tests.calibration.common import TEXTBOOK
from tests.calibration.test_resume import FILE


def spec_of(moments: list[dict], cut: str | None = None) -> CalibrationSpec:
    data = {"base": str(TEXTBOOK),
            "parameters": [{"key": "tiers.engineer.search_employed", "min": 0.01, "max": 0.5}],
            "moments": [{"measure": {"kind": "job_to_job_rate", "window": [1, 3]},
                         "source": "synthetic", **m} for m in moments]}
    if cut is not None:
        data["cut"] = cut
    return parse_calibration(data, "test.toml")


def test_the_interval_adds_the_estimates_spread_and_one_markets_draw():
    """sd² = G Var(θ̂) G' + Var_seed (1 + 1/R), interval m̂ ± 1.96 sd, for a moment with
    two parameters (one fixed: NaN covariance, no contribution)."""
    spec = spec_of([{"name": "a", "target": 1.0, "se": 0.5}])
    runs = np.array([[1.0], [2.0], [3.0], [6.0]])  # R = 4, mean 3, sample var 14/3
    g = np.array([[2.0, 5.0, 7.0]])
    cov = np.array([[0.25, 0.1, np.nan], [0.1, 0.04, np.nan], [np.nan] * 3])
    out = predict(spec, runs, g, cov, fixed=[False, False, True])
    var_theta = 4 * 0.25 + 2 * 2 * 5 * 0.1 + 25 * 0.04
    assert out.sd_parameters[0] == pytest.approx(math.sqrt(var_theta))
    assert out.sd_seed[0] == pytest.approx(math.sqrt(14 / 3))
    sd = math.sqrt(var_theta + 14 / 3 * 1.25)
    assert out.sd[0] == pytest.approx(sd)
    assert (out.low[0], out.high[0]) == pytest.approx((3 - Z95 * sd, 3 + Z95 * sd))
    assert out.z[0] == pytest.approx((3 - 1) / math.sqrt(sd**2 + 0.25))
    # a free parameter without a variance (a singular G'WG): the estimate's part is unknown
    assert math.isnan(predict(spec, runs, g, cov).sd_parameters[0])
    # R counts the replicates that define the moment; none defined: nothing is predicted
    failed = np.array([[1.0], [2.0], [3.0], [6.0], [np.nan]])
    again = predict(spec, failed, g, cov, fixed=[False, False, True])
    assert again.sd[0] == pytest.approx(sd)
    undefined = predict(spec, np.full((3, 1), np.nan), g, cov, fixed=[False, False, True])
    assert math.isnan(undefined.sd_parameters[0]) and math.isnan(undefined.low[0])


def test_a_bound_counts_only_the_side_that_breaks_it():
    spec = spec_of([{"name": "up", "target": 5.0, "se": 1.0, "bound": "at_most"},
                    {"name": "down", "target": 5.0, "se": 1.0, "bound": "at_least"},
                    {"name": "eq", "target": 5.0, "se": 1.0}])
    runs = np.array([[3.0, 3.0, 3.0], [3.0, 3.0, 3.0]])  # the model below 5
    out = predict(spec, runs, np.zeros((3, 1)), np.array([[1.0]]))
    assert out.z[0] == 0.0  # below an upper bound: kept
    assert out.z[1] == pytest.approx(-2.0)  # below a lower bound: broken by 2 SD
    assert out.z[2] == pytest.approx(-2.0)


def test_the_interval_covers_the_observed_market_95_percent_of_the_time():
    """Coverage over 4,000 synthetic worlds: the world's moment is m(θ*) plus one market's
    draw; the estimate θ̂ ~ N(θ*, Σ); the model's R replicates at θ̂ give m̂. Binomial SE of
    the coverage sqrt(.95 × .05 / 4000) = 0.0034; the test allows 4 SE. Without the seed
    term (the market's own randomness) the coverage would be about 0.83, and without the
    estimate's term about 0.83 too (the two are equal here)."""
    rng = np.random.default_rng(7)
    spec = spec_of([{"name": "a", "target": 0.0, "se": 1.0}])
    g = np.array([[2.0]])
    sigma_theta, sigma_seed, r, trials = 0.5, 1.0, 10, 4000
    cov = np.array([[sigma_theta**2]])
    covered = 0
    for _ in range(trials):
        theta_hat = rng.normal(0.0, sigma_theta)
        runs = g[0, 0] * theta_hat + rng.normal(0.0, sigma_seed, size=(r, 1))
        world = rng.normal(0.0, sigma_seed)  # m(θ*) = 0
        out = predict(spec, runs, g, cov)
        covered += out.low[0] <= world <= out.high[0]
    assert abs(covered / trials - 0.95) < 4 * math.sqrt(0.95 * 0.05 / trials)


def test_a_cut_refuses_a_fitted_moment_published_after_it_or_undated():
    moments = [{"name": "early", "target": 0.1, "se": 0.01, "published": "2024-04"},
               {"name": "late", "target": 0.1, "se": 0.01, "published": "2025-01"}]
    with pytest.raises(UserError, match=r"test.toml.*cut = '2024-06'.*late \(2025-01\)"):
        spec_of(moments, cut="2024-06")
    undated = [moments[0], {"name": "undated", "target": 0.1, "se": 0.01}]
    with pytest.raises(UserError, match=r"undated \(no date\)"):
        spec_of(undated, cut="2024-06")
    held = [moments[0], {**moments[1], "held_out": True}]
    assert [m.name for m in spec_of(held, cut="2024-06").fitted] == ["early"]
    assert spec_of(moments).cut is None  # without a cut, dates are information only
    with pytest.raises(UserError, match="published"):
        spec_of([{**moments[0], "published": "2024-13"}])


def test_a_calibration_folder_predicts_its_held_out_moments(tmp_path):
    """A small real calibration: moments.csv holds each moment's prediction interval around
    the model's mean, and the Markdown shows the held-out moments against it."""
    path = tmp_path / "c.toml"
    path.write_text(FILE.replace('held_out = true', 'held_out = true\npublished = "2025-01"'),
                    encoding="utf-8")
    run_calibration(path, out=tmp_path / "a", progress=False, plots=False)
    moments = pd.read_csv(tmp_path / "a" / "moments.csv")
    assert (moments["pi95_low"] < moments["fitted_mean"]).all()
    assert (moments["fitted_mean"] < moments["pi95_high"]).all()
    half = (moments["pi95_high"] - moments["pi95_low"]) / 2
    assert np.allclose(half, Z95 * moments["predicted_sd"])
    # the predictive SD is at least the spread across seeds (it adds the estimate's)
    assert (moments["predicted_sd"] >= moments["fitted_sd"]).all()
    held = moments.set_index("moment").loc["pay_p90"]
    assert held["published"] == "2025-01"
    text = calibration_markdown(tmp_path / "a")
    block = text.split("Held-out checks")[1]
    assert "95% prediction interval" in block and "2025-01" in block
    agrees = "yes" if abs(held["z_prediction"]) <= 1.96 else "no"
    assert f"| {agrees} |" in block.splitlines()[-1]


def test_the_flagship_backtest_fits_only_what_was_known_by_its_cut():
    """scenarios/calibration/backtest_mid2024.toml: the flagship's parameters and estimator
    (but for the search budget),
    every fitted moment published by the cut (the spec refuses it otherwise), and every
    moment published after the cut held out, so predicted."""
    from sim.calibration.spec import read_calibration_file
    from tests.calibration.common import ROOT

    folder = ROOT / "scenarios" / "calibration"
    backtest, _ = read_calibration_file(folder / "backtest_mid2024.toml")
    flagship, _ = read_calibration_file(folder / "ai_talent_war_2024.toml")
    assert backtest.cut == "2024-06"
    assert backtest.parameters == flagship.parameters
    same = {"budget": flagship.estimator.budget}  # a smaller search, stated in the file
    assert backtest.estimator.model_copy(update=same) == flagship.estimator
    assert backtest.base == flagship.base and backtest.overrides == flagship.overrides
    late = [m for m in backtest.moments if m.published is None or m.published > backtest.cut]
    assert late and all(m.held_out for m in late)
    dated = {m.name: m for m in backtest.moments}
    for m in flagship.moments:  # the same moments, dated, some held out
        assert m.model_copy(update={"published": dated[m.name].published,
                                    "held_out": dated[m.name].held_out}) == dated[m.name]
