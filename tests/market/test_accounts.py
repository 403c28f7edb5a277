"""The books balance, cash never goes negative, and a firm out of cash exits."""

import numpy as np
import pytest

from sim import TalentMarket
from sim.agents.engineers import UNEMPLOYED
from tests.conftest import SCENARIOS, scenario_of, small_market


def test_invariants_every_month_in_a_long_run_with_every_response_on():
    from sim import load_scenario

    scenario = load_scenario(SCENARIOS / "ai_talent_war_2024.toml",
                             ["market.engineers=8000", "months=48", "seed=2",
                              "economy.funding_runway_months=60"])
    model = TalentMarket(scenario)
    n_firms = len(model.firms)
    kinds = set()
    while model.running:
        model.step()
        assert np.all(model.ledger.cash >= 0)
        assert model.ledger.total == pytest.approx(model.ledger.initial_total, rel=1e-9)
        firm = model.engineers.firm
        assert firm.min() >= UNEMPLOYED and firm.max() < n_firms
        inactive = [f.index for f in model.firms if not f.active]
        assert not np.isin(firm, inactive).any()
        row = model.market_row
        assert row["employed"] + row["unemployed"] == model.engineers.n
        kinds |= {k for k in ("layoffs", "counter_offers", "deals", "funding", "gpu_arrived")
                  if row[k] > 0}
    # The run exercised the responses it is meant to check.
    assert kinds == {"layoffs", "counter_offers", "deals", "funding", "gpu_arrived"}


def test_a_firm_that_runs_out_of_cash_shrinks_and_exits():
    data = small_market(months=12, firms={"Gamma": {"cash": 3e6, "tfp": 0.0,
                                                    "kind": "ai_startup"}},
                        economy={"funding_rate": 0.0})
    model = TalentMarket(scenario_of(data))
    j = model.firm_index("Gamma")
    sizes = []
    while model.running:
        model.step()
        sizes.append(model.members(j).size)
    assert not model.firm("Gamma").active
    assert sizes[-1] == 0 and max(sizes) > 0
    assert model.market["exits"].sum() == 1
    assert model.ledger.cash[j] == 0


def test_revenue_follows_the_production_function():
    model = TalentMarket(scenario_of(small_market(months=1)))
    model.step()
    eng = model.engineers
    j = model.firm_index("Alpha")
    team = model.members(j)
    g = 1.0  # Alpha has 50,000 GPUs: pull ~1
    q = np.array([150_000, 25_000])[eng.tier[team]]
    ai = eng.tier_ai[eng.tier[team]]
    expected = np.sum(eng.productivity[team] * q * (1 + ai * 1.0 * g))
    assert model.state.log.tallies.revenue[j] == pytest.approx(expected, rel=1e-3)
