"""The firm table: the tiers firms hire, and the columns it shares with the table before."""

import dataclasses

import numpy as np

from sim import TalentMarket
from sim.market.planning import firm_table, open_vacancies, refresh_table
from sim.market.state import FirmTable
from tests.conftest import SCENARIOS, scenario_of, small_market


def firm_by_firm(model: TalentMarket) -> np.ndarray:
    """The tiers each firm hires by its own rule (Firm.hiring), kept for active firms."""
    state = model.state
    rule = np.array([f.hiring(state.heads[f.index], state.month) for f in state.firms])
    return rule & np.array([f.active for f in state.firms])[:, None]


def test_the_tiers_hired_for_all_firms_at_once_are_each_firm_s_own_rule():
    # Delta is under margin pressure from its first accounts (it hires AI tiers only),
    # Gamma earns little and wants a long runway (a hiring freeze): every branch is met.
    data = small_market(months=12, firms={
        "Delta": {"policy": {"margin_target": 0.99}},
        "Gamma": {"tfp": 0.01, "policy": {"runway_months": 600}}})
    model = TalentMarket(scenario_of(data), market__engineers=2_000)
    pressed = frozen = 0
    for _ in range(12):
        model.step()
        open_vacancies(model.state)  # the next month's decision, on this month's state
        expected = firm_by_firm(model)
        assert np.array_equal(model.state.table.open, expected)
        firms = model.state.firms
        pressed += sum(f.under_pressure() and bool(expected[f.index].any()) for f in firms)
        frozen += sum(f.active and not expected[f.index].any() for f in firms)
    assert pressed > 0 and frozen > 0
    flagship = TalentMarket(SCENARIOS / "ai_talent_war_2024.toml", seed=3,
                            market__engineers=3_000, months=12)
    for _ in range(12):
        flagship.step()
        open_vacancies(flagship.state)
        assert np.array_equal(flagship.state.table.open, firm_by_firm(flagship))


def test_a_refreshed_table_equals_one_built_afresh_after_firms_change():
    # The table shares the columns of unchanged numbers and rules with the one before: a
    # change of any of them must give the columns a table built from nothing gives.
    model = TalentMarket(SCENARIOS / "ai_talent_war_2024.toml", seed=5,
                         market__engineers=2_000, months=3)
    model.step()
    state = model.state
    firm = state.firms[1]
    changes = [("gpus", firm.gpus * 3), ("tfp", firm.tfp * 1.5), ("mission", 0.01),
               ("value_per_output", 2.0e6), ("outreach", firm.outreach + 7)]
    for name, value in changes:
        before = state.table
        setattr(firm, name, value)
        refresh_table(state, before.open)
        fresh = firm_table(state.firms, state.spec, state.engineers.tier_ai, state.heads,
                           state.month, before.open)
        for column in (f.name for f in dataclasses.fields(FirmTable)
                       if f.name != "source"):  # every column of the table
            assert np.array_equal(getattr(state.table, column), getattr(fresh, column)), (
                name, column)
        assert not np.array_equal(
            np.atleast_1d(getattr(state.table, name if name != "value_per_output"
                                  else "value_factor")),
            np.atleast_1d(getattr(before, name if name != "value_per_output"
                                  else "value_factor"))), name
    firm.change_policy({"counter_offer": "beat", "expected_growth": 0.9})
    before = state.table
    refresh_table(state, before.open)
    assert state.table.counter_offer[1] == 2 and before.counter_offer[1] != 2
    assert state.table.horizon[1] != before.horizon[1]
    rules = {"max_pay_share": 0.05, "beat_margin": 0.2, "retention_calls": 3,
             "retention_call_cost": 12_345.0, "make_whole": 0.7}
    for rule, value in rules.items():  # each rule the table reads, changed alone
        before = state.table
        firm.change_policy({rule: value})
        refresh_table(state, before.open)
        assert getattr(state.table, rule)[1] == value != getattr(before, rule)[1], rule
    # Unchanged: the derived columns are the very arrays of the table before.
    again = state.table
    refresh_table(state, again.open)
    assert state.table.value_factor is again.value_factor
