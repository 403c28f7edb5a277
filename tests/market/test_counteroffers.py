"""Counter-offers and retention calls: what an employer's answer to an outside offer does."""

import numpy as np
import pytest

from sim import TalentMarket
from sim.market import counteroffers, production
from sim.market.counteroffers import bargain
from sim.market.matching import decide
from sim.market.moves import Offers
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


def test_beating_keeps_more_than_matching_where_taste_noise_can_take_the_engineer():
    quits = {}
    for policy in ("match", "beat"):
        # Alpha values its researchers far more than the poachers do (higher tfp), so it
        # wins the auction even against their better mission; matching leaves the engineer
        # indifferent but for taste noise (0.3), so it often leaves anyway, while beating
        # (up to Alpha's own value) keeps more.
        model = run({"market": {"engineers": 15_000},
                     "firms": {"Alpha": {"tfp": 2.0, "mission": 0.0,
                                         "policy": {"counter_offer": policy,
                                                    "beat_margin": 1.0}},
                               "Gamma": {"mission": 1.0}, "Delta": {"mission": 1.0}}},
                    months=60)
        quits[policy] = by_firm(model, "quits", "Alpha", "researcher")
    assert quits["match"] - quits["beat"] > 2.5 * np.sqrt(quits["match"] + quits["beat"]), quits


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


# ------------------------------------------------------------------ the wage of an auction
# Unit tests of the bargaining rule (Postel-Vinay and Robin 2002; Cahuc, Postel-Vinay and
# Robin 2006): the wage in its limit cases, and who ends up with the engineer.

def arr(*x):
    return np.array(x, dtype=float)


def test_beta_zero_gives_the_pvr_wage_the_lower_value():
    # Incumbent values 200k, poacher 150k: the incumbent keeps the engineer at 150k.
    kept = bargain(arr(100e3), arr(200e3), arr(150e3), arr(0.0))
    assert kept.keeps.all() and kept.stay_pay[0] == 150e3 and np.isnan(kept.poacher_pay[0])
    # Poacher values 200k, incumbent 150k: the poacher wins at (just above) 150k.
    won = bargain(arr(100e3), arr(150e3), arr(200e3), arr(0.0))
    assert not won.keeps.any()
    assert won.poacher_pay[0] == pytest.approx(150e3, rel=1e-8) and won.poacher_pay[0] > 150e3


def test_beta_one_gives_the_whole_higher_value():
    kept = bargain(arr(100e3), arr(200e3), arr(150e3), arr(1.0))
    assert kept.stay_pay[0] == 200e3
    won = bargain(arr(100e3), arr(150e3), arr(200e3), arr(1.0))
    assert won.poacher_pay[0] == 200e3


def test_the_worker_gets_the_outside_option_plus_beta_of_the_surplus():
    beta = 0.35
    kept = bargain(arr(100e3), arr(200e3), arr(150e3), arr(beta))
    assert kept.stay_pay[0] == pytest.approx(150e3 + beta * 50e3)
    won = bargain(arr(100e3), arr(150e3), arr(200e3), arr(beta))
    assert won.poacher_pay[0] == pytest.approx(150e3 + beta * 50e3)
    # Current pay above the lower value is the outside option: pay is never cut.
    high_pay = bargain(arr(170e3), arr(150e3), arr(200e3), arr(beta))
    assert high_pay.poacher_pay[0] == pytest.approx(170e3 + beta * 30e3)


def test_beat_adds_a_margin_of_the_surplus_but_never_above_own_value():
    beta = 0.3
    match = bargain(arr(100e3), arr(200e3), arr(150e3), arr(beta)).stay_pay[0]
    beat = bargain(arr(100e3), arr(200e3), arr(150e3), arr(beta), 0.2).stay_pay[0]
    assert beat == pytest.approx(match + 0.2 * 50e3)
    capped = bargain(arr(100e3), arr(200e3), arr(150e3), arr(beta), 5.0).stay_pay[0]
    assert capped == 200e3
    # An incumbent that values the engineer less never bids above its own value.
    lost = bargain(arr(100e3), arr(150e3), arr(200e3), arr(beta), 5.0)
    assert not lost.keeps.any() and lost.stay_pay[0] == 150e3


def test_a_tie_goes_to_the_employer():
    # Equal best bids: the employer need not outbid an equal offer, and keeps the engineer
    # at the common value (beta = 0) without raising the poacher's offer.
    tie = bargain(arr(100e3), arr(150e3), arr(150e3), arr(0.0))
    assert tie.keeps.all() and tie.stay_pay[0] == 150e3 and np.isnan(tie.poacher_pay[0])


def auction_market(beta=0.3, policy="match", switching_cost=0.0):
    """A market where only pay matters (no noise, no GPU, mission or outreach weight)."""
    flat = {"pay": 1.0, "gpu": 0.0, "mission": 0.0, "outreach": 0.0}
    data = small_market(
        months=1, choice={"noise": 0.0, "switching_cost": switching_cost},
        tiers={"researcher": {"weights": flat, "bargaining_power": beta},
               "engineer": {"weights": flat, "bargaining_power": beta}},
        firms={"Alpha": {"policy": {"counter_offer": policy}}})
    return TalentMarket(scenario_of(data))


def one_offer(model, monkeypatch, pay, posted, values, outreach=False):
    """Engineer i of Alpha, paid ``pay``, holds one offer from Gamma at ``posted``; the
    firms value it at ``values`` ({firm name: value})."""
    state = model.state
    alpha, gamma = model.firm_index("Alpha"), model.firm_index("Gamma")
    i = int(np.flatnonzero(model.engineers.firm == alpha)[0])
    model.engineers.pay[i] = pay
    by_index = {model.firm_index(k): v for k, v in values.items()}

    def value(state, who, firm):
        return np.array([by_index[int(f)] for f in np.atleast_1d(firm)], dtype=float)

    monkeypatch.setattr(counteroffers, "value_to_firm", value)
    monkeypatch.setattr(production, "value_to_firm", value)  # read by bid_value
    offers = Offers(np.array([i]), np.array([gamma]), np.array([float(posted)]),
                    np.array([outreach]))
    return state, i, offers, alpha, gamma


def test_a_worker_paid_100k_valued_180k_by_a_poacher_posting_90k_is_bid_for(monkeypatch):
    model = auction_market(beta=0.3)
    state, i, offers, alpha, _ = one_offer(model, monkeypatch, 100e3, 90e3,
                                           {"Alpha": 200e3, "Gamma": 180e3})
    decide(state, offers)
    assert model.engineers.firm[i] == alpha
    assert model.engineers.pay[i] == pytest.approx(180e3 + 0.3 * 20e3)
    assert state.log.tallies.counter_offers[alpha] == 1


def test_a_poacher_valuing_the_worker_below_its_pay_changes_nothing(monkeypatch):
    model = auction_market(beta=0.3)
    state, i, offers, alpha, _ = one_offer(model, monkeypatch, 100e3, 95e3,
                                           {"Alpha": 200e3, "Gamma": 99e3})
    decide(state, offers)
    assert model.engineers.firm[i] == alpha and model.engineers.pay[i] == 100e3
    assert offers.pay[0] == 95e3
    assert state.log.tallies.counter_offers.sum() == 0


@pytest.mark.parametrize("beta", [0.0, 0.3, 1.0])
def test_the_higher_value_firm_ends_up_with_the_worker(monkeypatch, beta):
    # The incumbent values more: it keeps the engineer, at the bargained wage, and the
    # poacher's offer is not raised to its full value.
    model = auction_market(beta=beta)
    state, i, offers, alpha, _ = one_offer(model, monkeypatch, 100e3, 120e3,
                                           {"Alpha": 200e3, "Gamma": 150e3})
    decide(state, offers)
    assert model.engineers.firm[i] == alpha
    assert model.engineers.pay[i] == pytest.approx(150e3 + beta * 50e3)
    assert offers.pay[0] == 120e3
    # The poacher values more: it wins the engineer, at the bargained wage.
    model = auction_market(beta=beta)
    state, i, offers, alpha, gamma = one_offer(model, monkeypatch, 100e3, 120e3,
                                               {"Alpha": 150e3, "Gamma": 200e3})
    decide(state, offers)
    assert model.engineers.firm[i] == gamma
    assert model.engineers.pay[i] == pytest.approx(150e3 + beta * 50e3, rel=1e-8)
    assert model.engineers.pay[i] <= 200e3


def test_never_renegotiates(monkeypatch):
    model = auction_market(policy="never")
    state, i, offers, _, gamma = one_offer(model, monkeypatch, 100e3, 120e3,
                                               {"Alpha": 300e3, "Gamma": 200e3})
    decide(state, offers)
    # No counter-offer: the engineer takes the better posted offer at its posted pay.
    assert model.engineers.firm[i] == gamma and model.engineers.pay[i] == 120e3


def test_the_switching_cost_keeps_an_engineer_from_a_slightly_better_offer():
    # Offer 5% above pay: log(1.05) = 0.049 < s = 0.1, so the engineer stays; with s = 0
    # it moves. (Alpha never counters, so only the switching cost is at work.)
    for cost, moves in ((0.1, False), (0.0, True)):
        model = auction_market(policy="never", switching_cost=cost)
        alpha, gamma = model.firm_index("Alpha"), model.firm_index("Gamma")
        i = int(np.flatnonzero(model.engineers.firm == alpha)[0])
        model.engineers.pay[i] = 100e3
        decide(model.state, Offers(np.array([i]), np.array([gamma]), np.array([105e3]),
                                   np.array([False])))
        assert (model.engineers.firm[i] == gamma) == moves, cost


def two_firm_offer(monkeypatch, values, alpha_firm=None, gamma_firm=None, beta=0.0,
                   weights=None, switching_cost=0.0):
    """Engineer i of Alpha (match), paid 100k, holds Gamma's offer at 120k; firms value it
    at ``values``; ``alpha_firm``/``gamma_firm`` change those firms, ``weights`` the
    researchers' weights (no noise)."""
    weights = weights or {"pay": 1.0, "gpu": 0.0, "mission": 0.0, "outreach": 0.0}
    firms = {"Alpha": {"policy": {"counter_offer": "match"}, **(alpha_firm or {})},
             "Gamma": gamma_firm or {}}
    data = small_market(months=1, choice={"noise": 0.0, "switching_cost": switching_cost},
                        tiers={"researcher": {"weights": weights, "bargaining_power": beta,
                                              "mission_preference": [1.0, 1.0]}},
                        firms=firms)
    model = TalentMarket(scenario_of(data))
    i = int(np.flatnonzero((model.engineers.firm == model.firm_index("Alpha"))
                           & (model.engineers.tier == 0))[0])
    return (model, *one_offer_at(model, monkeypatch, i, values))


def one_offer_at(model, monkeypatch, i, values):
    state = model.state
    alpha, gamma = model.firm_index("Alpha"), model.firm_index("Gamma")
    model.engineers.pay[i] = 100e3
    by_index = {model.firm_index(k): v for k, v in values.items()}

    def value(state, who, firm):
        return np.array([by_index[int(f)] for f in np.atleast_1d(firm)], dtype=float)

    monkeypatch.setattr(counteroffers, "value_to_firm", value)
    monkeypatch.setattr(production, "value_to_firm", value)  # read by bid_value
    offers = Offers(np.array([i]), np.array([gamma]), np.array([120e3]), np.array([False]))
    return state, i, offers, alpha, gamma


def test_a_firm_with_less_money_but_a_better_mission_keeps_its_engineer(monkeypatch):
    # Gamma values the engineer at 400k, Alpha at 150k: in dollars Gamma wins. The engineer
    # cares for mission (weight 1, preference 1): Alpha's mission 1 against Gamma's 0 is
    # worth a factor e^1 = 2.7 in pay, so Alpha's best bid (150k e = 408k in Gamma's terms)
    # delivers more utility, and Alpha keeps the engineer (paid 100k), paying what Gamma's
    # best bid is worth at Alpha: 400k / e = 147k.
    weights = {"pay": 1.0, "gpu": 0.0, "mission": 1.0, "outreach": 0.0}
    model, state, i, offers, alpha, _ = two_firm_offer(
        monkeypatch, {"Alpha": 150e3, "Gamma": 400e3}, alpha_firm={"mission": 1.0},
        gamma_firm={"mission": 0.0}, weights=weights)
    decide(state, offers)
    assert model.engineers.firm[i] == alpha
    assert model.engineers.pay[i] == pytest.approx(400e3 / np.e)
    assert offers.pay[0] == 120e3  # the poacher's offer is not raised


def test_a_poacher_with_the_better_offer_wins_and_pays_the_employers_bid_in_its_terms(
        monkeypatch):
    # Alpha values 400k, Gamma 300k, but Gamma's mission is worth e^1 in pay: Gamma's best
    # bid is worth 300k x e = 815k at Alpha, above Alpha's 400k. Gamma wins, paying what
    # Alpha's best bid (400k) is worth in Gamma's terms, 400k / e = 147k (just above: it
    # must win), not its own value.
    weights = {"pay": 1.0, "gpu": 0.0, "mission": 1.0, "outreach": 0.0}
    model, state, i, offers, _, gamma = two_firm_offer(
        monkeypatch, {"Alpha": 400e3, "Gamma": 300e3}, alpha_firm={"mission": 0.0},
        gamma_firm={"mission": 1.0}, weights=weights)
    decide(state, offers)
    assert model.engineers.firm[i] == gamma
    assert model.engineers.pay[i] == pytest.approx(400e3 / np.e, rel=1e-8)
    assert 400e3 / np.e < model.engineers.pay[i] <= 300e3


def test_the_switching_cost_counts_for_the_employer_in_the_auction(monkeypatch):
    # Equal missions; Gamma values 200k, Alpha 180k. With s = 0.2 Gamma's best bid is worth
    # 200k e^-0.2 = 164k at Alpha, below Alpha's 180k: Alpha keeps the engineer at 164k.
    model, state, i, offers, alpha, _ = two_firm_offer(
        monkeypatch, {"Alpha": 180e3, "Gamma": 200e3}, switching_cost=0.2)
    decide(state, offers)
    assert model.engineers.firm[i] == alpha
    assert model.engineers.pay[i] == pytest.approx(200e3 * np.exp(-0.2))


def test_equal_firms_tie_and_the_employer_keeps_the_engineer(monkeypatch):
    # Alike in value and in every other term (as two big-tech firms often are): the tie goes
    # to the employer, which keeps the engineer at the common value (beta = 0).
    model, state, i, offers, alpha, _ = two_firm_offer(
        monkeypatch, {"Alpha": 200e3, "Gamma": 200e3})
    decide(state, offers)
    assert model.engineers.firm[i] == alpha
    assert model.engineers.pay[i] == 200e3
    assert offers.pay[0] == 120e3  # the poacher's offer is not raised: it lost the tie



def test_between_two_firms_alike_in_every_term_ties_keep_researchers_where_they_are():
    # Alpha and Beta are alike in value and in every term of utility (big tech, 50,000 GPUs,
    # same mission, no outreach), both match, there is no switching cost, and they are the
    # only firms that hire researchers: every auction for a researcher is a tie, which the
    # employer keeps, paying the common value v. The engineer then weighs v against the
    # other's posted pay (a third of v) and rarely leaves, with taste noise 0.3. Were ties
    # won by the poacher at v, half of some 2,000 auctions would end in a move.
    firms = {name: {"policy": {"counter_offer": "match"}} for name in ("Alpha", "Beta")}
    firms.update({name: {"pay": {"researcher": 0}} for name in ("Gamma", "Delta")})
    # No cash limit (max_pay_share 1): the two firms' bids are their (equal) values, not
    # shares of cash that drift apart as their books do.
    data = small_market(months=12, firms=firms, choice={"switching_cost": 0.0},
                        firm_defaults={"max_pay_share": 1.0})
    model = TalentMarket(scenario_of(data))
    researchers = np.count_nonzero((model.engineers.firm >= 0) & (model.engineers.tier == 0))
    model.run()
    flows = model.flows
    between = flows[(flows["tier"] == "researcher") & (flows["kind"] == "job_to_job")]
    # Auctions were held, and won by the employer, at both firms.
    for firm in ("Alpha", "Beta"):
        assert by_firm(model, "counter_offers_accepted", firm) > 500
    assert between["engineers"].sum() < 0.05 * researchers, between["engineers"].sum()


def test_a_tiny_pay_weight_keeps_every_bid_finite():
    # With a pay weight of 0.001 a GPU gap of 2 utility units is worth e^2000 in pay: the
    # compensating differential is bounded, so no bid overflows to inf or NaN.
    data = small_market(months=3, tiers={"researcher": {"weights": {"pay": 0.001, "gpu": 2.0}}},
                        firms={name: {"policy": {"counter_offer": "match"}}
                               for name in ("Alpha", "Beta", "Gamma", "Delta")})
    model = TalentMarket(scenario_of(data))
    with np.errstate(all="raise"):
        model.run()
    assert np.isfinite(model.engineers.pay).all()
    assert np.isfinite(counteroffers.exchange_rate(np.array([1e-3, 0.0]),
                                                   np.array([-2.0, 5.0]))).all()
