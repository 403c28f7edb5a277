"""Pay kept sorted across months: its quantiles equal numpy's bit for bit, and updating it
from the changed rows gives what sorting afresh gives."""

import numpy as np
import pytest

from sim.market.payorder import PayOrder, linear_quantiles, sorted_median

LEVELS = np.array([0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0, 1 / 3, 0.7])


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 10, 11, 999, 1000])
def test_quantiles_and_medians_equal_numpys_to_the_bit(n):
    rng = np.random.default_rng(n)
    for values in (rng.lognormal(12, 1, n), np.round(rng.uniform(1e5, 2e5, n), -4),
                   rng.uniform(0, 1, n) * 10.0 ** rng.integers(-3, 9, n)):
        ordered = np.sort(values)
        assert np.array_equal(linear_quantiles(ordered, LEVELS), np.quantile(values, LEVELS))
        assert sorted_median(ordered) == np.median(values)


def test_no_values_have_nan_quantiles():
    assert np.isnan(linear_quantiles(np.zeros(0), LEVELS)).all()
    assert np.isnan(sorted_median(np.zeros(0)))


def _fresh(firm, pay, tier, tiers):
    employed = firm != -1
    return np.sort(pay[employed & np.isin(tier, tiers)])


@pytest.mark.parametrize("rebuild_below", [0, 10**9])  # kept up to date, or sorted afresh
def test_updates_from_the_changed_rows_equal_a_fresh_sort(rebuild_below):
    rng = np.random.default_rng(3)
    n = 5_000
    tier = np.sort(rng.integers(0, 3, n))
    firm = rng.integers(-1, 6, n).astype(np.int32)
    pay = np.round(rng.uniform(1, 50, n)) * 1000.0  # many ties, so repeats are removed right
    groups = [tier_set == np.arange(3) for tier_set in (0, 1, 2)]
    groups += [np.isin(np.arange(3), [0, 1]), np.isin(np.arange(3), [2])]
    order = PayOrder(groups, tier, by_firm=[0, 1], rebuild_below=rebuild_below)
    order.update(firm, pay)
    for month in range(12):
        who = rng.choice(n, 400, replace=False)
        firm[who[:200]] = rng.integers(-1, 6, 200)  # moves, some to unemployment
        pay[who[100:300]] = np.round(rng.uniform(1, 50, 200)) * 1000.0  # raises
        pay[firm == -1] = 0.0
        order.update(firm, pay)
        assert order.valid
        for g, tiers in enumerate(([0], [1], [2], [0, 1], [2])):
            assert np.array_equal(order.sorted[g], _fresh(firm, pay, tier, tiers)), month
        for t in (0, 1):
            rows = (firm != -1) & (tier == t)
            lexical = np.lexsort((pay[rows], firm[rows]))
            assert np.array_equal(order.by_firm[t].real, firm[rows][lexical])
            assert np.array_equal(order.by_firm[t].imag, pay[rows][lexical])


@pytest.mark.parametrize("rebuild_below", [0, 10**9])
def test_nan_pay_is_not_ordered(rebuild_below):
    tier = np.zeros(4, dtype=np.int8)
    order = PayOrder([np.array([True])], tier, rebuild_below=rebuild_below)
    firm = np.zeros(4, dtype=np.int32)
    order.update(firm, np.array([1.0, 2.0, 3.0, 4.0]))
    assert order.valid
    order.update(firm, np.array([1.0, np.nan, 3.0, 4.0]))
    assert not order.valid
    order.update(firm, np.array([1.0, 5.0, 3.0, 4.0]))
    assert order.valid and np.array_equal(order.sorted[0], [1.0, 3.0, 4.0, 5.0])


def test_a_market_s_pay_statistics_equal_those_computed_afresh_every_month():
    # The benchmark market moves, raises, lays off and trades engineers in deals: after
    # every month the kept order gives what np.quantile, np.median and the sort by firm give.
    from sim import columns as c
    from sim.market.measures import firm_pay_statistics
    from sim.model import TalentMarket
    from tests.conftest import ROOT

    model = TalentMarket(ROOT / "benchmarks" / "market_100_firms.toml", months=8,
                         **{"market.engineers": 6_000})
    eng = model.engineers
    levels = list(c.PAY_QUANTILES.values())
    changed = 0
    while model.running:
        before = eng.pay.copy()
        model.step()
        changed += int(np.count_nonzero(before != eng.pay))
        employed = eng.firm != -1
        row = model.market_row
        for t, name in enumerate(eng.tier_names):
            pay = eng.pay[employed & (eng.tier == t)]
            expected = np.quantile(pay, levels)
            got = [row[c.pay_column(label, name)] for label in c.PAY_QUANTILES]
            assert np.array_equal(got, expected), (model.steps, name)
        ai = eng.tier_ai[eng.tier]
        assert row[c.AI_PAY_MEDIAN] == np.median(eng.pay[employed & ai])
        assert row[c.NON_AI_PAY_MEDIAN] == np.median(eng.pay[employed & ~ai])
        afresh = firm_pay_statistics(model.state)  # sorted afresh, not from the kept order
        kept = model._firm_records[-1]
        for key, values in afresh.items():
            assert np.array_equal(kept[key], values, equal_nan=True), (model.steps, key)
    assert changed > 1_000  # pay did change: the order was updated, not just built
