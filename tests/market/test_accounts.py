"""The books balance, cash never goes negative, and a firm out of cash exits."""

import numpy as np
import pytest

from sim import TalentMarket
from tests.conftest import scenario_of, small_market


def test_invariants_every_month_in_a_market_where_every_response_is_certain():
    # Each response is certain by its own rule, not by a seed's luck: Delta is under margin
    # pressure from month 2 (layoffs), Alpha matches the offers Beta makes its people
    # (counter-offers: Beta's value e^-0.1 is above their pay), Gamma burns cash with the
    # funding rule certain to fire (funding), Beta orders GPUs towards a target
    # (deliveries), Alpha buys Gamma's team at a date (a deal), and Delta's cash runs out
    # (an exit, its people return to the market). The checked run raises at the first
    # month that breaks an invariant (sim/market/invariants.py: places follow recorded
    # moves, no negative cash, money conserved, pay and headcounts consistent).
    data = small_market(
        months=12,
        economy={"funding_rate": 1.0, "funding_runway_months": 60},
        firms={"Alpha": {"policy": {"counter_offer": "match"}},
               "Beta": {"policy": {"gpu_target": 80_000}},
               "Gamma": {"cash": 1e6, "tfp": 0.1},
               "Delta": {"cash": 2e7, "tfp": 0.0,
                         "policy": {"margin_target": 0.5, "layoff_rate": 0.1}}},
        events=[{"type": "forced_deal", "month": 6, "buyer": "Alpha", "target": "Gamma",
                 "form": "acquisition", "price": 5e7, "review": False}])
    model = TalentMarket(scenario_of(data), check=True)
    model.run()
    market = model.market
    for response in ("layoffs", "counter_offers", "deals", "funding", "gpu_arrived", "exits"):
        assert market[response].sum() > 0, response
    assert not model.firm("Gamma").active and not model.firm("Delta").active
    assert model.ledger.total == pytest.approx(model.ledger.initial_total, rel=1e-9)


def test_a_firm_that_runs_out_of_cash_shrinks_and_exits():
    # max_pay_share 0.5: a $3M start-up may commit half its cash to one hire's pay (the
    # default, 0.2%, would keep it from hiring anyone: it would never be short of cash).
    data = small_market(months=12, firms={"Gamma": {"cash": 3e6, "tfp": 0.0,
                                                    "kind": "ai_startup",
                                                    "policy": {"max_pay_share": 0.5}}},
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
