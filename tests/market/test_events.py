"""The timeline: policy changes, turmoil, climates; bad events get clear errors."""

import pytest

from sim import TalentMarket
from sim.errors import UserError
from tests.conftest import scenario_of, small_market


def test_a_policy_change_changes_behaviour_from_its_month_on():
    # Gamma poaches with higher pay, so Alpha's employees hold offers worth countering.
    data = small_market(months=14, firms={"Gamma": {"gpus": 50_000, "pay": {
        "researcher": 1_400_000}}}, events=[
        {"type": "policy_change", "month": 7, "firm": "Alpha",
         "policy": {"counter_offer": "match"}}])
    model = TalentMarket(scenario_of(data))
    model.run()
    alpha = model.firm_records.query("firm == 'Alpha'").set_index("month")
    assert alpha.loc[1:6, "counter_offers"].sum() == 0
    assert (alpha.loc[7:, "counter_offers"] > 0).sum() >= 6
    assert set(alpha.loc[:6, "counter_offer_policy"]) == {"never"}
    assert set(alpha.loc[7:, "counter_offer_policy"]) == {"match"}


def test_calendar_months_and_turmoil():
    data = small_market(months=12, start="2024-01", events=[
        {"type": "turmoil", "month": "2024-07", "firm": "Beta", "search_multiplier": 5.0,
         "months": 3}])
    model = TalentMarket(scenario_of(data))
    model.run()
    beta = model.firm_records.query("firm == 'Beta'").set_index("month")["quits"]
    during = beta.loc[6:8].mean()
    before = beta.loc[1:5].mean()
    assert during > 2.5 * before


def test_a_funding_winter_stops_rounds():
    base = {"months": 12, "firms": {"Gamma": {"kind": "ai_startup", "cash": 1e6,
                                              "tfp": 0.2}},
            "economy": {"funding_rate": 1.0}}
    boom = TalentMarket(scenario_of(small_market(**base)))
    winter = TalentMarket(scenario_of(small_market(**base, events=[
        {"type": "funding_climate", "month": 1, "multiplier": 0.0, "months": 12}])))
    for model in (boom, winter):
        model.run()
    assert boom.market["funding"].sum() > 0
    assert winter.market["funding"].sum() == 0


def test_an_event_naming_an_unknown_firm_is_a_clear_error():
    data = small_market(events=[{"type": "turmoil", "month": 2, "firm": "Omega"}])
    with pytest.raises(UserError, match=r"events\[0\].firm: no firm called 'Omega'"):
        TalentMarket(scenario_of(data))


def test_a_gpu_supply_shock_slows_deliveries_for_its_months():
    base = {"months": 6, "compute": {"supply_per_month": 1_000},
            "firms": {"Gamma": {"gpus": 0, "policy": {"gpu_target": 10_000}}}}
    normal = TalentMarket(scenario_of(small_market(**base)))
    shocked = TalentMarket(scenario_of(small_market(**base, events=[
        {"type": "gpu_supply_shock", "month": 3, "multiplier": 0.25, "months": 2}])))
    for model in (normal, shocked):
        model.run()
    assert normal.market["gpu_arrived"].iloc[1:].tolist() == [1_000] * 6
    assert shocked.market["gpu_arrived"].iloc[1:].tolist() == [1_000, 1_000, 250, 250,
                                                               1_000, 1_000]


def test_events_naming_a_firm_that_has_left_are_warnings_of_the_run():
    # Bought outright in month 2 (no review), the target can be neither bought again nor
    # given GPUs later: those events do nothing, and the run says so (one warning each);
    # the deal that happened, and an event of a firm still there, say nothing.
    data = small_market(months=5, events=[
        {"type": "forced_deal", "month": 2, "buyer": "Alpha", "target": "Beta",
         "form": "acquisition", "price": 1e8, "review": False},
        {"type": "forced_deal", "month": 3, "buyer": "Gamma", "target": "Beta",
         "form": "acquisition", "price": 1e8, "review": False},
        {"type": "gpu_stock", "month": 4, "firm": "Beta", "gpus": 5_000},
        {"type": "gpu_stock", "month": 4, "firm": "Gamma", "gpus": 5_000},
    ])
    model = TalentMarket(scenario_of(data))
    model.run()
    assert not model.firms[model.firm_index("Beta")].active
    said = [w for w in model.warnings() if "did nothing" in w]
    assert said == [
        "the forced_deal event of 3 (buyer Gamma, target Beta) did nothing: Beta had left "
        "the market by month 3 (bought, or unable to pay)",
        "the gpu_stock event of 4 (firm Beta) did nothing: Beta had left the market by "
        "month 4 (bought, or unable to pay)"]
    assert model.firms[model.firm_index("Gamma")].gpus == 5_000
