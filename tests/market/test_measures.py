"""Per-firm measures: pay statistics by firm and tier."""

import numpy as np

from sim import TalentMarket
from sim.agents.engineers import UNEMPLOYED
from sim.market.measures import sorted_quantile
from tests.conftest import scenario_of, small_market


def test_sorted_quantile_matches_numpy():
    rng = np.random.default_rng(1)
    runs = [np.sort(rng.lognormal(12, 1, n)) for n in (1, 2, 5, 100)]
    values = np.concatenate(runs)
    sizes = np.array([r.size for r in runs])
    starts = np.cumsum(sizes) - sizes
    for q in (0.5, 0.9, 0.99):
        assert np.allclose(sorted_quantile(values, starts, sizes, q),
                           [np.quantile(r, q) for r in runs], rtol=0, atol=1e-9)


def test_firm_pay_columns_are_each_firms_own_pay():
    model = TalentMarket(scenario_of(small_market(months=2)))
    model.run()
    last = model.firm_records.query("month == 2").set_index("firm")
    eng = model.engineers
    for name in ("Alpha", "Gamma"):
        j = model.firm_index(name)
        for t, tier in enumerate(eng.tier_names):
            block = eng.tier_slice(t)
            pay = eng.pay[block][eng.firm[block] == j]
            assert np.isclose(last.loc[name, f"pay_mean_{tier}"], pay.mean())
            if eng.tier_ai[t]:
                assert np.isclose(last.loc[name, f"pay_median_{tier}"], np.median(pay))
                assert np.isclose(last.loc[name, f"pay_p90_{tier}"], np.quantile(pay, 0.9))
            else:
                assert f"pay_median_{tier}" not in last.columns
    assert (model.engineers.firm != UNEMPLOYED).any()


def test_flows_counted_sparsely_match_the_dense_count(monkeypatch):
    from sim.market import measures

    # Every month counted densely (however few the moves), then sparsely.
    monkeypatch.setattr(measures, "DENSE_FLOW_RATIO", 10**9)
    dense = TalentMarket(scenario_of(small_market(months=4)))
    dense.run()
    monkeypatch.setattr(measures, "DENSE_FLOW_CELLS", 0)
    sparse = TalentMarket(scenario_of(small_market(months=4)))
    sparse.run()
    assert len(dense.flows) > 10
    assert dense.flows.equals(sparse.flows)
