"""Warnings on valid scenarios that make little economic sense: the docs' example is a
living market, and dead ones are named."""

import numpy as np

from sim import TalentMarket
from sim.cli import main
from sim.scenario.advice import scenario_warnings
from tests.conftest import SCENARIOS, scenario_of, small_market


def test_an_unset_output_defaults_to_a_margin_over_posted_pay():
    data = small_market()
    del data["tiers"]["engineer"]["output"]
    scenario = scenario_of(data)
    # small_market's five firms post 200,000 a year for engineers: 1.5 x 200,000 / 12.
    assert scenario.tier_output("engineer") == 1.5 * 200_000 / 12
    assert scenario.tier_output("researcher") == 150_000  # as set


def test_a_market_with_no_output_is_warned_before_and_after_it_runs():
    data = small_market(months=12, economy={"funding_rate": 0.0})
    for tier in data["tiers"].values():
        tier["output"] = 0
    for firm in data["firms"].values():
        firm["cash"] = 50e6
    scenario = scenario_of(data)
    before = scenario_warnings(scenario)
    assert any("researcher.output is 0" in w for w in before)
    model = TalentMarket(scenario)
    model.run()
    after = model.warnings()
    assert any("went bankrupt in month" in w for w in after)
    assert any("tier researcher:" in w and "unemployed" in w for w in after)
    assert any("no firm earned any revenue" in w for w in after)


def test_a_living_market_has_no_warnings():
    model = TalentMarket(scenario_of(small_market(months=12)))
    model.run()
    assert model.warnings() == []
    assert np.all(model.market["active_firms"] == len(model.firms))


def test_gpu_weight_without_a_big_enough_firm_and_events_after_the_horizon(tmp_path, capsys):
    data = small_market(months=3, compute={"threshold": 1e9}, events=[
        {"type": "funding_climate", "month": 10, "multiplier": 2.0}])
    warnings = scenario_warnings(scenario_of(data))
    assert any("weights.gpu is 2" in w for w in warnings)
    assert ("1 dated event falls after the horizon (months = 3) and will not happen: "
            "funding_climate 10") in warnings
    path = tmp_path / "s.toml"
    path.write_text("name = 'x'\nmonths = 2\n[tiers.a]\nshare = 1.0\n[tiers.b]\nshare = 1.0\n"
                    "[firms.F]\npay = { a = 100.0 }\n")
    assert main(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert f"{path}: warning: tiers.b: no firm posts pay" in err


def test_the_readme_example_scenario_is_a_living_market(tmp_path):
    import re

    from sim import load_scenario
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    block = next(b for b in re.findall(r"```toml\n(.*?)```", readme, re.S)
                 if 'name = "my_market"' in b)
    path = tmp_path / "my_market.toml"
    path.write_text(block)
    model = TalentMarket(load_scenario(path, ["market.engineers=5000"]))
    model.run()
    assert model.warnings() == []
    assert model.market["unemployment_rate"].iloc[-1] < 0.1


def test_an_acquired_start_up_is_not_called_bankrupt():
    deal = {"type": "forced_deal", "month": 2, "buyer": "Alpha", "target": "Gamma",
            "form": "acquisition", "price": 1e6, "review": False}
    model = TalentMarket(scenario_of(small_market(months=4, events=[deal])))
    model.run()
    assert not model.firm("Gamma").active
    assert not any("Gamma went bankrupt" in w for w in model.warnings())


def test_events_cut_off_by_a_shorter_horizon_are_one_warning():
    from sim.scenario import load_scenario
    from sim.scenario.advice import SHOWN_LATE_EVENTS

    scenario = load_scenario(SCENARIOS / "ai_talent_war_2024.toml", {"months": 3})
    late = [e for e in scenario.events if scenario.month_of(e.month) > 3]
    assert len(late) > SHOWN_LATE_EVENTS
    warnings = [w for w in scenario_warnings(scenario) if "horizon" in w]
    assert warnings == [
        f"{len(late)} dated events fall after the horizon (months = 3) and will not happen: "
        + ", ".join(f"{e.type} {e.month}" for e in late[:SHOWN_LATE_EVENTS])
        + f" and {len(late) - SHOWN_LATE_EVENTS} more"]
