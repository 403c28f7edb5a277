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
