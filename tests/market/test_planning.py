"""The firm table: the tiers firms hire, and the columns it shares with the table before."""

import dataclasses

import numpy as np
import pytest

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
               ("value_per_output", 2.0e6), ("outreach", firm.outreach + 700)]  # counts
    # of people a month are scaled to the market (2,000 of 100,000): +700 is +14
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
    rules = {"max_pay_share": 0.05, "beat_margin": 0.2, "retention_calls": 300,
             "retention_call_cost": 12_345.0, "make_whole": 0.7}
    for rule, value in rules.items():  # each rule the table reads, changed alone
        before = state.table
        firm.change_policy({rule: value})
        refresh_table(state, before.open)
        expected = 6 if rule == "retention_calls" else value  # 300 x 2,000 / 100,000
        assert getattr(state.table, rule)[1] == expected != getattr(before, rule)[1], rule
    # Unchanged: the derived columns are the very arrays of the table before.
    again = state.table
    refresh_table(state, again.open)
    assert state.table.value_factor is again.value_factor


# ------------------------------------------------- counts of people a month, at scale

def test_counts_of_people_a_month_scale_with_the_market_as_the_teams_do():
    from sim import load_scenario
    from sim.market.planning import PEOPLE_A_MONTH, at_scale

    flagship = SCENARIOS / "ai_talent_war_2024.toml"
    stated = load_scenario(flagship)          # 100,000 engineers = market.teams_at
    small = load_scenario(flagship, ["market.engineers=20000"])
    full_table = TalentMarket(stated, seed=1).state.table
    small_table = TalentMarket(small, seed=1).state.table
    names = list(stated.firms)
    deepmind = names.index("Google_DeepMind")
    for key in PEOPLE_A_MONTH:
        full, part = getattr(full_table, key), getattr(small_table, key)
        np.testing.assert_array_equal(part, at_scale(full, 0.2), err_msg=key)
    # DeepMind: 30 contacts and 10 retention calls a month at 100,000 engineers, 6 and 2 at
    # 20,000; its hiring capacity 1,500 -> 300; a count of 1 stays 1; none (0) stays none
    assert full_table.outreach[deepmind] == 30 and small_table.outreach[deepmind] == 6
    assert small_table.retention_calls[deepmind] == 2
    assert small_table.hiring_capacity[deepmind] == 300
    np.testing.assert_array_equal(at_scale(np.array([0.0, 1.0, 3.0, np.inf]), 0.05),
                                  [0.0, 1.0, 1.0, np.inf])


def test_the_share_of_researchers_a_lab_contacts_does_not_depend_on_the_market_size():
    # The month's outreach contacts over the researchers who can be contacted: the same at
    # 20,000 engineers as at 100,000 (up to rounding), not five times as high.
    from sim import columns as c
    from sim import load_scenario

    flagship = SCENARIOS / "ai_talent_war_2024.toml"
    shares = []
    for n in (100_000, 20_000):
        model = TalentMarket(load_scenario(flagship, [f"market.engineers={n}", "months=2"]),
                             seed=1)
        model.run()
        firms = model.firm_records
        row = firms[(firms[c.MONTH] == 1) & (firms[c.FIRM] == "Google_DeepMind")]
        researchers = int(model.market[c.per_tier(c.EMPLOYED, "researcher")].iloc[0]
                          + model.market[c.per_tier(c.UNEMPLOYED, "researcher")].iloc[0])
        shares.append(float(row[c.OUTREACH_CONTACTS].iloc[0]) / researchers)
    assert shares[1] == pytest.approx(shares[0], rel=0.05), shares
