"""The flagship scenario reproduces the 2023-2025 facts of docs/validation.md, and each
fact fails on a market where its mechanism is switched off.

One fixed-seed run of the flagship (100,000 engineers, Jan 2023 - Dec 2025, ~1.5 s). Each
check tests what the model *does* over the run - pay set by the market during the run and
how far it moved from month 0, layoffs and pay indexes that change, which way researchers
cross the GPU threshold, prices per engineer that depend on the teams the market leaves -
not facts the scenario fixes in month 0. The measures and tolerances are those of
:mod:`sim.validation` (docs/validation.md); their pass rates over 20 seeds are there
(``python benchmarks/validation_seeds.py``).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.validation import (
    TOLERANCES,
    checks,
    consistent_with_at_least,
    measures,
    researcher_moves_up_the_gpu_threshold,
    run_scenario,
    within_firm_ratio,
)
from tests.conftest import SCENARIOS

FLAGSHIP = SCENARIOS / "ai_talent_war_2024.toml"


@pytest.fixture(scope="module")
def flagship():
    return run_scenario(FLAGSHIP)


@pytest.fixture(scope="module")
def flagship_checks(flagship):
    m = measures(flagship)
    return m, checks(m)


NOT_YET_RETUNED: dict[str, str] = {
    "fact_1": "on the shipped seed 2024 the re-estimated flagship's within-firm ratio at the "
              "end is 1.703, above the band's 1.7; it passes fact 1 in 16 of seeds 1-20 "
              "and 10 of seeds 21-40 (65% of 40, docs/validation.md)",
}
"""Facts the flagship's shipped seed does not reproduce (each fact's pass rate over seeds
1-20 is in docs/validation.md); strict, so a change that makes one pass makes its test say
so."""


@pytest.mark.parametrize("fact", [
    pytest.param(f, marks=pytest.mark.xfail(reason=NOT_YET_RETUNED[f], strict=True))
    if f in NOT_YET_RETUNED else f for f in sorted(TOLERANCES)])
def test_flagship_fact(flagship_checks, fact):
    m, ok = flagship_checks
    assert ok[fact], (TOLERANCES[fact], m)


def test_the_within_firm_ratio_compares_engineers_at_the_same_employers():
    # Firm 0 pays AI 300 and non-AI 200 (ratio 1.5); firm 1 pays AI 150 and non-AI 100
    # (1.5) but has most of the non-AI engineers, so the pooled ratio of medians is
    # 300 / 100 = 3; firm 2 has too few AI engineers to count, firm 3 is not counted.
    firm = np.repeat([0, 0, 1, 1, 2, 2, 3, 3], [30, 20, 20, 60, 5, 40, 30, 30])
    ai = np.repeat([1, 0, 1, 0, 1, 0, 1, 0], [30, 20, 20, 60, 5, 40, 30, 30]).astype(bool)
    pay = np.repeat([300, 200, 150, 100, 900, 100, 999, 1], [30, 20, 20, 60, 5, 40, 30, 30])
    counted = firm != 3
    assert within_firm_ratio(pay, firm, ai, counted) == 1.5
    assert np.median(pay[counted & ai]) / np.median(pay[counted & ~ai]) == 3.0
    pay2 = pay.astype(float) * np.where(firm == 1, np.where(ai, 1.2, 1.0), 1.0)  # firm 1: 1.8
    assert within_firm_ratio(pay2, firm, ai, counted) == pytest.approx(1.8)  # 80 of 130 there
    assert np.isnan(within_firm_ratio(pay, firm, ai, counted, minimum=100))


def test_the_deal_share_tolerance_is_a_binomial_test():
    assert consistent_with_at_least(3 / 7, 7, 0.6)        # P(X <= 3) = 0.29
    assert not consistent_with_at_least(1 / 7, 7, 0.6)    # P(X <= 1) = 0.019
    assert consistent_with_at_least(12 / 20, 20, 0.6)
    assert not consistent_with_at_least(7 / 20, 20, 0.6)  # P(X <= 7) = 0.021
    assert not consistent_with_at_least(0.0, 0, 0.6)      # no deal: nothing shown


def test_fact_2_needs_the_run_to_have_priced_a_third_of_each_tier():
    """The pay bands test the dynamics only if the run priced a good part of the tier."""
    m = {"ml_in_band": 0.7, "researchers_in_band": 0.95, "ml_repriced": 0.4,
         "researchers_repriced": 0.8, "ml_in_band_market_priced": 0.7,
         "researchers_in_band_market_priced": 0.9}
    base = {"ratio_2024": 1.5, "ratio_within_firms": 1.5, "ratio_within_firms_rise": 0.3,
            "deal_median_per_head": 1e7,
            "deals_in_band": 1.0, "model_deals": 5, "non_ai_layoffs": 3000, "ai_layoffs": 10,
            "ai_index_2024_12": 103, "non_ai_index_2024_12": 98,
            "researcher_hires_above_threshold": 0.9,
            "researcher_moves_up_the_threshold": 0.9}
    assert all(checks({**base, **m}).values())
    for key, value in (("ml_repriced", 0.2), ("researchers_repriced", 0.3),
                       ("ml_in_band", 0.55), ("researchers_in_band", 0.75),
                       ("ml_in_band_market_priced", 0.55),
                       ("researchers_in_band_market_priced", 0.7)):
        assert not checks({**base, **m, key: value})["fact_2"], key


def test_the_flagship_ends_in_december_2025_and_no_deal_is_dated_after(flagship):
    # Month m is dated start + m (month 0, the initial state, is dated 2022-12): months 1-36
    # are 2023-2025, and no deal can be dated after the facts' period.
    market = flagship.model.market
    assert market["date"].iloc[0] == "2022-12" and market["date"].iloc[-1] == "2025-12"
    assert (market["date"].str[:4] == "2023").sum() == 12
    deals = flagship.model.deals
    assert (deals["date"] <= "2025-12").all()


def in_band_test(m: dict[str, float]) -> bool:
    """Fact 3's share of the model's deals in band: consistent with at least 60%."""
    return consistent_with_at_least(m["deals_in_band"], m["model_deals"], 0.6)


# Each fact on a market where its mechanism is switched off: the same flagship and seed,
# one thing changed. The fact must fail there, and fail on the condition that tests the
# mechanism (the measure named), not on something else.
BROKEN = {
    # Adaptive posted pay that never rises (raise rate 0): no firm answers declined offers by
    # paying more, so the within-firm AI premium rises less over the run (0.17 against 0.35
    # on seed 2024) and the AI pay index stays near 100 (100.75 against 101.70).
    "fact_1": ("no pay response", FLAGSHIP, ["firm_defaults.raise_rate=0"],
               "ratio_within_firms_rise", 0.2),
    "fact_4": ("no pay response", FLAGSHIP, ["firm_defaults.raise_rate=0"],
               "ai_index_2024_12", 101.5),
    # The worker takes the whole surplus (beta = 1 instead of the Postel-Vinay-Robin wage):
    # the researchers the run prices are paid far above $10M (56% in band against 89%).
    "fact_2": ("beta = 1", FLAGSHIP, ["tiers.researcher.bargaining_power=1",
                                      "tiers.ml_engineer.bargaining_power=1"],
               "researchers_in_band_market_priced", 0.75),
    # No researcher weighs GPUs: where they are hired still looks like fact 5 (86% above the
    # threshold: that is where the jobs are), but an eighth of their moves across the
    # threshold go down it (share up 0.876 against 0.973 on seed 2024; the generated
    # start-ups, below the threshold, lose researchers upward either way: the bound of 90% is
    # a threshold placed between the two over seeds 1-20, docs/validation.md).
    "fact_5": ("no GPU weight", SCENARIOS / "counterfactuals" / "no_gpu_threshold.toml", [],
               "researcher_moves_up_the_threshold", 0.9),
    # The model makes no deal of its own (no buyer ever looks: deal rate 0): no price per
    # engineer of the model's to measure.
    "fact_3": ("no deals of the model's", FLAGSHIP, ["firm_defaults.deal_rate=0"],
               "model_deals", 1),
    # Every deal that moves a top-tier engineer blocked: the model's deals are tried, and
    # blocked.
    "fact_3/blocked": ("every deal blocked",
                       SCENARIOS / "counterfactuals" / "block_acquihires.toml", [],
                       "model_deals", 1),
    # Teams valued over 30 years instead of 6: the price the model sets, premium x
    # (cash + Y sum v), leaves the band (median $88M a head on seed 2024, none in band).
    # The condition is the fact's binomial test of the share in band (the flagship's 5 of 7
    # on seed 2024 is consistent with 60%; none of the broken market's is).
    "fact_3/horizon": ("valuation over 30 years", FLAGSHIP, ["economy.valuation_years=30"],
                       "deals_in_band", in_band_test),
}
"""Broken markets, keyed by fact (``fact_N/label`` for a second market of the same fact)."""


@pytest.fixture(scope="module")
def broken_measures():
    cache: dict[tuple, dict[str, float]] = {}

    def get(path, overrides):
        key = (path, tuple(overrides))
        if key not in cache:
            cache[key] = measures(run_scenario(path, overrides=overrides))
        return cache[key]
    return get


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_each_fact_fails_where_its_mechanism_is_switched_off(flagship_checks, broken_measures,
                                                             case):
    _, path, overrides, key, bound = BROKEN[case]
    fact = case.split("/")[0]
    base, ok = flagship_checks
    m = broken_measures(path, overrides)
    holds = bound if callable(bound) else (lambda x, key=key, bound=bound: x[key] >= bound)
    # the flagship passes it (a fact not yet re-tuned: its mechanism's measure at least)...
    assert (ok[fact] or fact in NOT_YET_RETUNED) and holds(base), (key, base[key])
    assert not holds(m), (key, m[key])                          # ...the broken market not
    assert not checks(m)[fact], (TOLERANCES[fact], m)


def test_the_rise_of_the_within_firm_ratio_is_the_runs_not_the_inputs(flagship, broken_measures):
    # Month 0 is the same with and without the pay response (the inputs set it); only the
    # run separates them.
    path, overrides = BROKEN["fact_1"][1:3]
    base = measures(flagship)
    m = broken_measures(path, overrides)
    assert m["ratio_within_firms_month_0"] == pytest.approx(base["ratio_within_firms_month_0"])
    # Month 0 already lies in fact 1's band [1.35, 1.7]: the band alone tests the inputs,
    # which is why the fact also asks for a rise over the run.
    assert 1.35 <= base["ratio_within_firms_month_0"] <= 1.7
    assert m["ratio_within_firms"] < base["ratio_within_firms"]


def test_fact_5s_old_measure_alone_holds_without_a_gpu_preference(broken_measures):
    # Why fact 5 needs the direction of moves: the share of hires above the threshold
    # passes on the market where nobody weighs GPUs.
    m = broken_measures(*BROKEN["fact_5"][1:3])
    assert m["researcher_hires_above_threshold"] >= 0.7
    assert m["researcher_moves_across_the_threshold"] >= 100   # enough moves to tell


def test_moves_up_the_threshold_count_only_researchers_job_to_job_moves_that_cross_it():
    # Threshold 10: Big has 20 GPUs in month 1 and 5 in month 2 (it sold them), Small 1.
    firms = pd.DataFrame({"month": [1, 1, 2, 2, 3, 3],
                          "firm": ["Big", "Small"] * 3, "gpus": [20, 1, 5, 1, 20, 1]})
    flows = pd.DataFrame([
        (1, "Small", "Big", "researcher", "job_to_job", 3),       # up
        (1, "Big", "Small", "researcher", "job_to_job", 1),       # down
        (1, "Small", "Big", "ml_engineer", "job_to_job", 50),     # not a researcher
        (1, "unemployment", "Big", "researcher", "hire_from_unemployment", 9),  # not a move
        (2, "Small", "Big", "researcher", "job_to_job", 7),       # Big below it then: no cross
        (3, "Small", "Big", "researcher", "job_to_job", 4),       # outside the period
    ], columns=["month", "source", "destination", "tier", "kind", "engineers"])
    market = pd.DataFrame({"month": [0, 1, 2, 3],
                           "date": ["2022-12", "2023-01", "2023-02", "2025-01"]})
    model = SimpleNamespace(flows=flows, firm_records=firms, market=market,
                            spec=SimpleNamespace(compute=SimpleNamespace(threshold=10)))
    share, crossing = researcher_moves_up_the_gpu_threshold(model, ("2023-01", "2024-12"))
    assert (share, crossing) == (0.75, 4)
    model.firm_records = firms.assign(gpus=1)                  # nobody above: nothing crosses
    share, crossing = researcher_moves_up_the_gpu_threshold(model, ("2023-01", "2024-12"))
    assert np.isnan(share) and crossing == 0


def test_the_pay_response_raises_the_within_firm_premium_over_seeds(flagship_checks,
                                                                   broken_measures):
    # Fact 1's pass rate swings with the seeds (80% on 1-20, 50% on 21-40: docs/validation.md),
    # so its mechanism is also judged
    # over paired seeds: with the pay response,
    # the within-firm AI premium rises more, by a paired difference whose 95% t interval
    # excludes 0. Five seeds: the flagship's own (2024, the pair of runs the module's other
    # tests read) and 1-4.
    path, overrides = BROKEN["fact_1"][1:3]
    key = "ratio_within_firms_rise"
    diffs = np.array([flagship_checks[0][key] - broken_measures(path, overrides)[key]] + [
        measures(run_scenario(FLAGSHIP, seed=seed))[key]
        - measures(run_scenario(FLAGSHIP, seed=seed, overrides=overrides))[key]
        for seed in (1, 2, 3, 4)])
    half = 2.776 * diffs.std(ddof=1) / np.sqrt(len(diffs))  # t(0.975, 4 degrees of freedom)
    assert diffs.mean() - half > 0, diffs


def test_fact_3_measures_only_the_model_s_own_deals(flagship, flagship_checks):
    # The dated deals' prices are the scenario's: fact 3 leaves them out, and a run whose
    # only deals are dated ones has no price of the model's to show.
    m, _ = flagship_checks
    deals = flagship.model.deals
    own = deals[(deals["origin"] == "model") & ~deals["blocked"].astype(bool)]
    assert (deals["origin"] == "scheduled").sum() == 4 and m["model_deals"] == len(own) >= 1
    assert m["deal_median_per_head"] == pytest.approx(own["price_per_engineer"].median())
    assert m["deals_done"] == len(own) + 4
    only_dated = {**m, "model_deals": 0.0, "deal_median_per_head": float("nan"),
                  "deals_in_band": 0.0}
    assert not checks(only_dated)["fact_3"]


def test_the_model_s_deals_are_priced_at_its_valuation_of_the_team(flagship):
    # The targets report no valuation (the generated start-ups): the price is the model's
    # V = cash + valuation_years x the team's annual value, times the buyer's premium (the
    # recorded premium is price / V, V recomputed when the deal is done).
    model = flagship.model
    deals = model.deals
    own = deals[(deals["origin"] == "model") & ~deals["blocked"].astype(bool)]
    assert len(own) >= 1 and own["target"].str.startswith("ai_startup_").all()
    for _, deal in own.iterrows():
        buyer = model.state.firms[model.state.firm_names.index(deal["buyer"])]
        assert deal["premium"] == pytest.approx(buyer.policy.premium)
        assert deal["price"] == pytest.approx(deal["valuation"] * buyer.policy.premium)
