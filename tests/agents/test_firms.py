"""Firm agents: their creation, their decision rules, their policies."""

import numpy as np
import pytest

from sim import TalentMarket
from sim.errors import UserError
from tests.conftest import scenario_of, small_market


def test_change_policy_takes_a_dict_and_the_scenario_override_still_wins():
    data = small_market(months=1, policy_override={"retention_calls": 3})
    model = TalentMarket(scenario_of(data))
    firm = model.firm("Alpha")
    firm.change_policy({"counter_offer": "beat", "retention_calls": 9})
    assert firm.policy.counter_offer == "beat"
    assert firm.policy.retention_calls == 3


def test_change_policy_refuses_an_unknown_rule():
    model = TalentMarket(scenario_of(small_market(months=1)))
    with pytest.raises(ValueError):
        model.firm("Alpha").change_policy({"counter_ofer": "beat"})


def test_plan_orders_the_gpu_gap_within_its_budget():
    data = small_market(months=1, firms={"Alpha": {"cash": 1e9, "policy": {
        "gpu_target": 1e9, "gpu_budget_share": 0.2}}})
    model = TalentMarket(scenario_of(data))
    firm = model.firm("Alpha")
    n_tiers = len(model.engineers.tier_names)
    zeros = np.zeros(n_tiers)
    price = model.spec.compute.gpu_price
    quantity = firm.plan(zeros, zeros, zeros, zeros, zeros, 1, 0.0, price)
    assert quantity == int(0.2 * 1e9 / price)
    # A firm at its target orders nothing.
    firm.policy = firm.policy.model_copy(update={"gpu_target": firm.gpus})
    assert firm.plan(zeros, zeros, zeros, zeros, zeros, 1, 0.0, price) == 0


def test_generated_names_that_clash_are_refused():
    data = small_market(months=1, generated_firms=[
        {"count": 2, "prefix": "x", "pay": {"engineer": 100_000}},
        {"count": 2, "prefix": "x", "pay": {"engineer": 100_000}}])
    with pytest.raises(UserError, match="unique"):
        TalentMarket(scenario_of(data))


def test_adaptive_posted_pay_rises_with_the_share_of_offers_declined_up_to_the_value():
    data = small_market(months=1, firms={"Alpha": {"policy": {
        "pay_policy": "adaptive", "raise_rate": 0.05,
        "growth": {"researcher": 0.5, "engineer": 0.5}}}})
    model = TalentMarket(scenario_of(data))
    firm = model.firm("Alpha")
    before = firm.pay.copy()
    short = np.zeros(before.size)  # no one employed: far below target
    zeros = np.zeros(before.size)
    ten = np.full(before.size, 10.0)
    cap = before * 1.03
    # Short, and every offer declined: a raise of raise_rate, capped at the value.
    firm.plan(short, zeros, zeros, ten, cap, 1, 0.0, 30_000.0)
    assert np.allclose(firm.pay, cap)
    firm.plan(short, zeros, zeros, ten, before * 10, 2, 0.0, 30_000.0)
    assert np.allclose(firm.pay, cap * 1.05)
    # Half the offers declined: half the raise.
    held = firm.pay.copy()
    firm.plan(short, np.full(before.size, 5.0), zeros, ten, before * 10, 3, 0.0, 30_000.0)
    assert np.allclose(firm.pay, held * 1.025)
    # Short, but every offer taken, or no offer made: no reason to pay more (no drift).
    held = firm.pay.copy()
    firm.plan(short, ten, zeros, ten, before * 10, 4, 0.0, 30_000.0)
    firm.plan(short, zeros, zeros, zeros, before * 10, 5, 0.0, 30_000.0)
    assert np.array_equal(firm.pay, held)
    # A firm at its target keeps its posted pay, whatever its offers met.
    full = firm.targets(6) + 1
    firm.plan(full, zeros, zeros, ten, before * 10, 6, 0.0, 30_000.0)
    assert np.array_equal(firm.pay, held)




def test_a_firm_whose_offers_are_declined_raises_pay_faster_than_one_whose_offers_are_taken():
    # Alpha and Beta are alike (big tech, 50,000 GPUs, adaptive pay, always short of
    # researchers) but for posted pay: Alpha offers researchers 2M, Beta 1M like Gamma and
    # Delta. Searchers hold two offers: Beta's are often declined for a better one, Alpha's
    # rarely. Raises follow the share declined, so Beta's pay rises by more (a fixed drift
    # would raise both by the same factor).
    policy = {"pay_policy": "adaptive", "raise_rate": 0.02, "growth": {"researcher": 1.0}}
    data = small_market(months=12, firms={
        "Alpha": {"policy": policy, "pay": {"researcher": 2_000_000}},
        "Beta": {"policy": policy}})
    model = TalentMarket(scenario_of(data))
    model.run()
    pay = {name: model.firm(name).pay[0] for name in ("Alpha", "Beta")}
    rise = {"Alpha": pay["Alpha"] / 2_000_000, "Beta": pay["Beta"] / 1_000_000}
    assert rise["Beta"] > 1.0
    assert rise["Beta"] - 1.0 > 2.0 * (rise["Alpha"] - 1.0), rise


def test_a_scheduled_event_warns_when_it_overrides_a_policy_set_from_python():
    data = small_market(months=4, events=[
        {"type": "policy_change", "month": 2, "firm": "Alpha",
         "policy": {"counter_offer": "match"}},
        {"type": "policy_change", "month": 3, "firm": "Beta",
         "policy": {"counter_offer": "match"}}])
    model = TalentMarket(scenario_of(data))
    model.firm("Alpha").change_policy({"counter_offer": "beat"})
    model.firm("Beta").change_policy({"retention_calls": 2})  # a rule no event sets
    model.step()
    with pytest.warns(UserWarning, match="policy_change event of 2 sets counter_offer of "
                      "Alpha, overriding what change_policy set from Python") as caught:
        model.step()
    assert model.firm("Alpha").policy.counter_offer == "match"  # the event still applies
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.step()  # Beta's event sets no rule Beta's user set: no warning
        model.step()
    assert len([w for w in caught if issubclass(w.category, UserWarning)]) == 1

def test_pay_is_cut_below_half_the_runway_and_frozen_below_the_runway():
    data = small_market(months=1, firms={"Alpha": {"cash": 1e6, "policy": {
        "pay_policy": "adaptive", "raise_rate": 0.05, "cut_rate": 0.02, "runway_months": 12,
        "growth": {"researcher": 0.5, "engineer": 0.5}}}})
    model = TalentMarket(scenario_of(data))
    firm = model.firm("Alpha")
    before = firm.pay.copy()
    zeros, ten = np.zeros(before.size), np.full(before.size, 10.0)
    # burn 1e5 a month: a runway of 10 months, below 12 and above 6: pay frozen
    firm.remember_month(revenue=0.0, payroll=1e5)
    firm.plan(zeros, zeros, zeros, ten, before * 10, 1, 0.0, 30_000.0)
    assert np.array_equal(firm.pay, before)
    # burn 2.5e5: 4 months, below half of 12: pay cut by cut_rate, whatever the offers met
    firm.remember_month(revenue=0.0, payroll=2.5e5)
    firm.plan(zeros, zeros, zeros, ten, before * 10, 2, 0.0, 30_000.0)
    assert np.allclose(firm.pay, before * 0.98)
    # no burn: the raise answers the declined offers again
    firm.remember_month(revenue=1e6, payroll=0.0)
    firm.plan(zeros, zeros, zeros, ten, before * 10, 3, 0.0, 30_000.0)
    assert np.allclose(firm.pay, before * 0.98 * 1.05)


def test_the_plan_of_many_firms_at_once_is_each_firms_own():
    # plan_pay_and_orders over firms in every branch (cut, frozen, raised, capped, at
    # target, no target, GPU order or none) gives each firm what its one-row plan gives.
    from sim.agents.firms import plan_pay_and_orders, policy_arrays
    from sim.scenario.schema import Policy

    rng = np.random.default_rng(7)
    n, t = 40, 3
    policies = tuple(Policy(pay_policy="adaptive" if k % 5 else "fixed",
                            raise_rate=0.01 * (k % 4), cut_rate=0.03, runway_months=12,
                            gpu_target=None if k % 3 == 0 else 5e4, gpu_budget_share=0.1)
                     for k in range(n))
    pay = rng.uniform(0, 3e5, (n, t)) * (rng.random((n, t)) > 0.1)
    heads = rng.integers(0, 20, (n, t)).astype(float)
    hires, quits = rng.integers(0, 5, (n, t)).astype(float), rng.integers(0, 5, (n, t))
    offers = hires + rng.integers(0, 5, (n, t))
    cap = np.where(rng.random((n, t)) > 0.3, pay * rng.uniform(0.9, 1.2, (n, t)), np.inf)
    targets = np.where(rng.random((n, t)) > 0.3, rng.uniform(0, 25, (n, t)), np.inf)
    runway = rng.choice([2.0, 8.0, 30.0, np.inf], n)
    gpus, on_order = rng.uniform(0, 6e4, n), rng.uniform(0, 1e4, n)
    cash = rng.uniform(0, 1e10, n)
    all_pay, all_q = plan_pay_and_orders(pay, heads, hires, quits, offers, cap, targets,
                                         runway, policy_arrays(policies), gpus, on_order,
                                         cash, 30_000.0)
    branches = set()
    for k in range(n):
        one_pay, one_q = plan_pay_and_orders(
            pay[k:k + 1], heads[k:k + 1], hires[k:k + 1], quits[k:k + 1], offers[k:k + 1],
            cap[k:k + 1], targets[k:k + 1], runway[k:k + 1], policy_arrays((policies[k],)),
            gpus[k:k + 1], on_order[k:k + 1], cash[k:k + 1], 30_000.0)
        assert np.array_equal(one_pay[0], all_pay[k]) and one_q[0] == all_q[k]
        branches.add((bool((all_pay[k] < pay[k]).any()), bool((all_pay[k] > pay[k]).any()),
                      bool(all_q[k] > 0)))
    assert {(True, False, False), (False, True, False), (False, False, True)} <= branches


def test_a_firm_without_cash_raises_no_posted_pay():
    """Adaptive pay rises at most to min(V_jt, C_j) (posted_pay_caps): a firm without cash
    (C_j = 0) that is short of people and had its offers declined keeps its pay, where a
    cap of 0 was read as no cap and raised it without limit; the same firm with cash
    raises it."""
    from sim.market.planning import posted_pay_caps

    data = small_market(months=1, firms={"Alpha": {"policy": {
        "pay_policy": "adaptive", "raise_rate": 0.05,
        "growth": {"researcher": 0.5, "engineer": 0.5}}}})
    model = TalentMarket(scenario_of(data))
    state, firm = model.state, model.firm("Alpha")
    j = model.firm_index("Alpha")
    before = firm.pay.copy()
    short, zeros, ten = np.zeros(before.size), np.zeros(before.size), np.full(before.size, 10.0)
    assert firm.runway() == np.inf  # no accounts yet: the pay rule answers the offers
    state.ledger.cash[j] = 0.0
    caps = posted_pay_caps(state)
    assert np.array_equal(caps[j], np.zeros(before.size))
    firm.plan(short, zeros, zeros, ten, caps[j], 1, 0.0, 30_000.0)
    assert np.array_equal(firm.pay, before)
    state.ledger.cash[j] = 1e12
    firm.plan(short, zeros, zeros, ten, posted_pay_caps(state)[j], 2, 0.0, 30_000.0)
    assert np.allclose(firm.pay[before > 0], before[before > 0] * 1.05)


def test_targets_follow_month_policy_and_initial_heads():
    # Firm.targets keeps its last answer (and, without growth, answers the same every
    # month): a new month, a new policy or new initial heads must each be seen.
    from sim import TalentMarket
    from sim.agents.firms import policy_arrays
    from tests.conftest import SCENARIOS

    model = TalentMarket(SCENARIOS / "sweeps" / "small_market.toml", seed=1,
                         market__engineers=1_000, months=2)
    firm = model.firms[0]
    assert np.isinf(firm.targets(1)).all() and np.isinf(firm.targets(2)).all()
    firm.change_policy({"growth": {"top": 0.5, "swe": -0.1}})
    heads = firm.initial_heads
    for month in (1, 2, 2, 7):
        want = [max(heads[0], 1.0) * 1.5 ** (month / 12.0), np.inf,
                max(heads[2], 1.0) * 0.9 ** (month / 12.0)]
        assert firm.targets(month).tolist() == want
    firm.initial_heads = heads + 10.0
    assert firm.targets(7)[0] == (heads[0] + 10.0) * 1.5 ** (7 / 12.0)
    # The firms' rules as arrays, kept by the state while the rules are the same objects.
    state = model.state
    kept = state.policy_arrays(model.firms)
    assert state.policy_arrays(model.firms) is kept
    firm.change_policy({"raise_rate": 0.2})
    fresh = policy_arrays([f.policy for f in model.firms])
    assert state.policy_arrays(model.firms).raise_rate.tolist() == fresh.raise_rate.tolist()
    assert fresh.raise_rate[0] == 0.2
