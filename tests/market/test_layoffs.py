"""Layoffs: lowest value per cost first, non-AI before AI; laying off while bidding."""

import numpy as np

from sim import TalentMarket
from sim.agents.engineers import UNEMPLOYED
from sim.market.layoffs import layoffs
from sim.market.moves import LAYOFF
from sim.market.planning import refresh_table
from sim.market.production import revenue_product
from sim.market.state import MonthLog, Tallies
from tests.conftest import scenario_of, small_market


def test_layoffs_fall_on_the_lowest_value_per_cost_engineers():
    data = small_market(
        tiers={"engineer": {"productivity": {"distribution": "lognormal", "sigma": 0.4}},
               "researcher": {"productivity": {"distribution": "lognormal", "sigma": 0.4}}},
        firms={"Delta": {"policy": {"margin_target": 0.99, "layoff_rate": 0.2}}},
    )
    model = TalentMarket(scenario_of(data))
    model.step()  # a month of accounts: Delta now sees its margin
    j = model.firm_index("Delta")
    team = model.members(j)
    eng = model.engineers
    # Pay is posted pay x productivity, so value per cost would be one number per tier:
    # spread pay within the tier, so that the order within a group decides who goes.
    eng.pay[team] *= np.random.default_rng(1).uniform(0.5, 1.5, team.size)
    ratio = revenue_product(model.state, team, np.full(team.size, j)) / eng.pay[team]
    ratio = dict(zip(team, ratio, strict=True))
    # As the next month begins: Delta, under margin pressure, now hires AI tiers only.
    state = model.state
    heads = state.headcount()
    refresh_table(state, np.array([f.hiring(heads[f.index], state.month) for f in model.firms]))
    state.log = MonthLog(Tallies.zeros(state.n_firms, state.n_tiers))
    layoffs(state, heads)
    gone = state.log.moved_by(LAYOFF)
    assert gone.size == int(np.ceil(0.2 * team.size))
    kept = np.setdiff1d(team, gone)
    ai = eng.tier_ai[eng.tier]
    # Non-AI roles first: 20% of Delta is less than its non-AI share, so no AI role goes.
    assert not ai[gone].any()
    kept_non_ai = kept[~ai[kept]]
    # (value per cost equal to 1e-9 is a tie)
    assert max(ratio[i] for i in gone) <= min(ratio[i] for i in kept_non_ai) * (1 + 1e-9)
    # Those laid off are exactly the non-AI engineers of lowest value per cost.
    non_ai = team[~ai[team]]
    lowest = non_ai[np.argsort([ratio[i] for i in non_ai])[:gone.size]]
    assert set(gone) == set(lowest)
    assert state.log.tallies.layoffs[j, 1] == gone.size


def test_a_firm_lays_off_and_bids_for_researchers_in_the_same_month():
    data = small_market(months=6, firms={"Alpha": {"outreach": 10, "policy": {
        "growth": {"engineer": -0.9, "researcher": 0.5}}}})
    model = TalentMarket(scenario_of(data))
    model.run()
    firms = model.firm_records
    alpha = firms[(firms["firm"] == "Alpha") & (firms["month"] > 0)]
    both = (alpha["layoffs_engineer"] > 0) & (alpha["outreach_contacts"] > 0)
    assert both.sum() >= 3
    flows = model.flows
    bought = flows[(flows["destination"] == "Alpha") & (flows["tier"] == "researcher")]
    assert bought["engineers"].sum() > 0


def test_laid_off_engineers_return_to_the_market():
    data = small_market(months=12, firms={"Delta": {"policy": {"margin_target": 0.99}}})
    model = TalentMarket(scenario_of(data))
    model.step()  # Delta sees its first month's margin,
    model.step()  # and lays off
    laid_off = model.state.log.moved_by(LAYOFF)
    assert laid_off.size > 0
    assert (model.engineers.firm[laid_off] == UNEMPLOYED).all()
    model.run()
    # They search as unemployed engineers do: most are hired again within a year.
    rehired = np.mean(model.engineers.firm[laid_off] != UNEMPLOYED)
    assert rehired > 0.5


def test_the_layoff_order_puts_non_ai_roles_first_then_the_lowest_revenue_per_cost():
    from sim.market.layoffs import layoff_order

    data = small_market(months=1, tiers={
        tier: {"productivity": {"distribution": "lognormal", "sigma": 0.4}}
        for tier in ("researcher", "engineer")})
    model = TalentMarket(scenario_of(data))
    state = model.state
    eng = model.engineers
    team = model.members(model.firm_index("Alpha"))
    # Revenue product per cost differs within each group: productivity and pay are spread
    # independently (posted pay x productivity alone would make it one number per tier).
    eng.pay[team] *= np.random.default_rng(2).uniform(0.5, 1.5, team.size)
    order = layoff_order(state, team)
    ai = eng.tier_ai[eng.tier[order]]
    assert ai.any() and not ai.all()
    # Every non-AI engineer comes before every AI engineer.
    assert not ai[: np.count_nonzero(~ai)].any()
    # Within each, revenue product per cost ascends, from the lowest to the highest.
    x = revenue_product(state, order, eng.firm[order]) / eng.pay[order]
    for part in (x[~ai], x[ai]):
        assert part[-1] > 1.5 * part[0]
        assert np.all(np.diff(part) >= -1e-9 * part[1:])


def firm_by_firm_layoffs(state, heads: np.ndarray) -> tuple[set[int], set[int]]:
    """The layoff rule of :func:`sim.market.layoffs.layoffs` taken firm by firm over every
    employee: in each firm's order (non-AI first, then revenue product per cost
    ascending), the first ``excess`` of each tier above its line, and, for a firm under
    pressure, the first ``ceil(layoff_rate x headcount)`` of the tiers it is not hiring.
    Returns those cut for excess and those cut by quota. (Those who joined by a deal this
    month, whom layoffs keep, are left out: the test's month has no deals.)"""
    from sim.market.layoffs import layoff_line

    eng = state.engineers
    for_excess: set[int] = set()
    by_quota: set[int] = set()
    for firm in state.active_firms():
        j = firm.index
        team = np.flatnonzero(eng.firm == j)
        per_cost = (revenue_product(state, team, np.full(team.size, j))
                    / np.maximum(eng.pay[team], 1.0))
        order = team[np.lexsort((per_cost, eng.tier_ai[eng.tier[team]]))]
        excess = np.maximum(heads[j] - layoff_line(firm.targets(state.month)), 0)
        for t in range(state.n_tiers):
            for_excess |= set(order[eng.tier[order] == t][: int(excess[t])].tolist())
        if firm.under_pressure():
            quota = int(np.ceil(firm.policy.layoff_rate * heads[j].sum()))
            cuttable = order[~state.table.open[j, eng.tier[order]]]
            by_quota |= set(cuttable[:quota].tolist())
    return for_excess, by_quota


def test_layoffs_are_the_rule_taken_firm_by_firm_over_every_employee():
    """Every firm's layoffs, all firms at once, are those the rule gives firm by firm over
    all its employees, in a month where each way a layoff can fall binds: Delta, under
    pressure, cuts its engineers above their line and lays off a quota of them (the first
    of the same order: the two overlap); Gamma, under pressure, lays off a quota of its
    engineers (a tier it is not hiring, within its line); Alpha cuts engineers and Beta
    researchers above their lines.
    Each keeps a tier it may not cut (whose employees the layoffs need not order): Delta and
    Gamma their researchers, whom they still hire, Alpha its researchers, Beta its
    engineers."""
    data = small_market(
        tiers={tier: {"productivity": {"distribution": "lognormal", "sigma": 0.4}}
               for tier in ("researcher", "engineer")},
        firms={"Delta": {"policy": {"margin_target": 0.99, "layoff_rate": 0.1,
                                    "growth": {"engineer": -0.95}}},
               "Gamma": {"policy": {"margin_target": 0.99, "layoff_rate": 0.25}},
               "Alpha": {"policy": {"growth": {"engineer": -0.9}}},
               "Beta": {"policy": {"growth": {"researcher": -0.9}}}},
    )
    model = TalentMarket(scenario_of(data))
    model.step()  # a month of accounts: Delta and Gamma now see their margins
    state = model.state
    eng = model.engineers
    employed = np.flatnonzero(eng.firm >= 0)
    eng.pay[employed] *= np.random.default_rng(3).uniform(0.5, 1.5, employed.size)
    state.month += 3  # as three months on: the shrinking tiers' targets below their heads
    heads = state.headcount()
    refresh_table(state, np.array([f.hiring(heads[f.index], state.month) for f in model.firms]))
    state.log = MonthLog(Tallies.zeros(state.n_firms, state.n_tiers))
    for_excess, by_quota = firm_by_firm_layoffs(state, heads)
    firm, tier = eng.firm.copy(), eng.tier.copy()
    layoffs(state, heads)
    gone = state.log.moved_by(LAYOFF)
    assert set(gone.tolist()) == for_excess | by_quota
    # Where each way binds.
    names = list(eng.tier_names)
    researcher, engineer = names.index("researcher"), names.index("engineer")
    alpha, beta, gamma, delta = (model.firm_index(f) for f in ("Alpha", "Beta", "Gamma",
                                                                "Delta"))

    def cut(j: int, t: int, among: set[int]) -> set[int]:
        return {i for i in among if firm[i] == j and tier[i] == t}

    assert [model.firms[j].under_pressure() for j in (alpha, beta, gamma, delta)] == [
        False, False, True, True]
    assert cut(delta, engineer, for_excess) & cut(delta, engineer, by_quota)
    assert cut(gamma, engineer, by_quota) and not cut(gamma, engineer, for_excess)
    assert cut(alpha, engineer, for_excess) and cut(beta, researcher, for_excess)
    # The tiers each keeps whole: employees there, none laid off.
    kept = {(alpha, researcher), (beta, engineer), (gamma, researcher), (delta, researcher)}
    assert state.table.open[gamma, researcher] and state.table.open[delta, researcher]
    for j, t in kept:
        assert np.any((firm == j) & (tier == t)), (j, t)
        assert not np.any((firm[gone] == j) & (tier[gone] == t)), (j, t)
