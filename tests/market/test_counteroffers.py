"""Counter-offers and retention calls: what an employer's answer to an outside offer does."""

import numpy as np

from sim import TalentMarket
from tests.conftest import scenario_of, small_market

# Gamma and Delta poach: they pay researchers 40% more, with as many GPUs as Alpha and Beta.
POACHERS = {name: {"gpus": 50_000, "pay": {"researcher": 1_400_000}}
            for name in ("Gamma", "Delta")}


def run(changes, months=24):
    firms = {name: {**POACHERS.get(name, {}), **changes.get("firms", {}).get(name, {})}
             for name in ("Alpha", "Beta", "Gamma", "Delta")}
    changes = {**changes, "firms": firms}
    model = TalentMarket(scenario_of(small_market(months=months, **changes)))
    model.run()
    return model


def by_firm(model, column, firm, tier=None):
    firms = model.firm_records
    rows = firms[firms["firm"] == firm]
    return rows[column].sum() if tier is None else rows[f"{column}_{tier}"].sum()


def test_a_firm_that_matches_keeps_more_of_its_poached_engineers():
    model = run({"firms": {"Alpha": {"policy": {"counter_offer": "match"}},
                           "Beta": {"policy": {"counter_offer": "never"}}}})
    quits = {f: by_firm(model, "quits", f, "researcher") for f in ("Alpha", "Beta")}
    # Alpha and Beta are alike but for the policy: quits are Poisson-like counts.
    assert quits["Beta"] - quits["Alpha"] > 4 * np.sqrt(quits["Alpha"] + quits["Beta"]), quits
    assert by_firm(model, "counter_offers", "Alpha") > 0
    assert by_firm(model, "counter_offers_accepted", "Alpha") > 0
    assert by_firm(model, "counter_offers", "Beta") == 0


def test_kept_engineers_pay_rises_to_what_the_offer_was_worth():
    never = run({"firms": {"Alpha": {"policy": {"counter_offer": "never"}}}}, months=12)
    match = run({"firms": {"Alpha": {"policy": {"counter_offer": "match"}}}}, months=12)

    def mean_pay(model):
        eng = model.engineers
        at_alpha = eng.firm == model.firm_index("Alpha")
        return eng.pay[at_alpha & (eng.tier == 0)].mean()

    assert mean_pay(match) > 1.05 * mean_pay(never)


def test_beating_keeps_more_than_matching():
    quits = {}
    for policy in ("match", "beat"):
        # Alpha values its researchers more than the poachers do (higher tfp), so it can
        # afford to beat their best bid.
        model = run({"firms": {"Alpha": {"tfp": 1.5, "policy": {"counter_offer": policy,
                                                                "beat_margin": 0.3}}}})
        quits[policy] = by_firm(model, "quits", "Alpha", "researcher")
    assert quits["match"] - quits["beat"] > 3 * np.sqrt(quits["match"] + quits["beat"]), quits


def test_retention_calls_keep_engineers_and_cost_money():
    quiet = run({"firms": {"Alpha": {"policy": {"retention_calls": 0}}}})
    calls = run({"firms": {"Alpha": {"policy": {"retention_calls": 30,
                                                "retention_call_cost": 10_000}}},
                 "tiers": {"researcher": {"weights": {"outreach": 3.0}},
                           "engineer": {"weights": {"outreach": 3.0}}}})
    made = by_firm(calls, "retention_calls", "Alpha")
    kept = by_firm(calls, "retention_kept", "Alpha")
    assert 0 < kept <= made <= 30 * calls.months
    assert by_firm(quiet, "retention_calls", "Alpha") == 0
    q_quiet = by_firm(quiet, "quits", "Alpha", "researcher")
    q_calls = by_firm(calls, "quits", "Alpha", "researcher")
    assert q_quiet - q_calls > 3 * np.sqrt(q_quiet + q_calls), (q_quiet, q_calls)
    # Every call was paid for: engineers received the bonuses.
    assert calls.ledger.outside["engineers"] > 0
