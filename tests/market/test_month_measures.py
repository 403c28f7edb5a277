"""The month's market row and firm columns agree: each count of the market row is the sum of
the firm columns (or of the tallies they come from), read by attribute."""

from dataclasses import fields

import numpy as np

from sim import TalentMarket
from sim import columns as c
from sim.market.measures import (
    MonthFlows,
    PayIndex,
    firm_columns,
    firm_tallies,
    market_row,
    pay_order,
    tally_amounts,
    tally_counts,
)
from sim.market.state import Tallies
from tests.conftest import scenario_of, small_market


def test_each_tally_column_reads_the_tally_of_its_name():
    # a distinct value in each tally: a column reading the wrong one shows
    tallies = Tallies(**{f.name: np.full(2, k) for k, f in enumerate(fields(Tallies))})
    for columns in (tally_counts(tallies), tally_amounts(tallies), firm_tallies(tallies)):
        for key, value in columns.items():
            assert np.array_equal(value, getattr(tallies, key)), key
    assert list(firm_tallies(tallies)) == [
        c.COUNTER_OFFERS, c.COUNTER_OFFERS_ACCEPTED, c.RETENTION_CALLS, c.RETENTION_KEPT,
        c.GPU_ORDERED, c.GPU_ARRIVED, c.REVENUE, c.FUNDING, c.DEALS, c.DEALS_BLOCKED,
        c.EXITS]


def test_the_market_row_sums_the_firm_columns():
    model = TalentMarket(scenario_of(small_market(months=3)))
    model.run()
    state = model.state
    moves = state.log.all_moves()
    flows = MonthFlows.of(state, moves)
    order = pay_order(state, model.measures)
    row = market_row(state, moves, flows, order, model.pay_index)
    firms = firm_columns(state, flows, order)
    assert row[c.HIRES] == firms[c.HIRES].sum() > 0
    assert row[c.JOB_TO_JOB] == firms[c.QUITS].sum()
    assert row[c.SEPARATIONS] == firms[c.SEPARATIONS].sum()
    assert row[c.EMPLOYED] == firms[c.HEADCOUNT].sum()
    assert row[c.OFFERS] == firms[c.OFFERS].sum()
    for key in (c.COUNTER_OFFERS, c.RETENTION_CALLS, c.DEALS, c.EXITS):
        assert row[key] == firms[key].sum()
    for key in (c.REVENUE, c.FUNDING, c.GPU_ORDERED):
        assert np.isclose(row[key], firms[key].sum(), rtol=1e-12)
    assert row[c.REVENUE] > 0
    assert row == model.market_row  # the same row the model recorded for this month


def test_the_pay_index_is_100_at_the_first_month_with_pay_and_moves_with_the_median():
    index = PayIndex()
    assert np.isnan(index.index(0, np.nan))  # nobody employed yet: no base
    assert index.index(0, 200_000.0) == 100.0
    assert index.index(0, 250_000.0) == 125.0
    assert index.index(1, 80_000.0) == 100.0  # each kind has its own base
    assert index.base == [200_000.0, 80_000.0]


def test_the_model_keeps_the_pay_index_its_market_rows_use():
    model = TalentMarket(scenario_of(small_market(months=3)))
    model.run()
    market = model.market
    base = model.pay_index.base
    assert base == [market[c.AI_PAY_MEDIAN].iloc[0], market[c.NON_AI_PAY_MEDIAN].iloc[0]]
    assert np.allclose(market[c.AI_PAY_INDEX], 100 * market[c.AI_PAY_MEDIAN] / base[0])


def test_sums_by_firm_are_those_over_the_employed_added_in_engineer_order():
    # The counts by firm run over every engineer (the unemployed in a bin of their own,
    # dropped): each firm's sum must be the very float a count over the employed alone
    # gives (the same values added in the same order), in a market with unemployed
    # engineers among the employed, month after month.
    from sim import columns as c
    from sim.market.production import output_by_firm_and_tier
    from sim.model import TalentMarket
    from tests.conftest import ROOT

    model = TalentMarket(ROOT / "benchmarks" / "market_100_firms.toml", months=6,
                         **{"market.engineers": 6_000})
    eng, state = model.engineers, model.state
    n_firms, n_tiers = state.n_firms, state.n_tiers
    unemployed_between = 0
    while model.running:
        model.step()
        employed = eng.firm != -1
        firm, pay = eng.firm[employed], eng.pay[employed]
        unemployed_between += int(np.count_nonzero(np.diff(employed.astype(np.int8)) == 1))
        record = model._firm_records[-1]
        paybill = np.bincount(firm, weights=pay, minlength=n_firms) / 12.0
        assert np.array_equal(record[c.PAY_BILL_MONTHLY], paybill)
        for t, name in enumerate(eng.tier_names):
            mine = employed & (eng.tier == t)
            heads = np.bincount(eng.firm[mine], minlength=n_firms)
            total = np.bincount(eng.firm[mine], weights=eng.pay[mine], minlength=n_firms)
            mean = np.divide(total, heads, out=np.full(n_firms, np.nan), where=heads > 0)
            assert np.array_equal(record[c.pay_column("mean", name)], mean, equal_nan=True)
        code = firm.astype(np.int64) * n_tiers + eng.tier[employed]
        output = np.bincount(code, weights=eng.productivity[employed]
                             * state.tier_output[eng.tier[employed]],
                             minlength=n_firms * n_tiers).reshape(-1, n_tiers)
        assert np.array_equal(output_by_firm_and_tier(state), output)
    assert unemployed_between > 50  # unemployed engineers lie between employed ones
