"""The estimator on synthetic problems with known moments (no model run): only the
parameters the joint rank supports are estimated, and no interval leaves a parameter's
range (sim/calibration/inference.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.calibration.estimate import smm
from sim.calibration.inference import bounded_interval, inference, joint_identification
from sim.calibration.spec import CalibrationSpec, parse_calibration
from tests.calibration.common import TEXTBOOK

FAST = {"profile_points": 0, "jacobian_step": 0.02,
        "search": {"points": 8, "local": "nelder-mead", "xatol": 1e-5, "fatol": 1e-6}}


def make_spec(parameters: list[dict], targets: list[float], ses: list[float],
              replicates: int = 2, budget: int = 2_000, **estimator) -> CalibrationSpec:
    moments = [{"name": f"m{j}", "measure": {"kind": "job_to_job_rate", "window": [1, 3]},
                "target": t, "se": s, "source": "synthetic"}
               for j, (t, s) in enumerate(zip(targets, ses, strict=True))]
    return parse_calibration({"base": str(TEXTBOOK), "seed": 3, "parameters": parameters,
                              "moments": moments,
                              "estimator": {"replicates": replicates, "budget": budget,
                                            **FAST, **estimator}}, "test")


def linear(a: np.ndarray, replicates: int = 2):
    """evaluate for the moments m(θ) = A θ, the same in every replicate."""
    def evaluate(batch):
        return [np.tile(a @ np.asarray(values), (replicates, 1)) for values in batch]
    return evaluate


# ------------------------------------------------------------------ identification by rank

def test_identified_means_dropping_the_parameter_lowers_the_joint_rank():
    # a and b move the moments only through a + b (each column alone is large: the column
    # norms call all three identified); c moves its own moment.
    scaled = np.array([[3.0, 3.0, 0.0], [6.0, 6.0, 0.0], [0.0, 0.0, 5.0]])
    rank, identified, left_out, _ = joint_identification(scaled, 1.0)
    assert rank == 2
    assert identified.tolist() == [False, False, True]
    assert len(left_out) == 1 and left_out[0] in (0, 1)  # one of a, b: k - rank of them
    # a direction moved by less than the threshold counts as not pinned down
    weak = np.array([[3.0, 3.0 + 1e-3, 0.0], [6.0, 6.0, 0.0], [0.0, 0.0, 5.0]])
    assert joint_identification(weak, 1.0)[0] == 2
    assert joint_identification(weak, 1e-6)[0] == 3


def test_the_estimate_has_as_many_free_parameters_as_the_rank_supports():
    # m1 = a + b, m2 = 2 (a + b), m3 = c: rank 2 of 3. b has a start value, a none.
    a = np.array([[1.0, 1.0, 0.0], [2.0, 2.0, 0.0], [0.0, 0.0, 1.0]])
    spec = make_spec([{"key": "x.a", "min": 0.0, "max": 1.0},
                      {"key": "x.b", "min": 0.0, "max": 1.0},
                      {"key": "x.c", "min": 0.0, "max": 1.0}],
                     [0.7, 1.4, 0.3], [0.01, 0.02, 0.01])
    fit = smm(spec, linear(a))
    info = fit.inference
    assert len(fit.fixed) == 1 and set(fit.fixed) <= {"x.a", "x.b"}
    (key, value), = fit.fixed.items()
    i = ["x.a", "x.b"].index(key)
    assert fit.values[i] == value  # held at its fixed value
    other = 1 - i
    assert fit.values[other] == pytest.approx(0.7 - value, abs=2e-3)  # the sum is pinned
    assert fit.values[2] == pytest.approx(0.3, abs=2e-3)
    assert info.fixed.tolist() == [j == i for j in range(3)]
    assert info.rank == 2  # of the two free parameters: full rank
    assert info.identified[[other, 2]].all()
    assert math.isnan(info.se[i]) and math.isnan(info.interval[i, 0])
    assert np.isfinite(info.se[[other, 2]]).all()
    assert key in info.not_identified
    assert any(w.startswith("fixed (not identified): " + key) for w in info.warnings)


def test_a_parameter_not_identified_is_fixed_at_its_start_value():
    # m1 = m2 = a + b again; b (smaller range, hence smaller scaled column) is left out by
    # the pivoted QR and fixed at its start, 0.25.
    a = np.array([[1.0, 1.0], [1.0, 1.0]])
    spec = make_spec([{"key": "x.a", "min": 0.0, "max": 1.0},
                      {"key": "x.b", "min": 0.0, "max": 0.5, "start": 0.25}],
                     [0.6, 0.6], [0.01, 0.01])
    fit = smm(spec, linear(a))
    assert fit.fixed == {"x.b": 0.25}
    assert fit.values == [pytest.approx(0.35, abs=2e-3), 0.25]
    assert fit.inference.fixed.tolist() == [False, True]


def test_moments_that_move_with_nothing_fix_every_parameter():
    spec = make_spec([{"key": "x.a", "min": 0.0, "max": 1.0, "start": 0.3},
                      {"key": "x.b", "min": 0.0, "max": 1.0}], [0.5, 0.5], [0.01, 0.01],
                     profile_points=3)
    fit = smm(spec, linear(np.zeros((2, 2))))
    assert fit.inference.rank == 0 and fit.inference.fixed.all()
    assert fit.fixed["x.a"] == 0.3 and fit.fixed["x.b"] == fit.values[1]
    assert np.isnan(fit.inference.se).all() and fit.profiles == []
    assert "no parameter is left to estimate" in fit.inference.warnings[-1]


def test_a_full_rank_problem_fixes_nothing():
    a = np.array([[1.0, 0.5], [0.0, 1.0], [1.0, 1.0]])
    truth = np.array([0.4, 0.2])
    spec = make_spec([{"key": "x.a", "min": 0.0, "max": 1.0},
                      {"key": "x.b", "min": 0.0, "max": 1.0}],
                     list(a @ truth), [0.01, 0.01, 0.01])
    fit = smm(spec, linear(a))
    assert fit.fixed == {}
    assert fit.inference.identified.tolist() == [True, True]
    assert fit.values == [pytest.approx(0.4, abs=2e-3), pytest.approx(0.2, abs=2e-3)]


# ------------------------------------------------------------------ intervals in the bounds

@settings(max_examples=150, deadline=None)
@given(low=st.floats(-5.0, 5.0), width=st.floats(1e-3, 100.0),
       log=st.booleans(), u=st.one_of(st.floats(0.0, 0.1), st.floats(0.9, 1.0)),
       slope=st.floats(1e-3, 1e3), target_se=st.floats(1e-4, 10.0))
def test_no_interval_leaves_the_parameters_range(low, width, log, u, slope, target_se):
    # one parameter, one moment m = slope θ, estimate near a bound: the sandwich SE is
    # target_se / slope x sqrt(1 + 1/R), from tiny to many times the range.
    if log:
        low = abs(low) + 1e-3
    high = low + width
    spec = make_spec([{"key": "x.a", "min": low, "max": high,
                       "scale": "log" if log else "linear"}], [0.0], [target_se])
    p = spec.parameters[0]
    value = p.from_unit(u)
    info = inference(spec, [value], np.array([[slope]]))
    lo, hi = info.interval[0]
    if math.isnan(info.se[0]):  # too weak to be identified: no interval
        assert math.isnan(lo) and info.fixed.size == 1
        return
    assert low <= lo <= value <= hi <= high
    naive = (value - 1.96 * info.se[0], value + 1.96 * info.se[0])
    if naive[0] >= low and naive[1] <= high:
        assert info.interval_method == ["logit"]
    else:  # the normal interval reaches a bound: cut there (Andrews 1999)
        assert info.interval_method == ["cut at the bound"]
        assert (lo, hi) == (max(low, naive[0]), min(high, naive[1]))


@pytest.mark.parametrize("scale", ["linear", "log"])
def test_the_logit_interval_is_the_normal_one_to_first_order(scale):
    # interior, well identified: the endpoints differ from θ̂ ± 1.96 se by O(se²)
    low, high, value = (0.0, 1.0, 0.4) if scale == "linear" else (0.01, 1.0, 0.1)
    spec = make_spec([{"key": "x.a", "min": low, "max": high, "scale": scale}],
                     [0.0], [1.0])
    p = spec.parameters[0]
    gaps = []
    for se in (1e-2, 1e-3, 1e-4):
        lo, hi, method = bounded_interval(p, value, se)
        assert method == "logit"
        gap = max(abs(lo - (value - 1.96 * se)), abs(hi - (value + 1.96 * se)))
        gaps.append(gap / (1.96 * se))  # relative to the half-width
    assert gaps[1] < 0.02
    assert gaps[1] == pytest.approx(gaps[0] / 10, rel=0.1)  # relative gap ∝ se
    assert gaps[2] == pytest.approx(gaps[1] / 10, rel=0.1)
    # and it is asymmetric the right way: longer towards the far bound
    lo, hi, _ = bounded_interval(p, value, 1e-2)
    assert hi - value > value - lo


def test_an_interval_through_smm_stays_in_the_range():
    # the target asks for θ = -0.05 outside [0, 1]: the estimate sits on 0 and its interval
    # is [0, θ̂ + 1.96 se]; the same problem's normal interval would reach below 0
    spec = make_spec([{"key": "x.a", "min": 0.0, "max": 1.0}], [-0.05], [0.2])
    fit = smm(spec, linear(np.array([[1.0]])))
    info = fit.inference
    assert fit.values[0] == pytest.approx(0.0, abs=1e-3)
    se = 0.2 * math.sqrt(1.5)
    assert info.se[0] == pytest.approx(se, rel=1e-6)
    assert info.interval_method == ["cut at the bound"]
    assert info.interval[0] == pytest.approx([0.0, fit.values[0] + 1.96 * se])


def test_a_true_parameter_on_its_bound_is_covered():
    # θ0 = 0 on the lower bound of [0, 1], m = θ, target = θ0 + 0.1 Z over 200 data sets.
    # The truncated estimate max(0, θ̃) has Andrews' limit; the cut interval covers θ0
    # whenever θ̃ ≤ 1.96 se: 97.5% (R = 200: the 1 + 1/R factor is 1.005). Binomial SD of
    # the share over 200 sets: 1.1 points; the test asks 95%, 2.3 SD below.
    rng = np.random.default_rng(20240)
    replicates, sd = 200, 0.1
    covered, at_bound = 0, 0
    evaluate = linear(np.array([[1.0]]), replicates)
    for z in rng.standard_normal(200):
        spec = make_spec([{"key": "x.a", "min": 0.0, "max": 1.0}], [float(sd * z)], [sd],
                         replicates=replicates, budget=200 * 40,
                         search={"points": 4, "local": "nelder-mead", "xatol": 1e-4,
                                 "fatol": 1e-6})
        fit = smm(spec, evaluate)
        lo, hi = fit.inference.interval[0]
        assert 0.0 <= lo <= fit.values[0] <= hi <= 1.0
        covered += lo <= 0.0 <= hi
        at_bound += fit.values[0] < 1e-3
    assert covered / 200 >= 0.95
    assert 0.4 <= at_bound / 200 <= 0.6  # about half the estimates sit on the bound


def test_a_parameter_whose_interval_is_its_whole_range_is_reported_not_pinned_down():
    # m = (a, b) with SEs 0.01 and 0.8 on [0, 1]: both columns pass the rank (b's moves its
    # moment by 1.25 SE across the range, above the threshold of 1), but b's interval,
    # 0.5 +- 1.96 x 0.8 sqrt(1.5), is the whole range, and a's is not.
    spec = make_spec([{"key": "x.a", "min": 0.0, "max": 1.0},
                      {"key": "x.b", "min": 0.0, "max": 1.0}], [0.5, 0.5], [0.01, 0.8])
    fit = smm(spec, linear(np.eye(2)))
    info = fit.inference
    assert info.identified.tolist() == [True, True]
    assert info.interval[1] == pytest.approx([0.0, 1.0])
    assert info.interval[0][1] - info.interval[0][0] < 0.1
    unpinned = [w for w in info.warnings if w.startswith("not pinned down")]
    assert len(unpinned) == 1 and "x.b" in unpinned[0] and "x.a" not in unpinned[0]
    # with b's SE small enough for its interval to leave part of the range out: no warning
    spec = make_spec([{"key": "x.a", "min": 0.0, "max": 1.0},
                      {"key": "x.b", "min": 0.0, "max": 1.0}], [0.5, 0.5], [0.01, 0.1])
    assert not [w for w in smm(spec, linear(np.eye(2))).inference.warnings
                if w.startswith("not pinned down")]
