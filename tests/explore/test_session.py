"""The app without the page: controls bounded by the schema, settings, saving a scenario,
comparing with the start, and the chart data its views draw."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from sim import columns as col
from sim.errors import UserError
from sim.explore import figures
from sim.explore.controls import apply_settings, schema_field
from sim.explore.session import ExploreModel, Explorer, compare_with_start, save_scenario
from sim.output import charts
from sim.output.palette import firm_colours
from sim.scenario import load_scenario
from tests.conftest import SCENARIOS, scenario_of, small_market

FLAGSHIP = SCENARIOS / "ai_talent_war_2024.toml"


@pytest.fixture(scope="module")
def explorer() -> Explorer:
    return Explorer.load(FLAGSHIP)


def test_every_control_offers_only_values_the_schema_accepts(explorer: Explorer) -> None:
    for control in explorer.controls:
        field = schema_field(control.key)
        if control.kind in ("float", "int"):
            assert control.low is not None and control.high is not None
            assert control.low <= control.value <= control.high, control
            if field.low is not None:
                assert control.low > field.low if field.low_open else control.low >= field.low
            if field.high is not None:
                assert control.high <= field.high
            for end in (control.low, control.high):  # both ends of every slider validate
                value = int(end) if control.kind == "int" else float(end)
                apply_settings(explorer.start, {control.key: value})
        elif control.kind == "choice":
            assert control.value in control.choices
            for choice in control.choices:
                apply_settings(explorer.start, {control.key: choice})


def test_controls_read_types_bounds_and_choices_from_the_schema() -> None:
    assert schema_field("economy.funding_rate").high == 1.0
    assert schema_field("compute.threshold").low_open
    assert schema_field("market.engineers").kind == "int"
    assert schema_field("firms.Meta.policy.counter_offer").choices == ("never", "match", "beat")
    assert schema_field("antitrust.rule").choices == ("us_2023", "eu_2004", "top_share",
                                                      "hhi_delta")
    assert schema_field("antitrust.us_share").kind == "float"
    with pytest.raises(KeyError):
        schema_field("compute.no_such_key")


def test_the_controls_cover_the_questions(explorer: Explorer) -> None:
    keys = {c.key for c in explorer.controls}
    assert {"seed", "market.engineers", "compute.threshold", "tiers.researcher.weights.gpu",
            "economy.funding_rate", "antitrust.enabled", "antitrust.rule",
            "antitrust.threshold"} <= keys
    for firm in load_scenario(FLAGSHIP).firms:
        assert f"firms.{firm}.policy.counter_offer" in keys
        assert f"firms.{firm}.outreach" in keys


def test_a_refused_value_names_the_key_and_changes_nothing() -> None:
    explorer = Explorer.load(FLAGSHIP)
    with pytest.raises(UserError, match=r"economy\.funding_rate.*less than or equal to 1"):
        explorer.change("economy.funding_rate", 1.5)
    assert explorer.settings == {}
    assert explorer.current == explorer.start
    explorer.change("compute.threshold", 20_000.0)
    assert explorer.current.compute.threshold == 20_000.0
    assert explorer.current.market.engineers == 10_000  # the app's size, not the file's


def test_the_model_follows_the_settings() -> None:
    explorer = Explorer.load(FLAGSHIP)
    explorer.change("firms.Google_DeepMind.policy.counter_offer", "never")
    explorer.change("months", 6)
    model = ExploreModel(explorer)
    model.run()
    table = charts.counter_offers_and_moves(charts.RunTables.from_model(model))
    assert table.loc["Google_DeepMind", col.COUNTER_OFFER_POLICY] == "never"
    assert table.loc["Google_DeepMind", col.COUNTER_OFFERS] == 0
    assert table[col.COUNTER_OFFERS].sum() > 0  # the firms that match still counter


def test_saved_scenario_is_the_current_one_and_runs(explorer: Explorer, tmp_path: Path) -> None:
    mine = Explorer.load(FLAGSHIP)
    mine.change("firms.Meta.policy.counter_offer", "beat")
    mine.change("antitrust.threshold", 40.0)
    path = save_scenario(mine, tmp_path / "mine.toml")
    assert load_scenario(path).to_dict() == mine.current.to_dict()
    assert "firms.Meta.policy.counter_offer = 'beat'" in path.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.toml"]  # no temporary left
    with pytest.raises(UserError, match="exists already"):
        save_scenario(mine, path)
    with pytest.raises(UserError, match=r"\.toml"):
        save_scenario(mine, tmp_path / "mine.txt")


def test_compare_with_the_start_pairs_replicates_by_seed() -> None:
    data = small_market(months=6)
    data["market"]["engineers"] = 2_000
    explorer = Explorer(scenario_of(data), "small")
    same = compare_with_start(explorer, pairs=2, workers=1)
    # the same settings on the same seeds: identical runs, every difference exactly 0
    assert (same["mean_difference"].fillna(0) == 0).all()
    assert not same["distinguishable"].any()
    explorer.change("market.engineers", 4_000)
    bigger = compare_with_start(explorer, pairs=2, workers=1)
    employed = bigger.loc["employed (engineers)"]
    assert employed["mean_difference"] > 1_000 and employed["distinguishable"]
    assert employed["pairs"] == 2


def test_tier_shares_add_up_to_100_with_unemployment() -> None:
    explorer = Explorer.load(FLAGSHIP)
    explorer.change("months", 3)
    model = ExploreModel(explorer)
    model.run()
    tables = charts.RunTables.from_model(model)
    shares = charts.tier_shares(tables)
    totals = shares.groupby([col.MONTH, col.FLOW_TIER])[charts.SHARE].sum()
    assert len(totals) == 4 * len(tables.tiers)
    assert all(math.isclose(t, 100.0) for t in totals)
    # the counter-offers table adds up to the firms' records
    table = charts.counter_offers_and_moves(tables)
    records = model.firm_records
    stepped = records[records[col.MONTH] >= 1]
    assert table[col.HIRES].sum() == stepped[col.HIRES].sum()
    assert table[col.HEADCOUNT].sum() == records.loc[records[col.MONTH] == 3,
                                                     col.HEADCOUNT].sum()


def test_views_use_the_plots_colours_and_the_threshold() -> None:
    explorer = Explorer.load(FLAGSHIP)
    explorer.change("compute.threshold", 25_000.0)
    model = ExploreModel(explorer)
    model.step()
    tables = charts.RunTables.from_model(model)
    colours = firm_colours(list(load_scenario(FLAGSHIP).firms))
    for option in (figures.tier_share_figure(tables), figures.pay_figure(tables),
                   figures.gpu_figure(tables)):
        drawn = {s["name"]: s["color"] for s in option["series"]}
        assert drawn["Meta"] == colours["Meta"] and drawn["OpenAI"] == colours["OpenAI"]
        assert drawn["generated firms"] == colours["generated firms"]
    gpu = figures.gpu_figure(tables)
    assert gpu["series"][0]["markLine"]["data"] == [{"xAxis": 25_000.0}]
    rows = figures.counter_offer_rows(tables)
    assert rows.count("<tr data-firm=") == len(load_scenario(FLAGSHIP).firms) + 1
    # every cell is padded, so the columns do not run together ("kepthiresquits")
    cells = re.findall(r"<t[hd]( [^>]*)?>", rows)
    assert len(cells) == 9 * rows.count("<tr") and all("padding" in c for c in cells)


def test_the_pay_view_draws_the_chart_data_in_millions() -> None:
    model = ExploreModel(Explorer.load(FLAGSHIP))
    model.step()
    tables = charts.RunTables.from_model(model)
    frame = charts.pay_by_firm(tables)
    option = figures.pay_figure(tables)
    tier = next(iter(tables.tiers))
    rows = frame[(frame[col.FLOW_TIER] == tier) & (frame[charts.LABEL] == "OpenAI")]
    drawn = next(s for s in option["series"] if s["name"] == "OpenAI" and s["xAxisIndex"] == 0)
    assert [v for _, v in drawn["data"]] == [round(float(v) / 1e6, 4) for v in rows[charts.PAY]]
    assert "$ million" in option["title"][0]["text"]


def test_live_views_drawn_month_by_month_equal_the_views_of_all_months_at_once() -> None:
    explorer = Explorer.load(FLAGSHIP)
    explorer.change("months", 7)
    model = ExploreModel(explorer)
    live = figures.LiveViews()
    drawn = []
    for step in (1, 2, 1, 3):  # redraws after 1, 3, 4 and 7 months
        for _ in range(step):
            model.step()
        tables = model.tables()
        option = live.tier_share_figure(tables)
        drawn.append(option)
        assert option == figures.tier_share_figure(tables)
        assert live.pay_figure(tables) == figures.pay_figure(tables)
        assert live.counter_offer_rows(tables) == figures.counter_offer_rows(tables)
    # an option drawn earlier keeps its months (the views copy the points they keep)
    assert {len(s["data"]) for s in drawn[0]["series"]} == {2}
    assert {len(s["data"]) for s in drawn[-1]["series"]} == {8}
    # the records of another model, at an earlier month, are drawn from its month 0
    other = ExploreModel(explorer)
    other.step()
    assert live.tier_share_figure(other.tables()) == figures.tier_share_figure(other.tables())
