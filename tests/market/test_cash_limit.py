"""Bids within cash: no firm commits to pay above C_j = max_pay_share x cash_j a year
(sim/market/production.py: pay_ceiling, bid_value; docs/ODD.md 7.2b)."""

import numpy as np
import pytest

from sim import TalentMarket
from sim.market import counteroffers, matching, production
from sim.market.matching import decide
from sim.market.moves import Offers
from sim.market.production import pay_ceiling
from tests.conftest import scenario_of, small_market

FLAT = {"pay": 1.0, "gpu": 0.0, "mission": 0.0, "outreach": 0.0}


def pay_only_market(gamma_cash, max_pay_share=0.002):
    """Pay is the only term of utility (no noise, no switching cost), researchers' beta 0
    (the PVR wage: the loser's best bid); Alpha matches offers and holds $100B; Gamma
    holds ``gamma_cash``."""
    data = small_market(
        months=1, choice={"noise": 0.0, "switching_cost": 0.0},
        tiers={"researcher": {"weights": FLAT, "bargaining_power": 0.0},
               "engineer": {"weights": FLAT, "bargaining_power": 0.0}},
        firm_defaults={"max_pay_share": max_pay_share},
        firms={"Alpha": {"cash": 100e9, "policy": {"counter_offer": "match"}},
               "Gamma": {"cash": gamma_cash}})
    return TalentMarket(scenario_of(data))


def poach(model, monkeypatch, values, posted):
    """Alpha's researcher i, paid $100k, holds Gamma's offer at ``posted``; the firms value
    it at ``values`` ({firm name: value}). Returns i."""
    alpha, gamma = model.firm_index("Alpha"), model.firm_index("Gamma")
    i = int(np.flatnonzero((model.engineers.firm == alpha) & (model.engineers.tier == 0))[0])
    model.engineers.pay[i] = 100e3
    by_index = {model.firm_index(k): v for k, v in values.items()}

    def value(state, who, firm):
        return np.array([by_index[int(f)] for f in np.atleast_1d(firm)], dtype=float)

    monkeypatch.setattr(counteroffers, "value_to_firm", value)
    monkeypatch.setattr(production, "value_to_firm", value)
    decide(model.state, Offers(np.array([i]), np.array([gamma]), np.array([float(posted)]),
                               np.array([False])))
    return i


def test_a_poacher_short_of_cash_bids_its_cap_and_loses(monkeypatch):
    # Gamma values the researcher at $5M, Alpha at $3M. Gamma's $500M funds at most
    # 0.2% = $1M a year: its bid is $1M, so Alpha keeps the researcher at Gamma's bid,
    # exactly the cap (beta 0). Without the rule Gamma's $5M would outbid Alpha's $3M and
    # take the researcher at $3M.
    model = pay_only_market(gamma_cash=500e6)
    cap = 0.002 * model.ledger.cash[model.firm_index("Gamma")]
    assert cap == pytest.approx(1e6)
    i = poach(model, monkeypatch, {"Alpha": 3e6, "Gamma": 5e6}, posted=200e3)
    assert model.engineers.firm[i] == model.firm_index("Alpha")
    assert model.engineers.pay[i] == pytest.approx(cap)


def test_with_cash_enough_the_same_poacher_wins_at_the_employers_value(monkeypatch):
    # The same market with the rule relaxed (max_pay_share 1: $500M funds any bid): Gamma
    # wins at Alpha's value, $3M, above what its cash funds under the default.
    model = pay_only_market(gamma_cash=500e6, max_pay_share=1.0)
    i = poach(model, monkeypatch, {"Alpha": 3e6, "Gamma": 5e6}, posted=200e3)
    assert model.engineers.firm[i] == model.firm_index("Gamma")
    assert model.engineers.pay[i] == pytest.approx(3e6, rel=1e-6)
    assert model.engineers.pay[i] > 0.002 * 500e6


def test_a_posted_offer_above_the_cap_is_cut_to_it():
    # Gamma posts $1M for a researcher of productivity 1 but holds $100M: each of its
    # offers pays min(1M a_i, 0.002 x 100M) = $200k.
    model = pay_only_market(gamma_cash=100e6)
    state = model.state
    gamma = model.firm_index("Gamma")
    searchers = np.flatnonzero(model.engineers.tier == 0)
    offers = matching.gather_offers(state, searchers, np.ones(model.engineers.n, bool))
    mine = offers.firm == gamma
    researcher = model.engineers.tier[offers.engineer] == 0
    assert (mine & researcher).any()
    assert np.all(offers.pay[mine] <= 200e3 * (1 + 1e-12))
    assert np.all(offers.pay[mine & researcher] == pytest.approx(200e3))


@pytest.mark.parametrize("seed", [3, 11])
def test_no_offer_or_counter_offer_raise_exceeds_the_cap_in_a_random_market(
        monkeypatch, seed):
    # Firms with cash from $30M to $100B, every counter-offer policy, equity and
    # make-whole grants, outreach: every month, at the moment of the offers, no offer's pay
    # (after the auctions) and no counter-offer raise exceeds the firm's C_j, and the cap
    # binds somewhere (the invariant is not empty).
    rng = np.random.default_rng(seed)
    cash = dict(zip(("Alpha", "Beta", "Gamma", "Delta"),
                    10 ** rng.uniform(7.5, 11, size=4), strict=True))
    policies = ("never", "match", "beat", "match")
    firms = {name: {"cash": float(c), "outreach": 20, "hiring_capacity": 200,
                    "policy": {"counter_offer": p, "pay_policy": "adaptive",
                               "make_whole": 1.0}}
             for (name, c), p in zip(cash.items(), policies, strict=True)}
    data = small_market(months=8, seed=seed, firms=firms,
                        equity={"big_tech": {"share": 0.4, "schedule": [0.25] * 4}})
    model = TalentMarket(scenario_of(data))
    original = matching.decide
    checked = {"offers": 0, "raises": 0, "binding": 0, "grants": 0}

    def checked_decide(state, offers):
        ceiling = pay_ceiling(state).copy()
        eng = state.engineers
        before_firm, before_pay = eng.firm.copy(), eng.pay.copy()
        posted = offers.pay.copy()
        moved = original(state, offers)
        assert np.all(offers.pay <= ceiling[offers.firm] * (1 + 1e-12))
        if offers.grant is not None:  # a make-whole grant counts as G / H a year
            committed = offers.pay + offers.grant / state.spec.economy.match_years
            assert np.all(committed <= ceiling[offers.firm] * (1 + 1e-12))
            checked["grants"] += int(np.count_nonzero(offers.grant))
        stayed = (eng.firm == before_firm) & (eng.firm >= 0)
        raised = stayed & (eng.pay > before_pay)
        assert np.all(eng.pay[raised] <= ceiling[eng.firm[raised]] * (1 + 1e-12))
        checked["offers"] += offers.pay.size
        checked["raises"] += int(raised.sum())
        value = production.value_to_firm(state, offers.engineer, offers.firm)
        checked["binding"] += int(np.sum((value > ceiling[offers.firm])
                                         & (posted >= ceiling[offers.firm] * (1 - 1e-12))))
        return moved

    monkeypatch.setattr(matching, "decide", checked_decide)
    model.run()
    assert checked["offers"] > 1000 and checked["raises"] > 0 and checked["binding"] > 0
    assert checked["grants"] > 0
