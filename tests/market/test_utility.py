"""The logit choice: shares match exp(V/mu) / sum exp(V/mu) within sampling error."""

import numpy as np
import pytest

from sim import TalentMarket
from sim.market.matching import decide
from sim.market.moves import Offers
from sim.market.utility import (
    choose,
    choose_stay_or_offer,
    gpu_pull,
    logit_probabilities,
    mission_fit,
)
from sim.scenario.schema import Compute
from tests.conftest import scenario_of, small_market


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


def only_one_term(term, switching_cost=0.0):
    """A market where only pay and ``term`` ("gpu" or "mission") enter utility, no noise."""
    weights = {"pay": 1.0, "gpu": 0.0, "mission": 0.0, "outreach": 0.0, term: 1.0}
    data = small_market(months=1, choice={"noise": 0.0, "switching_cost": switching_cost},
                        tiers={"researcher": {"weights": weights},
                               "engineer": {"weights": weights}})
    return TalentMarket(scenario_of(data))


def offer_at_same_pay(model, source, destination):
    """Engineer i of ``source`` gets an offer from ``destination`` at its own pay; returns
    whether it moved."""
    src, dst = model.firm_index(source), model.firm_index(destination)
    i = int(np.flatnonzero(model.engineers.firm == src)[0])
    pay = float(model.engineers.pay[i])
    decide(model.state, Offers(np.array([i]), np.array([dst]), np.array([pay * 1.001]),
                               np.array([False])))
    return model.engineers.firm[i] == dst


def test_gpus_pull_an_engineer_to_a_firm_that_pays_the_same():
    # Gamma has 2,000 GPUs, Alpha 50,000 (threshold 10,000): at equal pay, an engineer
    # who weighs GPUs leaves Gamma for Alpha, and not the other way round.
    assert offer_at_same_pay(only_one_term("gpu"), "Gamma", "Alpha")
    assert not offer_at_same_pay(only_one_term("gpu"), "Alpha", "Gamma")


def test_a_better_mission_fit_pulls_an_engineer_to_a_firm_that_pays_the_same():
    # The engineer wants mission 1. Alpha's mission is a, Gamma's g: it moves to Gamma
    # (paying 0.1% more) when Gamma fits better, and stays when Alpha does.
    for a, g, moves in ((0.0, 1.0, True), (1.0, 0.0, False)):
        model = only_one_term("mission")
        eng, table = model.engineers, model.state.table
        alpha, gamma = model.firm_index("Alpha"), model.firm_index("Gamma")
        i = int(np.flatnonzero(eng.firm == alpha)[0])
        eng.mission[i] = 1.0
        table.mission[alpha], table.mission[gamma] = a, g
        decide(model.state, Offers(np.array([i]), np.array([gamma]),
                                   np.array([eng.pay[i] * 1.001]), np.array([False])))
        assert (eng.firm[i] == gamma) == moves, (a, g)


def test_the_fast_choice_picks_what_sorting_would():
    """choose() groups by chooser and takes each group's first maximum; the reference is a
    sort by (chooser, -utility), stable on ties (the path taken when a utility is NaN)."""
    rng = np.random.default_rng(7)
    chooser = np.concatenate([np.arange(2_000), rng.integers(0, 2_000, 3_000)])
    values = np.round(rng.normal(size=chooser.size), 1)  # many ties
    values[rng.random(values.size) < 0.05] = -np.inf
    for noise in (0.0, 0.3):
        picked = choose(chooser, values, noise, np.random.default_rng(1))
        utility = values + noise * np.random.default_rng(1).gumbel(size=values.size) \
            if noise > 0 else values
        order = np.lexsort((-utility, chooser))
        first = np.r_[True, chooser[order][1:] != chooser[order][:-1]]
        assert picked.tolist() == order[first].tolist()
    with_nan = values.copy()
    with_nan[0] = np.nan  # chooser 0 has only this alternative and its extra ones
    picked = choose(chooser, with_nan, 0.0, rng)
    assert np.unique(chooser).size == picked.size


def test_choice_between_staying_and_offers_is_the_general_choice():
    # choose_stay_or_offer finds each chooser's pick without sorting; the general choose,
    # given the same alternatives (each chooser's stay first, then the offers) and the same
    # draws, is the reference: ties (no noise, values on a few levels), -inf and NaN
    # included.
    import numpy as np

    from sim.market.utility import choose, choose_stay_or_offer

    rng = np.random.default_rng(11)
    for trial in range(300):
        n, m = int(rng.integers(0, 40)), int(rng.integers(0, 80))
        rank = rng.integers(0, max(n, 1), m if n else 0)
        values = rng.integers(0, 3, n + rank.size).astype(float)
        if trial % 4 == 1:
            values[rng.random(values.size) < 0.2] = -np.inf
        if trial % 4 == 2 and values.size:
            values[rng.integers(0, values.size)] = np.nan
        noise = 0.0 if trial % 2 else 0.3
        seed = int(rng.integers(1 << 30))
        got = choose_stay_or_offer(values, rank, noise, np.random.default_rng(seed))
        want = choose(np.concatenate([np.arange(n), rank]), values, noise,
                      np.random.default_rng(seed))
        assert got.tolist() == want.tolist()


def test_a_choice_with_noise_and_no_random_generator_is_refused():
    values = np.array([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="needs a random generator"):
        choose(np.array([0, 0, 1]), values, 0.5, None)
    with pytest.raises(ValueError, match="needs a random generator"):
        choose_stay_or_offer(values, np.array([0]), 0.5, None)
    # without noise no draw is made, and none is needed
    assert choose(np.array([0, 0, 1]), values, 0.0, None).tolist() == [1, 2]
    assert choose_stay_or_offer(values, np.array([0]), 0.0, None).tolist() == [2, 1]
