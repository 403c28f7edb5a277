"""The forward value of talent: a firm that expects growth values, bids and raises as its
investors do (v_ij = y_ij Gamma_j), while its cash follows today's revenue product."""

import numpy as np
import pytest

from sim import TalentMarket
from sim.market.production import horizon_multiplier, revenue_product, value_to_firm
from sim.scenario.schema import Economy
from tests.conftest import scenario_of, small_market


def gamma_of(growth, economy):
    """Gamma = sum_{m<M} (d x)^m / sum_{m<M} d^m, written out month by month."""
    d, x = (1 + economy.discount_rate) ** (-1 / 12), (1 + growth) ** (1 / 12)
    months = np.arange(round(12 * economy.match_years))
    return np.sum((d * x) ** months) / np.sum(d ** months)


def test_gamma_is_the_discounted_average_growth_factor_over_the_match():
    years, rate = 3.0, 0.1
    expected = gamma_of(1.0, Economy(match_years=years, discount_rate=rate))
    assert expected > 3.0
    assert horizon_multiplier(np.array([1.0]), years, rate)[0] == pytest.approx(expected)
    assert horizon_multiplier(np.array([0.0]), years, rate)[0] == 1.0
    assert horizon_multiplier(np.array([-0.5]), years, rate)[0] < 1.0


def growing_alpha(months=1, **changes):
    """Alpha and Beta alike in every term (big tech, 50,000 GPUs, same pay and mission; both
    match offers), but Alpha expects its engineers' output to grow 100% a year. Alpha and
    Beta hold $100B: bids up to $200M a year are funded (max_pay_share 0.2%), so bids
    follow values."""
    firms = {"Alpha": {"cash": 100e9,
                       "policy": {"counter_offer": "match", "expected_growth": 1.0}},
             "Beta": {"cash": 100e9, "policy": {"counter_offer": "match"}}}
    return TalentMarket(scenario_of(small_market(months=months, firms=firms, **changes)))


def test_expected_growth_raises_the_value_of_talent_and_not_the_revenue_product():
    model = growing_alpha()
    state = model.state
    who = np.flatnonzero(model.engineers.firm >= 0)[:50]
    alpha = np.full(who.size, model.firm_index("Alpha"))
    beta = np.full(who.size, model.firm_index("Beta"))
    gamma = gamma_of(1.0, model.spec.economy)
    assert np.allclose(value_to_firm(state, who, alpha), gamma * value_to_firm(state, who, beta))
    # Cash follows today's output: revenue products are equal.
    assert np.array_equal(revenue_product(state, who, alpha), revenue_product(state, who, beta))


def test_a_firm_expecting_growth_wins_the_auctions_against_an_equal_firm_without_it():
    # Each firm's researchers get offers from the other. Where only Gamma_j differs, the
    # growing firm's best bid exceeds the other's value (by Gamma = 3.1 against the
    # switching cost's e^0.1): Alpha takes Beta's researchers and keeps its own.
    model = growing_alpha(months=12)
    model.run()
    flows = model.flows
    moves = flows[(flows["kind"] == "job_to_job") & (flows["tier"] == "researcher")]

    def moved(source, destination):
        rows = moves[(moves["source"] == source) & (moves["destination"] == destination)]
        return int(rows["engineers"].sum())

    to_alpha, to_beta = moved("Beta", "Alpha"), moved("Alpha", "Beta")
    # Counts of moves are Poisson-like: with equal firms they would be equal.
    assert to_alpha - to_beta > 4 * np.sqrt(to_alpha + to_beta), (to_alpha, to_beta)
    assert to_alpha > 50


def test_a_start_up_expecting_growth_raises_rounds_larger_by_gamma():
    # Two start-ups alike in team (productivity 1), GPUs, cash and burn, in a market where
    # nobody moves; the funding rule is certain to fire once they burn cash (month 2). A
    # round is round_years x sum of v_ij over the AI team, so the one expecting growth
    # raises Gamma times as much.
    firms = {name: {"kind": "ai_startup", "cash": 1e6, "tfp": 0.1,
                    "team": {"researcher": 40, "engineer": 100},
                    "policy": {"expected_growth": growth}}
             for name, growth in (("Gamma", 1.0), ("Delta", 0.0))}
    still = {"separation": 0.0, "search_unemployed": 0.0, "search_employed": 0.0}
    data = small_market(months=2, firms=firms, tiers={"researcher": still, "engineer": still},
                        economy={"funding_rate": 1.0, "funding_runway_months": 60})
    model = TalentMarket(scenario_of(data))
    model.run()
    funding = model.firm_records.query("month == 2").set_index("firm")["funding"]
    gamma = gamma_of(1.0, model.spec.economy)
    assert funding["Delta"] > 0
    assert funding["Gamma"] / funding["Delta"] == pytest.approx(gamma, rel=1e-9)
