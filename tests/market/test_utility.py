"""The logit choice: shares match exp(V/mu) / sum exp(V/mu) within sampling error."""

import numpy as np
import pytest

from sim.market.utility import choose, gpu_pull, logit_probabilities, mission_fit
from sim.scenario.schema import Compute


@pytest.mark.parametrize("noise", [0.5, 1.0, 2.0])
def test_choice_shares_match_the_logit_formula(noise):
    rng = np.random.default_rng(1)
    values = np.array([0.0, 0.4, 1.0, -0.5])
    n = 40_000
    chooser = np.repeat(np.arange(n), values.size)
    picked = choose(chooser, np.tile(values, n), noise, rng)
    assert picked.size == n  # exactly one pick per chooser
    shares = np.bincount(picked % values.size, minlength=values.size) / n
    expected = logit_probabilities(values, noise)
    # Each share is a binomial proportion: standard error sqrt(p (1 - p) / n); allow 4.
    tolerance = 4 * np.sqrt(expected * (1 - expected) / n)
    assert np.all(np.abs(shares - expected) < tolerance), (shares, expected)


def test_choice_handles_choosers_with_different_numbers_of_alternatives():
    rng = np.random.default_rng(2)
    chooser = np.array([0, 0, 1, 2, 2, 2])
    values = np.array([0.0, 5.0, 1.0, 3.0, 9.0, 2.0])
    picked = choose(chooser, values, 0.0, rng)
    np.testing.assert_array_equal(picked, [1, 2, 4])


def test_without_noise_a_tie_keeps_the_first_alternative():
    rng = np.random.default_rng(3)
    chooser = np.array([5, 5, 5])
    values = np.array([1.0, 1.0, 0.5])
    assert choose(chooser, values, 0.0, rng).tolist() == [0]


def test_gpu_pull_sharp_and_smooth():
    sharp = Compute(threshold=10_000, response="sharp")
    np.testing.assert_array_equal(gpu_pull(np.array([0, 9_999, 10_000, 1e6]), sharp),
                                  [0, 0, 1, 1])
    smooth = Compute(threshold=10_000, response="smooth", width=0.25)
    g = gpu_pull(np.array([0.0, 1_000, 10_000, 100_000]), smooth)
    assert g[0] == 0.0 and g[2] == pytest.approx(0.5)
    assert g[1] < 0.01 and g[3] > 0.99
    assert np.all(np.diff(g) > 0)


def test_mission_fit_is_one_minus_distance():
    np.testing.assert_allclose(mission_fit(np.array([0.2, 1.0]), np.array([0.2, 0.0])), [1, 0])


def test_pay_utility_is_weighted_log_pay_and_minus_infinity_when_unpaid():
    from sim.market.utility import pay_utility

    weight = np.array([2.0, 0.0, 0.0, 1.5])
    pay = np.array([100.0, 100.0, 0.0, 0.0])
    out = pay_utility(weight, pay)
    assert out[0] == 2.0 * np.log(100.0) and out[1] == 0.0
    assert np.isneginf(out[2]) and np.isneginf(out[3])  # never NaN, even with weight 0
