"""Equity and vesting: leaving forfeits unvested stock, so a vested engineer moves more
easily than an unvested one, a poacher must make the forfeit whole, and the cliff matters."""

import numpy as np
import pytest

from sim import TalentMarket
from sim.market import counteroffers, production
from sim.market.equity import (
    make_whole_grant,
    net_bid,
    offer_pay_equivalent,
    unvested_years,
    vested_share,
)
from sim.market.matching import decide
from sim.market.moves import Offers
from sim.scenario.schema import Vesting
from tests.conftest import scenario_of, small_market

FOUR_YEARS = [0.25, 0.25, 0.25, 0.25]
H = 3.0  # economy.match_years of small_market (the default)


def test_a_grant_vests_monthly_after_a_one_year_cliff():
    months = np.array([0, 6, 11, 12, 18, 47, 48, 60])
    assert np.allclose(vested_share(FOUR_YEARS, months, cliff=12),
                       [0, 0, 0, 0.25, 0.375, 0.25 * 47 / 12, 1, 1])
    assert np.allclose(vested_share(FOUR_YEARS, months), [0, 0.125, 0.25 * 11 / 12, 0.25,
                                                          0.375, 0.25 * 47 / 12, 1, 1])
    amazon = vested_share([0.05, 0.15, 0.4, 0.4], np.array([12, 24, 36, 48]), cliff=12)
    assert np.allclose(amazon, [0.05, 0.2, 0.6, 1.0])


def test_unvested_years_with_and_without_refresh_grants():
    plain = Vesting(share=0.5, refresh=0.0)
    assert np.allclose(unvested_years(plain, np.array([0, 11, 12, 24, 48, 100])),
                       [4, 4, 3, 2, 0, 0])
    refreshed = Vesting(share=0.5, refresh=0.25)
    # At the first anniversary: 3 years left of the new-hire grant + a fresh 1-year grant.
    u = unvested_years(refreshed, np.arange(200))
    assert u[12] == pytest.approx(4.0)
    # Steady state: grants aged 0, 12, 24, 36 months left 1 + 0.75 + 0.5 + 0.25 years.
    assert u[48] == pytest.approx(2.5) and u[96] == pytest.approx(2.5)
    assert np.allclose(u[48:60], u[60:72])  # periodic once the new-hire grant has vested


def test_the_formulas_of_the_forfeit_in_pay_offers_and_bids():
    assert offer_pay_equivalent(np.array([120e3]), np.array([30e3]), np.array([90e3]),
                                H)[0] == pytest.approx(100e3)
    assert net_bid(np.array([300e3]), np.array([150e3]), H)[0] == pytest.approx(250e3)
    grants = make_whole_grant(np.array([1.0, 0.5, 1.0]), np.array([90e3] * 3),
                              np.array([300e3, 300e3, 110e3]), np.array([100e3] * 3), H)
    assert np.allclose(grants, [90e3, 45e3, 30e3])  # last: capped by H x (v - pay)


def equity_market(policy="never", make_whole=(1.0, 0.0), cliff=12, beta=0.3):
    """Pay-only engineers (no noise); Alpha (big tech) pays half of pay in stock vesting
    over four years (no refresh). Gamma and Delta poach, making whole ``make_whole``."""
    flat = {"pay": 1.0, "gpu": 0.0, "mission": 0.0, "outreach": 0.0}
    data = small_market(
        months=1, choice={"noise": 0.0, "switching_cost": 0.0},
        tiers={"researcher": {"weights": flat, "bargaining_power": beta},
               "engineer": {"weights": flat, "bargaining_power": beta}},
        equity={"big_tech": {"share": 0.5, "schedule": FOUR_YEARS, "cliff_months": cliff,
                             "refresh": 0.0}},
        firms={"Alpha": {"policy": {"counter_offer": policy}},
               "Gamma": {"policy": {"make_whole": make_whole[0]}},
               "Delta": {"policy": {"make_whole": make_whole[1]}}})
    return TalentMarket(scenario_of(data))


def at_alpha(model, tenures, pay=100e3):
    """Engineers of Alpha paid ``pay`` with the given tenures, their unvested equity set."""
    eng = model.engineers
    who = np.flatnonzero(eng.firm == model.firm_index("Alpha"))[:len(tenures)]
    eng.pay[who] = pay
    eng.tenure[who] = tenures
    eng.sign_on[who] = 0.0
    model.state.refresh_unvested()
    return who


def offers_from(model, who, firm, posted, value):
    """Offers of ``firm`` to ``who`` at ``posted``, with the make-whole grant its policy
    gives for a value ``value`` to it (as gather_offers makes them)."""
    state = model.state
    j = model.firm_index(firm)
    pay = np.full(who.size, float(posted))
    grant = make_whole_grant(state.table.make_whole[np.full(who.size, j)],
                             model.engineers.unvested[who], np.full(who.size, value), pay, H)
    return Offers(who, np.full(who.size, j), pay, np.zeros(who.size, bool), grant)


def test_unvested_equity_follows_tenure_and_pay():
    model = equity_market()
    who = at_alpha(model, [0, 11, 12, 30, 48])
    # U = 0.5 x 100k x years left (4, 4, 3, 4 - 2.5 = 1.5, 0)
    assert np.allclose(model.engineers.unvested[who], [200e3, 200e3, 150e3, 75e3, 0.0])


def test_a_vested_engineer_moves_more_easily_than_an_unvested_one_at_the_same_pay_gap():
    model = equity_market()
    vested, unvested = at_alpha(model, [48, 6])
    # Delta pays 20% more and makes nothing whole: the unvested engineer would forfeit
    # 200k (66.7k a year over the match), more than the raise.
    offers = offers_from(model, np.array([vested, unvested]), "Delta", 120e3, 400e3)
    decide(model.state, offers)
    delta = model.firm_index("Delta")
    assert model.engineers.firm[vested] == delta
    assert model.engineers.firm[unvested] == model.firm_index("Alpha")


def test_a_poacher_that_does_not_make_whole_loses_to_one_that_does():
    model = equity_market()
    (i,) = at_alpha(model, [6])
    gamma = offers_from(model, np.array([i]), "Gamma", 120e3, 400e3)   # makes whole
    delta = offers_from(model, np.array([i]), "Delta", 140e3, 400e3)   # pays more, does not
    both = Offers(*(np.concatenate([getattr(gamma, k), getattr(delta, k)])
                    for k in ("engineer", "firm", "pay", "outreach", "grant")))
    cash = model.state.ledger.cash[model.firm_index("Gamma")]
    decide(model.state, both)
    assert model.engineers.firm[i] == model.firm_index("Gamma")
    assert model.engineers.sign_on[i] == pytest.approx(200e3)
    assert model.state.ledger.cash[model.firm_index("Gamma")] == pytest.approx(cash - 200e3)


def test_the_cliff_holds_an_engineer_until_it_vests():
    for tenure, stays in ((11, True), (12, False)):
        model = equity_market()
        (i,) = at_alpha(model, [tenure])
        # Forfeit 200k before the cliff (66.7k a year), 150k after it (50k a year).
        decide(model.state, offers_from(model, np.array([i]), "Delta", 160e3, 400e3))
        assert (model.engineers.firm[i] == model.firm_index("Alpha")) == stays, tenure
    # Without a cliff the first year vests month by month: at 11 months the forfeit is
    # 0.5 x 100k x (4 - 11/12) = 154k, 51.4k a year, so the same offer moves it.
    model = equity_market(cliff=0)
    (i,) = at_alpha(model, [11])
    decide(model.state, offers_from(model, np.array([i]), "Delta", 160e3, 400e3))
    assert model.engineers.firm[i] == model.firm_index("Delta")


def test_in_the_auction_the_poachers_bid_is_net_of_the_forfeit(monkeypatch):
    values = {"Alpha": 200e3, "Gamma": 220e3}
    model = equity_market(policy="match")
    (i,) = at_alpha(model, [24])  # U = 0.5 x 100k x 2 = 100k: 33.3k a year

    def value(state, who, firm):
        return np.array([by_index[int(f)] for f in np.atleast_1d(firm)], dtype=float)

    by_index = {model.firm_index(k): v for k, v in values.items()}
    monkeypatch.setattr(counteroffers, "value_to_firm", value)
    monkeypatch.setattr(production, "value_to_firm", value)  # read by bid_value
    # Gamma values the engineer more than Alpha, but not by the forfeit: Alpha keeps it,
    # at the poacher's net bid 220k - 33.3k plus beta of the surplus.
    decide(model.state, offers_from(model, np.array([i]), "Gamma", 120e3, 220e3))
    assert model.engineers.firm[i] == model.firm_index("Alpha")
    net = 220e3 - 100e3 / H
    assert model.engineers.pay[i] == pytest.approx(net + 0.3 * (200e3 - net))
    # A poacher valuing it well above: it wins, makes whole in full at the bargained pay.
    model = equity_market(policy="match")
    (i,) = at_alpha(model, [24])
    by_index = {model.firm_index("Alpha"): 200e3, model.firm_index("Gamma"): 300e3}
    decide(model.state, offers_from(model, np.array([i]), "Gamma", 120e3, 300e3))
    assert model.engineers.firm[i] == model.firm_index("Gamma")
    assert model.engineers.sign_on[i] == pytest.approx(100e3)
    net = 300e3 - 100e3 / H
    assert model.engineers.pay[i] == pytest.approx(200e3 + 0.3 * (net - 200e3))


def test_without_equity_nothing_is_forfeited_and_offers_carry_no_grant():
    model = TalentMarket(scenario_of(small_market(months=2)))
    assert model.state.equity is None
    model.run()
    assert not model.engineers.unvested.any() and not model.engineers.sign_on.any()
    assert model.state.log.offers.grant is None
