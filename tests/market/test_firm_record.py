"""Named firms as the record describes them: founding dates, reported teams, dated funding
rounds and GPU stocks, the value of talent read from valuations, offers from vacancies."""

import numpy as np
import pytest

from sim import TalentMarket
from sim.errors import UserError
from sim.market.production import value_to_firm
from tests.conftest import scenario_of, small_market


def test_a_firm_founded_later_employs_and_hires_nobody_before_its_founding():
    data = small_market(months=8, start="2023-01", firms={"Gamma": {
        "founded": "2023-06", "pay": {"researcher": 3_000_000, "engineer": 400_000}}})
    model = TalentMarket(scenario_of(data))
    gamma = model.firm_index("Gamma")
    assert np.count_nonzero(model.engineers.firm == gamma) == 0
    model.run()
    rows = model.firm_records.query("firm == 'Gamma'").set_index("month")
    # Month 5 is 2023-06: nothing before it, and (paying far more than anyone) it hires then.
    assert rows.loc[:4, "hires"].sum() == 0 and rows.loc[:4, "headcount"].sum() == 0
    assert rows.loc[5:, "hires"].sum() > 0


def test_a_reported_team_is_placed_exactly_and_the_rest_by_size():
    data = small_market(months=1, market={"engineers": 6_000, "initial_unemployment": 0.0},
                        firms={"Gamma": {"team": {"researcher": 37}}})
    model = TalentMarket(scenario_of(data))
    eng = model.engineers
    gamma = model.firm_index("Gamma")
    assert np.count_nonzero((eng.firm == gamma) & (eng.tier == 0)) == 37
    # Its engineers are placed by size (it states no engineer team), the others too.
    assert np.count_nonzero((eng.firm == gamma) & (eng.tier == 1)) > 0
    assert np.count_nonzero(eng.firm[eng.tier == 0] >= 0) == np.count_nonzero(eng.tier == 0)


def test_a_team_and_a_later_founding_contradict_each_other():
    data = small_market(firms={"Gamma": {"founded": "2024-01", "team": {"researcher": 5}}},
                        start="2023-01")
    with pytest.raises(UserError, match="Gamma: founded"):
        scenario_of(data)


def test_a_dated_round_pays_the_firm_and_the_funding_rule_stays_away():
    data = small_market(months=6, economy={"funding_rate": 1.0}, firms={"Gamma": {
        "kind": "ai_startup", "cash": 1e6, "tfp": 0.1}},
        events=[{"type": "funding_round", "month": 3, "firm": "Gamma", "amount": 5e8}])
    model = TalentMarket(scenario_of(data))
    model.run()
    funding = model.firm_records.query("firm == 'Gamma'").set_index("month")["funding"]
    # Burning cash with the funding rule certain to fire, it raises only its dated round.
    assert funding.loc[3] == 5e8 and funding.drop(3).sum() == 0
    assert model.ledger.total == pytest.approx(model.ledger.initial_total)


def test_a_dated_round_adds_its_amount_to_the_firms_cash():
    # The same market with and without a round of $500M for Gamma in month 3 (Gamma has
    # cash enough that nothing else it does depends on it): from month 3 its cash is higher
    # by the amount, and the investors paid it.
    def run(events):
        data = small_market(months=5, firms={"Gamma": {"kind": "ai_startup"}}, events=events)
        model = TalentMarket(scenario_of(data))
        model.run()
        return model
    with_round = run([{"type": "funding_round", "month": 3, "firm": "Gamma", "amount": 5e8}])
    without = run([])
    gamma = with_round.firm_index("Gamma")
    records = {name: m.firm_records.query("firm == 'Gamma'").set_index("month")
               for name, m in (("with", with_round), ("without", without))}
    gap = records["with"]["cash"] - records["without"]["cash"]
    assert (gap.loc[:2] == 0).all()
    assert np.allclose(gap.loc[3:], 5e8, rtol=1e-12)
    assert records["with"]["headcount"].equals(records["without"]["headcount"])
    assert (with_round.ledger.cash[gamma] - without.ledger.cash[gamma]
            == pytest.approx(without.ledger.outside["investors"]
                             - with_round.ledger.outside["investors"]))


def test_a_gpu_stock_event_sets_the_stock_from_its_month():
    data = small_market(months=4, events=[
        {"type": "gpu_stock", "month": 2, "firm": "Gamma", "gpus": 100_000}])
    model = TalentMarket(scenario_of(data))
    model.run()
    gpus = model.firm_records.query("firm == 'Gamma'").set_index("month")["gpus"]
    assert gpus.loc[1] == 2_000 and (gpus.loc[2:] == 100_000).all()


def test_the_value_of_talent_follows_the_valuation_per_head():
    # Two start-ups alike in team (productivity 1 in this market) and cash, but for their
    # valuation: the value of an engineer is nu_j x the same output,
    # nu_j = (Val - cash) / (valuation_years n_j o_j), so it doubles with Val - cash.
    firms = {name: {"kind": "ai_startup", "cash": 1e8, "valuation": valuation,
                    "headcount": 100, "team": {"researcher": 50, "engineer": 200}}
             for name, valuation in (("Gamma", 2.1e9), ("Delta", 4.1e9))}
    model = TalentMarket(scenario_of(small_market(months=1, firms=firms)))
    state = model.state
    gamma, delta = model.firm_index("Gamma"), model.firm_index("Delta")
    who = np.flatnonzero(model.engineers.tier == 0)[:5]
    v_gamma = value_to_firm(state, who, np.full(who.size, gamma))
    v_delta = value_to_firm(state, who, np.full(who.size, delta))
    assert np.allclose(v_delta / v_gamma, 4.0 / 2.0)
    # The identity it is set from: valuation_years x (reported staff x the mean value of the
    # firm's engineers) + cash = the valuation.
    members = state.members(gamma)
    mean_value = value_to_firm(state, members, np.full(members.size, gamma)).mean()
    years = model.spec.economy.valuation_years
    assert 1e8 + years * 100 * mean_value == pytest.approx(2.1e9)


def test_a_start_up_valued_highly_per_head_keeps_its_researchers_against_big_tech():
    # Gamma and Delta are alike (AI start-ups, 2,000 GPUs, tfp 1, the same team, both
    # match) but for Gamma's reported valuation: $20B for 200 staff. Read from what its
    # investors paid, its researchers are worth more to it than to Alpha and Beta (big tech
    # with 50,000 GPUs), so it wins the auctions that Delta, valued by its revenue product,
    # loses: it keeps its researchers, Delta does not.
    team = {"researcher": 150, "engineer": 300}
    firms = {"Gamma": {"kind": "ai_startup", "team": team, "valuation": 2e10,
                       "headcount": 200, "policy": {"counter_offer": "match"}},
             "Delta": {"kind": "ai_startup", "team": team,
                       "policy": {"counter_offer": "match"}}}
    # No cash limit (max_pay_share 1): with the default 0.2% Gamma's $1B funds bids of
    # $2M a year, below what Alpha's GPUs are worth to a researcher, and the valuation
    # under test would not show.
    model = TalentMarket(scenario_of(small_market(months=12, firms=firms,
                                                  firm_defaults={"max_pay_share": 1.0})))
    model.run()
    flows = model.flows
    poached = flows[(flows["kind"] == "job_to_job") & (flows["tier"] == "researcher")
                    & flows["destination"].isin(["Alpha", "Beta"])]
    lost = poached.groupby("source")["engineers"].sum()
    gamma, delta = lost.get("Gamma", 0), lost.get("Delta", 0)
    assert delta - gamma > 4 * np.sqrt(gamma + delta), (gamma, delta)


def test_a_round_at_a_higher_valuation_raises_what_talent_is_worth_to_the_firm():
    data = small_market(months=3, firms={"Gamma": {
        "kind": "ai_startup", "cash": 1e8, "valuation": 1e9, "headcount": 50}},
        events=[{"type": "funding_round", "month": 2, "firm": "Gamma", "amount": 1e8,
                 "valuation": 5e9, "headcount": 60}])
    model = TalentMarket(scenario_of(data))
    gamma = model.firm("Gamma")
    model.step()
    before = gamma.value_per_output
    model.step()
    assert gamma.value_per_output > 3.0 * before


def test_a_valuation_needs_its_headcount():
    with pytest.raises(UserError, match="headcount"):
        scenario_of(small_market(firms={"Gamma": {"valuation": 1e9}}))


def test_offers_follow_vacancies_not_size():
    # Beta is large but has no vacancies for researchers (its target is its headcount);
    # Gamma is small with many. Drawn by vacancies, Gamma hears from far more searchers.
    firms = {"Beta": {"size": 20, "hiring_capacity": 500,
                      "policy": {"growth": {"researcher": 0.0}}},
             "Gamma": {"size": 0.2, "hiring_capacity": 500,
                       "policy": {"growth": {"researcher": 5.0}}}}
    offers = {}
    for mode in ("size", "vacancies"):
        data = small_market(months=3, firms=firms,
                            choice={"firm_sampling": mode, "offers_per_search": 2})
        model = TalentMarket(scenario_of(data))
        model.run()
        rows = model.firm_records.set_index("firm")
        offers[mode] = rows.loc["Gamma", "offers"].sum() / max(
            model.firm_records["offers"].sum(), 1)
    assert offers["vacancies"] > 2 * offers["size"], offers


def test_top_tier_hires_below_the_threshold_are_counted_where_they_land():
    # Gamma and Delta (2,000 GPUs) are below the 10,000 threshold, Alpha and Beta above.
    model = TalentMarket(scenario_of(small_market(months=6)))
    model.run()
    firms = model.firm_records
    below = firms[firms["gpus"] < model.spec.compute.threshold]
    expected = below.groupby("month")["hires_researcher"].sum().reindex(
        model.market["month"], fill_value=0)
    counted = model.market.set_index("month")["top_hires_below_threshold"]
    assert (counted.to_numpy() == expected.to_numpy()).all()
    assert counted.sum() > 0  # the market makes it bind: small firms do hire researchers


@pytest.mark.parametrize("event", [
    {"type": "funding_round", "month": "2023-03", "firm": "Gamma", "amount": 1e8},
    {"type": "gpu_stock", "month": 2, "firm": "Gamma", "gpus": 5_000},
    {"type": "forced_deal", "month": "2023-05", "buyer": "Alpha", "target": "Gamma",
     "form": "acquisition", "price": 1e8},
])
def test_an_event_dated_before_its_firms_founding_is_refused(event):
    firms = {"Gamma": {"founded": "2023-06", "pay": {"researcher": 3e6, "engineer": 4e5}}}
    with pytest.raises(UserError, match=r"events\[0\]\.month: .* before Gamma was founded"):
        scenario_of(small_market(months=8, start="2023-01", firms=firms, events=[event]))
    # The same event in the founding month is accepted.
    scenario_of(small_market(months=8, start="2023-01", firms=firms,
                             events=[{**event, "month": "2023-06"}]))


def test_teams_stated_at_a_larger_market_scale_with_it():
    # Gamma's 300 researchers are stated for a market of 60,000 engineers: in a market of
    # 6,000 it starts with 30 (x 0.1), and the other firms keep the rest of the tier.
    data = small_market(months=1, market={"engineers": 6_000, "initial_unemployment": 0.0,
                                          "teams_at": 60_000},
                        firms={"Gamma": {"team": {"researcher": 300}}})
    model = TalentMarket(scenario_of(data))
    eng = model.engineers
    at_gamma = np.count_nonzero((eng.firm == model.firm_index("Gamma")) & (eng.tier == 0))
    assert at_gamma == 30
    assert np.count_nonzero((eng.firm >= 0) & (eng.firm != model.firm_index("Gamma"))
                            & (eng.tier == 0)) == np.count_nonzero(eng.tier == 0) - 30


def test_teams_larger_than_their_tier_are_refused():
    # 1,300 researchers stated in a market that employs 1,200: without teams_at, an error
    # that names the tier and the way out (the teams used to fill the tier silently).
    data = small_market(market={"engineers": 6_000, "initial_unemployment": 0.0},
                        firms={"Gamma": {"team": {"researcher": 1_300}}})
    with pytest.raises(UserError, match=r"teams stated for tier 'researcher' hold 1,300"):
        scenario_of(data)
    data["market"]["teams_at"] = 60_000  # stated at ten times the size: 130 here
    scenario_of(data)


def test_a_round_that_values_a_firm_without_staff_figures_is_refused():
    """nu_j divides by the reported headcount at the valuation's date: a round that gives a
    valuation to a firm with none (in its table or an earlier round) is refused at load,
    naming the event, where it set nu_j = 0 silently (every bid and pay cap of the firm 0);
    with the round's own headcount, or one from an earlier round, the firm is priced."""
    def data(*events):
        return small_market(months=3, firms={"Gamma": {"kind": "ai_startup", "cash": 1e8}},
                            events=list(events))

    valued = {"type": "funding_round", "month": 2, "firm": "Gamma", "amount": 1e8,
              "valuation": 2e9}
    with pytest.raises(UserError, match=r"events\[0\]: a funding_round that gives Gamma a "
                       "valuation needs its reported headcount"):
        scenario_of(data(valued))
    for events in ([{**valued, "headcount": 40}],
                   [{"type": "funding_round", "month": 1, "firm": "Gamma", "amount": 1e6,
                     "headcount": 40}, valued]):
        model = TalentMarket(scenario_of(data(*events)))
        model.run()
        assert model.firm("Gamma").value_per_output > 0
