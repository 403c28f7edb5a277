"""Run plots name every named firm, group the generated ones, keep one colour per firm and
their legends outside the data; the moves, pay, top-share and timeline plots show what the
result files say."""

from __future__ import annotations

import json
import shutil

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

from sim import load_scenario
from sim.errors import UserError
from sim.output import charts, plots, timeline_plot
from sim.output.charts import RunTables
from sim.output.compare import load_runs, plot_top_share
from sim.output.firm_plots import plot_headcount, plot_moves
from sim.output.palette import GENERATED, OTHER_FIRMS, firm_colours
from sim.output.run import run_scenario
from sim.output.rundir import RunFolder
from tests.conftest import SCENARIOS
from tests.output.drawn import assert_nothing_cut_off

FIRM_PLOTS = ("headcount", "gpu_vs_top_share", "moves_matrix", "pay_by_firm",
              "top_share_by_firm", "timeline", "cash_gpus")
"""Plots that draw firms: each names every named firm."""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A small flagship run (15 named firms, 40 generated, dated deals and events)."""
    scenario = load_scenario(SCENARIOS / "ai_talent_war_2024.toml",
                             ["market.engineers=3000", "months=20"])
    out = tmp_path_factory.mktemp("plots") / "run"
    return run_scenario(scenario, out=out, progress=False, plots=False)


@pytest.fixture(scope="module")
def run(run_dir):
    return RunFolder.open(run_dir)


@pytest.fixture(scope="module")
def figures(run):
    """Every run plot of the small run, drawn once (closed at the end)."""
    drawn = {name: draw(run) for name, draw in plots.RUN_PLOTS.items()}
    for fig in drawn.values():
        fig.canvas.draw()
    yield drawn
    for fig in drawn.values():
        plt.close(fig)


def named(run: RunFolder) -> list[str]:
    return list(run.manifest["scenario"]["firms"])


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def legends(fig: Figure) -> list[Legend]:
    return [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]


def handle_colour(handle) -> str:
    if isinstance(handle, Line2D):
        colour = handle.get_color() if handle.get_linestyle() not in ("", "None") \
            else handle.get_markerfacecolor()
    elif isinstance(handle, Patch):
        colour = handle.get_facecolor()
    else:
        colour = handle.get_facecolor()[0]
    return to_hex(colour, keep_alpha=False)


def test_every_named_firm_is_shown_by_name_and_the_generated_firms_together(run, figures):
    firms = named(run)
    generated = sorted(set(run.firms["firm"]) - set(firms))
    assert len(firms) == 15 and len(generated) == 52  # 40 other firms, 12 AI start-ups
    for name in FIRM_PLOTS:
        shown = texts(figures[name])
        missing = [f for f in firms if f not in shown]
        assert not missing, (name, missing)
        assert GENERATED in shown, name
        leaked = [t for t in shown if any(g in t for g in generated)]
        assert not leaked, (name, leaked[:3])


def test_a_firm_has_one_colour_in_every_plot(run, figures):
    colours = firm_colours(named(run))
    checked = 0
    for name, fig in figures.items():
        for legend in legends(fig):
            for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=True):
                label = text.get_text()
                if label in colours:
                    assert handle_colour(handle) == colours[label], (name, label)
                    checked += 1
        for ax in fig.axes:  # the timeline's rows are named in their firm's colour
            for tick in ax.get_yticklabels():
                if tick.get_text() in colours and name == "timeline":
                    assert to_hex(tick.get_color()) == colours[tick.get_text()]
                    checked += 1
    assert checked >= 6 * 16


def test_legends_lie_outside_every_panel(figures):
    for name, fig in figures.items():
        renderer = fig.canvas.get_renderer()
        panels = [ax.get_window_extent(renderer) for ax in fig.axes]
        fig_box = fig.get_window_extent(renderer)
        for legend in legends(fig):
            box = legend.get_window_extent(renderer)
            assert not any(box.overlaps(p) for p in panels), name
            assert box.x1 <= fig_box.x1 + 1 and box.y0 >= fig_box.y0 - 1, name


def test_nothing_drawn_is_cut_off_or_lies_on_another_panel(figures):
    """Every text (tick labels, titles, annotations, legends) lies inside the figure; no
    panel's drawing (its ticks, labels, title, texts and legend) runs into another's; no
    figure legend, nor the figure's title, runs into a panel's drawing. The fixed layout
    works this out without measuring the ticks; this measures everything as drawn."""
    for name, fig in figures.items():
        assert_nothing_cut_off(fig, name)


def test_moves_are_counted_between_named_firms_per_tier(run, figures):
    labels = charts.firm_labels(run)
    matrices = charts.move_matrices(RunTables.from_run(run), run.flows)
    assert list(matrices) == run.tiers  # researchers first
    flows = run.flows
    for tier, (moves, deals) in matrices.items():
        part = flows[flows["tier"] == tier]
        assert moves.to_numpy().sum() == part["engineers"].sum()
        both = part[part["source"].isin(labels.named) & part["destination"].isin(labels.named)]
        for (source, destination), count in both.groupby(["source", "destination"])[
                "engineers"].sum().items():
            assert moves.loc[source, destination] == count
        deal = part[part["kind"] == "deal_transfer"]
        assert deals.to_numpy().sum() == deal["engineers"].sum()
        generated = part[~part["source"].isin(labels.named)
                         & (part["source"] != "unemployment")]
        assert moves.loc[GENERATED].sum() == generated["engineers"].sum()
    assert sum(d.to_numpy().sum() for _, d in matrices.values()) > 0  # the dated deals
    fig = figures["moves_matrix"]
    titles = [ax.get_title().split(":")[0] for ax in fig.axes if ax.get_title()]
    assert titles == run.tiers
    first = np.nan_to_num(np.asarray(fig.axes[0].get_images()[0].get_array().filled(np.nan)))
    assert np.array_equal(first, matrices[run.tiers[0]][0].to_numpy())


def test_pay_by_firm_is_each_named_firms_median_and_the_groups_weighted_mean(run, figures):
    tables = RunTables.from_run(run)
    labels = tables.labels
    tier = run.tiers[0]
    table = charts.weighted_by_label(tables, f"pay_median_{tier}", f"headcount_{tier}")
    firms = run.firms
    last = firms[firms["month"] == firms["month"].max()]
    openai = last[last["firm"] == "OpenAI"].iloc[0]
    assert table.loc[openai["month"], "OpenAI"] == pytest.approx(openai[f"pay_median_{tier}"])
    tier = run.tiers[1]
    table = charts.weighted_by_label(tables, f"pay_median_{tier}", f"headcount_{tier}")
    rest = last[~last["firm"].isin(labels.named) & (last[f"headcount_{tier}"] > 0)]
    expected = np.average(rest[f"pay_median_{tier}"], weights=rest[f"headcount_{tier}"])
    assert table.loc[last["month"].iloc[0], GENERATED] == pytest.approx(expected)
    fig = figures["pay_by_firm"]
    assert [ax.get_title().split(":")[0] for ax in fig.axes] == run.tiers


def test_top_tier_shares_add_up_to_100_with_the_unemployed(run):
    shares = charts.top_shares(RunTables.from_run(run))
    assert list(shares.columns) == [*named(run), GENERATED, "unemployment"]
    assert np.allclose(shares.sum(axis=1), 100.0)
    top = run.tiers[0]
    market = run.market.set_index("month")
    total = market[f"employed_{top}"] + market[f"unemployed_{top}"]
    assert np.allclose(shares["unemployment"], 100 * market[f"unemployed_{top}"] / total)


def test_the_timeline_draws_every_deal_and_every_dated_event(run, figures):
    shown = " | ".join(texts(figures["timeline"]))
    deals = run.deals
    assert len(deals) >= 3
    for _, deal in deals.iterrows():
        assert f"{deal['engineers_moved']} eng." in shown
    first, last = run.dates().iloc[0], run.dates().iloc[-1]
    events = timeline_plot.scenario_events(run, charts.firm_labels(run))
    inside = [e for e in events if first <= e.date <= last]
    assert {"turmoil", "policy_change", "amenity_change", "funding_climate"} <= {
        e.type for e in inside}
    for event in inside:
        assert event.text in shown
    # every marker an event is drawn with is explained in the legend
    legend = figures["timeline"].legends[0]
    explained = {h.get_marker() for h in legend.legend_handles if h.get_linestyle() == "None"}
    points = [e for e in inside if e.end is None]
    assert {"funding_round", "policy_change"} <= {e.type for e in points}
    for event in points:
        assert timeline_plot.EVENT_MARKERS.get(event.type, "|") in explained, event.type
    assert timeline_plot.event_date(3, pd.Timestamp("2023-01-01")) == pd.Timestamp("2023-04-01")
    assert timeline_plot.event_date("2024-05", first) == pd.Timestamp("2024-05-01")


def test_without_a_manifest_the_largest_firms_are_named(run_dir, tmp_path):
    folder = shutil.copytree(run_dir, tmp_path / "bare")
    (folder / "manifest.json").unlink()
    labels = charts.firm_labels(RunFolder.open(folder))
    assert len(labels.named) == charts.MAX_FIRMS_SHOWN and labels.rest == OTHER_FIRMS
    firms = pd.read_csv(folder / "firms.csv")
    peak = firms.groupby("firm")["headcount"].max()
    assert peak[list(labels.named)].min() >= peak.drop(list(labels.named)).max()
    kept = list(firms["firm"].drop_duplicates()[:5])
    firms[firms["firm"].isin(kept)].to_csv(folder / "firms.csv", index=False)
    few = charts.firm_labels(RunFolder.open(folder))
    assert list(few.named) == kept
    fig = plot_headcount(RunFolder.open(folder))
    assert set(kept) <= set(texts(fig)) and OTHER_FIRMS not in texts(fig)
    plt.close(fig)


@pytest.mark.parametrize("change, key", [
    (lambda s: s.update(firms=["OpenAI"]), "scenario.firms"),
    (lambda s: s["events"][0].update(month="soon"), "scenario.events[0].month"),
    (lambda s: s["events"][2].update(firm="Open AI!"), "scenario.events[2].firm"),
    (lambda s: s["events"][0].update(months=0), "scenario.events[0].months"),
])
def test_a_damaged_scenario_in_the_manifest_is_refused_before_drawing(run_dir, tmp_path,
                                                                      change, key):
    folder = shutil.copytree(run_dir, tmp_path / "damaged")
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest["scenario"])
    path.write_text(json.dumps(manifest))
    with pytest.raises(UserError, match=rf"manifest.json: {key}".replace("[", r"\[")
                       .replace("]", r"\]")):
        plots.plot_run(folder, workers=1)
    assert not list(folder.glob("*.png"))


def test_a_firm_has_one_colour_in_every_run_of_a_comparison(run_dir, tmp_path):
    """The union of the runs' named firms, first run first, fixes the colours: a second
    run that lists its firms in another order and names one more firm draws each firm of
    the first run in the first run's colour."""
    other = shutil.copytree(run_dir, tmp_path / "other")
    path = other / "manifest.json"
    manifest = json.loads(path.read_text())
    firms = manifest["scenario"]["firms"]
    manifest["scenario"]["firms"] = {"tech_firm_00": {}, **dict(reversed(firms.items()))}
    manifest["seed"] += 1
    path.write_text(json.dumps(manifest))
    runs = load_runs([run_dir, other])
    colours = firm_colours([*firms, "tech_firm_00"])
    fig = plot_top_share(runs)
    fig.canvas.draw()
    panels = [ax for ax in fig.axes if ax.collections]
    assert len(panels) == 2
    for ax in panels:
        for area in ax.collections:
            assert to_hex(area.get_facecolor()[0], keep_alpha=False) == colours[area.get_label()]
    assert {a.get_label() for a in panels[1].collections} >= {"tech_firm_00", *firms}
    assert "tech_firm_00" not in {a.get_label() for a in panels[0].collections}
    plt.close(fig)


def test_a_run_whose_firms_and_flows_have_no_rows_is_drawn_with_every_named_firm(run_dir,
                                                                                 tmp_path):
    folder = shutil.copytree(run_dir, tmp_path / "empty")
    for name in ("firms.csv", "flows.csv"):
        path = folder / name
        path.write_text(path.read_text().splitlines()[0] + "\n")
    paths = plots.plot_run(folder, workers=1)
    assert len(paths) == len(plots.RUN_PLOTS)
    run = RunFolder.open(folder)
    shares = charts.top_shares(RunTables.from_run(run))
    assert list(shares.columns) == [*named(run), "unemployment"]
    assert np.nansum(shares.drop(columns="unemployment").to_numpy()) == 0
    fig = plot_moves(run)
    assert set(named(run)) <= set(texts(fig))
    plt.close(fig)


def test_the_gpu_threshold_is_drawn_on_the_gpu_plots(run, figures):
    threshold = run.gpu_threshold
    assert threshold
    for name in ("gpu_vs_top_share", "cash_gpus"):
        assert any(f"({threshold:,.0f})" in t and "GPU threshold" in t
                   for t in texts(figures[name])), name


def test_labels_on_a_timeline_row_do_not_overlap(figures):
    slots = timeline_plot.LabelSlots(days_per_point=1.0)
    day = pd.Timestamp("2024-01-01")
    assert [slots.place("OpenAI", day, "turmoil ×4.0") for _ in range(3)] == [0, 1, 2]
    assert slots.place("OpenAI", day + pd.Timedelta(days=400), "turmoil") == 0
    assert slots.place("Meta", day, "turmoil") == 0
    fig = figures["timeline"]
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in fig.axes[0].texts]
    assert len(boxes) >= 8
    for k, box in enumerate(boxes):
        assert not any(box.overlaps(other) for other in boxes[k + 1:])
