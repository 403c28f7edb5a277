"""What drives engineers: GPUs, outreach, mission; and the bookkeeping of who is where."""

import mesa
import numpy as np
import pytest

from sim import TalentMarket
from sim.agents.engineers import UNEMPLOYED
from tests.conftest import SCENARIOS, scenario_of, small_market


def top_share(model, name):
    firm = model.firm(name).index
    top = model.engineers.tier_slice(0)
    employed = model.engineers.firm[top]
    employed = employed[employed != UNEMPLOYED]
    return np.mean(employed == firm), employed.size


def test_more_gpus_above_the_threshold_draw_more_top_tier_engineers():
    shares = {}
    for gpus in (2_000, 50_000):
        data = small_market(firms={"Gamma": {"gpus": gpus}})
        model = TalentMarket(scenario_of(data))
        model.run()
        shares[gpus], n = top_share(model, "Gamma")
    # Below the threshold Gamma loses its researchers; above it, it holds about its share.
    se = np.sqrt(0.25 / n)
    assert shares[50_000] - shares[2_000] > 5 * se, shares


def test_the_top_tier_concentrates_above_the_threshold():
    model = TalentMarket(scenario_of(small_market()))
    first = model.market_row["top_share_above_threshold"]
    model.run()
    assert model.market_row["top_share_above_threshold"] > first + 0.1


def test_outreach_raises_acceptance():
    hires = {}
    for outreach in (0, 40):
        data = small_market(firms={"Gamma": {"outreach": outreach, "gpus": 50_000}})
        model = TalentMarket(scenario_of(data))
        model.run()
        flows = model.flows
        into_gamma = flows[(flows["destination"] == "Gamma") & (flows["tier"] == "researcher")]
        hires[outreach] = into_gamma["engineers"].sum()
        firms = model.firm_records
        gamma = firms[firms["firm"] == "Gamma"]
        if outreach:
            assert gamma["outreach_contacts"].sum() == 40 * model.months
            assert gamma["outreach_hires"].sum() > 0
    # Researchers hired by Gamma are roughly Poisson counts: the difference must exceed
    # 4 standard errors.
    assert hires[40] - hires[0] > 4 * np.sqrt(hires[40] + hires[0]), hires


def test_engineers_sort_by_mission():
    data = small_market(
        firms={"Alpha": {"mission": 0.95}, "Beta": {"mission": 0.05},
               "Gamma": {"mission": 0.6, "gpus": 50_000}, "Delta": {"mission": 0.3,
                                                               "gpus": 50_000}},
        tiers={"engineer": {"weights": {"mission": 3.0}}, "researcher": {"weights":
                                                                        {"mission": 3.0}}},
        months=48,
    )
    model = TalentMarket(scenario_of(data))

    def correlation():
        eng = model.engineers
        employed = eng.firm != UNEMPLOYED
        firm_mission = model.state.table.mission[eng.firm[employed]]
        return np.corrcoef(eng.mission[employed], firm_mission)[0, 1]

    # Initial placement ignores mission: correlation ~ 0 (sd ~ 1/sqrt(n) ~ 0.013).
    assert abs(correlation()) < 0.05
    model.run()
    assert correlation() > 0.3


def test_every_engineer_is_in_exactly_one_place_every_month():
    model = TalentMarket(scenario_of(small_market(months=12)))
    n_firms = len(model.firms)
    while model.running:
        before = np.bincount(model.engineers.firm + 1, minlength=n_firms + 1)
        model.step()
        firm = model.engineers.firm
        assert firm.min() >= UNEMPLOYED and firm.max() < n_firms
        after = np.bincount(firm + 1, minlength=n_firms + 1)
        # Stocks move only by the recorded flows.
        flows = model.flows
        month = flows[flows["month"] == model.steps]
        places = ["unemployment", *model.firm_names]
        inflow = month.groupby("destination")["engineers"].sum().reindex(places, fill_value=0)
        outflow = month.groupby("source")["engineers"].sum().reindex(places, fill_value=0)
        np.testing.assert_array_equal(after, before + inflow.to_numpy() - outflow.to_numpy())
        row = model.market_row
        assert row["employed"] + row["unemployed"] == model.engineers.n
        # Pay is positive exactly for the employed.
        assert np.array_equal(model.engineers.pay > 0, firm != UNEMPLOYED)


def test_mesa_batch_run_drives_the_model():
    results = mesa.batch_run(
        TalentMarket,
        parameters={
            "scenario": str(SCENARIOS / "textbook_job_ladder.toml"),
            "market__engineers": [500, 1_000],
            "months": 3,
            "seed": 5,
        },
        max_steps=10,
        data_collection_period=1,
        display_progress=False,
    )
    for n in (500, 1_000):
        steps = sorted({int(r["Step"]) for r in results if r["market__engineers"] == n})
        # Mesa 3.3 reports months 0..2 of a 3-month run, Mesa 3.5 months 0..3.
        assert steps in ([0, 1, 2], [0, 1, 2, 3]), steps
    assert all(r["Step"] == r["month"] and r["engineers"] == r["market__engineers"]
               for r in results)
    assert all(r["employed"] + r["unemployed"] == r["engineers"] for r in results)


def test_same_seed_same_market_different_seed_different_market():
    runs = []
    for seed in (3, 3, 4):
        model = TalentMarket(scenario_of(small_market(months=6)), seed=seed)
        model.run()
        runs.append(model.market.drop(columns="date").to_numpy())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_a_run_too_big_for_the_machine_is_refused_before_it_starts(tmp_path, capsys):
    from sim.cli import main
    from sim.errors import UserError
    from sim.scenario.resources import memory_estimate

    data = small_market(months=100_000, generated_firms=[
        {"count": 20_000, "prefix": "g", "pay": {"engineer": 100_000}}])
    scenario = scenario_of(data)
    need = memory_estimate(scenario)
    assert need > 50e9  # 20,000 firms x 100,000 months of records
    with pytest.raises(UserError, match=r"needs about [\d,.]+ GB of memory .*20,004 firms"):
        TalentMarket(scenario)
    path = tmp_path / "big.toml"
    path.write_text("name = 'big'\nmonths = 100000\n[market]\nengineers = 1000\n"
                    "[tiers.t]\nshare = 1.0\n[[generated_firms]]\ncount = 20000\n"
                    "pay = { t = 1.0 }\n")
    assert main(["validate", str(path)]) == 2
    assert f"{path}: a run needs about" in capsys.readouterr().err
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()


def test_the_memory_estimate_grows_with_engineers_firms_months_and_the_held_text():
    from sim.scenario.resources import (
        ENGINEER_BYTES,
        HELD_BYTES,
        HOLD_ENGINEERS,
        HOLD_FROM,
        memory_estimate,
    )

    def engineers(n: int) -> int:
        return memory_estimate(scenario_of(small_market(market={"engineers": n})))

    base = scenario_of(small_market())
    n = base.market.engineers
    assert n < HOLD_FROM  # too small for its engineer table's text to be held
    assert engineers(n + 1_000_000) - memory_estimate(base) == ENGINEER_BYTES * 1_000_000
    # from HOLD_FROM to HOLD_ENGINEERS engineers, a process holds the table's fixed text
    assert engineers(HOLD_FROM) - engineers(HOLD_FROM - 1) == ENGINEER_BYTES + (
        HELD_BYTES * HOLD_FROM)
    assert engineers(HOLD_ENGINEERS) - engineers(HOLD_FROM) == (
        (ENGINEER_BYTES + HELD_BYTES) * (HOLD_ENGINEERS - HOLD_FROM))
    assert engineers(HOLD_ENGINEERS + 1) - engineers(HOLD_ENGINEERS) == ENGINEER_BYTES - (
        HELD_BYTES * HOLD_ENGINEERS)
    longer = scenario_of(small_market(months=240))
    assert memory_estimate(longer) > memory_estimate(base)


def test_mesa_batch_run_returns_firm_rows():
    results = mesa.batch_run(
        TalentMarket,
        # No "seed" parameter: Mesa 3.5's batch_run keeps that name for itself (and then
        # does not pass it on), so both Mesa lines run the scenario's own seed.
        parameters={"scenario": str(SCENARIOS / "ai_talent_war_2024.toml"),
                    "market__engineers": 2_000, "months": 2},
        max_steps=10, data_collection_period=1, display_progress=False,
    )
    model = TalentMarket(SCENARIOS / "ai_talent_war_2024.toml", market__engineers=2_000,
                         months=2)
    model.run()
    firms = model.firm_records
    rows = [r for r in results if r.get("firm") == "OpenAI"]
    assert sorted(r["Step"] for r in rows) in ([0, 1], [0, 1, 2])
    market = model.market.set_index("month")
    for r in rows:
        expected = firms[(firms["firm"] == "OpenAI") & (firms["month"] == r["Step"])].iloc[0]
        assert r["firm_headcount"] == expected["headcount"]
        assert r["firm_cash"] == expected["cash"]
        # firm measures are prefixed, so the market's of the same name are kept
        for name in ("hires", "layoffs", "revenue", "deals", "counter_offers"):
            assert r[f"firm_{name}"] == expected[name], name
            assert r[name] == market.loc[r["Step"], name], name
    assert any(r["firm_hires"] != r["hires"] for r in rows)  # the two are different measures
    assert len({r["firm"] for r in results if "firm" in r}) == len(model.firms)


def test_flows_say_what_kind_of_move_each_row_is():
    from sim import columns as c

    data = small_market(months=8, firms={"Delta": {"policy": {"margin_target": 0.99}}})
    model = TalentMarket(scenario_of(data))
    model.run()
    flows, market = model.flows, model.market
    assert set(flows["kind"]) <= set(c.MOVE_KINDS)
    by_kind = flows.groupby("kind")["engineers"].sum()
    for kind, column in (("job_to_job", "job_to_job"), ("separation", "separations"),
                         ("hire_from_unemployment", "hires_from_unemployment"),
                         ("layoff", "layoffs")):
        assert by_kind.get(kind, 0) == market[column].sum(), kind
    assert by_kind.get("layoff", 0) > 0
    hires = flows[flows["kind"] == "hire_from_unemployment"]
    assert (hires["source"] == "unemployment").all()
    job_to_job = flows[flows["kind"] == "job_to_job"]
    assert (job_to_job["source"] != "unemployment").all()
    assert (job_to_job["destination"] != "unemployment").all()


def test_a_run_that_records_the_market_only_runs_the_same_market():
    # A sweep's runs keep the market rows only: the market, its rows and every engineer's
    # end state are those of a run that records everything, bit for bit.
    import pandas as pd

    path = SCENARIOS / "ai_talent_war_2024.toml"
    full = TalentMarket(path, seed=11, market__engineers=3_000, months=8)
    lean = TalentMarket(path, seed=11, market__engineers=3_000, months=8, records="market")
    full.run()
    lean.run()
    assert full.market["hires"].sum() > 0 and full.firm_records["hires"].sum() > 0
    pd.testing.assert_frame_equal(lean.market, full.market, check_exact=True)
    pd.testing.assert_frame_equal(lean.engineer_table(), full.engineer_table(),
                                  check_exact=True)
    assert lean.market_row == full.market_row
    for what in ("firm_records", "flows", "datacollector", "warnings"):
        with pytest.raises(RuntimeError, match=f"{what}: this model records the market"):
            value = getattr(lean, what)
            if callable(value):
                value()
    with pytest.raises(ValueError, match="records: expected 'all' or 'market'"):
        TalentMarket(path, market__engineers=100, months=1, records="firms")


def test_the_datacollector_holds_the_recorded_months():
    # Built from the run's records when read: a model variable per market column and month,
    # a row per firm and month, as Mesa's own collection gave them.
    model = TalentMarket(scenario_of(small_market(months=3)))
    model.run()
    collector = model.datacollector
    assert collector is model.datacollector  # kept while no month passes
    frame = collector.get_model_vars_dataframe()
    assert frame.equals(model.market)
    agents = collector.get_agent_vars_dataframe().reset_index()
    firms = model.firm_records
    assert len(agents) == len(firms) == 4 * len(model.firms)
    assert agents["Step"].tolist() == firms["month"].tolist()
    assert agents["firm"].tolist() == firms["firm"].tolist()
    assert agents["firm_cash"].tolist() == firms["cash"].tolist()
    assert agents["firm_hires"].tolist() == firms["hires"].tolist()
    model.running = True
    model.months += 1
    model.step()
    assert model.datacollector is not collector
    assert len(model.datacollector.get_model_vars_dataframe()) == 5


def test_a_market_only_run_computes_only_the_parts_of_the_row_holding_kept_columns():
    import pandas as pd

    from sim.market.measures import pay_columns, section_columns

    path = SCENARIOS / "ai_talent_war_2024.toml"
    full = TalentMarket(path, seed=4, market__engineers=2_000, months=5)
    full.run()
    tiers = list(full.engineers.tier_names)
    pay = pay_columns(tiers)
    parts = section_columns(tiers)
    assert "ai_pay_index" in pay and "pay_p90_" + tiers[0] in pay
    # Every column of a full row is in exactly one part: month and date, pay, or a section.
    every = [{"month", "date"}, pay, *parts.values()]
    assert sum(len(p) for p in every) == len(full.market.columns)
    assert set().union(*every) == set(full.market.columns)
    for name, held in parts.items():
        column = sorted(held)[0]
        lean = TalentMarket(path, seed=4, market__engineers=2_000, months=5,
                            records="market", keep=["month", column])
        lean.run()
        # Only the kept column's part, with the full run's values bit for bit.
        assert set(lean.market.columns) == {"month", "date"} | held, name
        pd.testing.assert_frame_equal(lean.market, full.market[list(lean.market.columns)],
                                      check_exact=True)
    paid = TalentMarket(path, seed=4, market__engineers=2_000, months=1, records="market",
                        keep=["ai_pay_median", "top_hhi"])
    assert set(paid.market.columns) == {"month", "date"} | pay | parts["concentration"]
    with pytest.raises(ValueError, match="keep: only with records='market'"):
        TalentMarket(path, market__engineers=100, months=1, keep=["top_hhi"])


@pytest.mark.parametrize("name", ["ai_talent_war_2024.toml", "textbook_job_ladder.toml",
                                  "sweeps/small_market.toml"])
def test_the_market_columns_are_known_without_running_a_model(name):
    """market_columns(tiers), which the sweeps check their measures against, is exactly
    the set of columns a run's market.csv has (its tiers decide them)."""
    from sim.market.measures import market_columns

    path = SCENARIOS / name
    model = TalentMarket(path, seed=1, market__engineers=300, months=1)
    model.run()
    assert market_columns(list(model.engineers.tier_names)) == set(model.market.columns)


def test_deals_and_layoffs_see_the_headcounts_of_the_moment(monkeypatch):
    """The month counts headcounts again only after a phase recorded moves: the deals and
    the layoffs get the headcounts as they are when each runs (a month with a deal changes
    them between the two, and the test sees such months)."""
    import sim.model as model_module

    seen = {"deals": 0, "layoffs": 0, "changed": 0}
    real_deals, real_layoffs = model_module.seek_deals, model_module.layoffs
    before_layoffs: dict[int, np.ndarray] = {}

    def deals(state, heads):
        np.testing.assert_array_equal(heads, state.headcount())
        seen["deals"] += 1
        before_layoffs[state.month] = heads.copy()
        return real_deals(state, heads)

    def layoffs(state, heads):
        np.testing.assert_array_equal(heads, state.headcount())
        seen["layoffs"] += 1
        seen["changed"] += int(not np.array_equal(heads, before_layoffs[state.month]))
        return real_layoffs(state, heads)

    monkeypatch.setattr(model_module, "seek_deals", deals)
    monkeypatch.setattr(model_module, "layoffs", layoffs)
    # An acquisitive lab short of researchers buys the start-up Gamma's team (the model's
    # own deal, as in tests/market/test_deals.py), so headcounts change between the phases.
    changes = {"months": 6,
               "firms": {"Alpha": {"cash": 100e9, "policy": {
                   "acquisitive": True, "deal_rate": 1.0, "growth": {"researcher": 2.0},
                   "max_price_share": 1.0, "premium": 1.1}},
                   "Gamma": {"kind": "ai_startup", "cash": 50e6}}}
    model = TalentMarket(scenario_of(small_market(**changes)))
    model.run()
    assert (model.deals["origin"] == "model").any()
    assert seen["deals"] == seen["layoffs"] == 6
    assert seen["changed"] > 0  # deals moved engineers in some month: the rule binds
