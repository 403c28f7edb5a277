"""Plots of replicate folders: the key market series and each firm's top-tier share as the
mean over replicates with its 95% band, from the result files; comparisons draw a band per
folder."""

from __future__ import annotations

import shutil

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from sim.errors import UserError
from sim.output import charts
from sim.output.palette import GENERATED
from sim.output.replicates import (
    COMPARE_BANDS,
    REPLICATE_PLOTS,
    ReplicateFolder,
    mean_interval,
    plot_market_bands,
    plot_replicates,
    plot_top_share_bands,
    read_summary,
    top_share_bands,
)
from tests.output.folders import run_cli


@pytest.fixture(scope="module")
def folders(two_tier_replicates):
    """Two replicate folders of the two-tier market (3 replicates, 6 months each): the base
    and a counterfactual with a much higher GPU threshold (the session's, shared with the
    replicate and report tests)."""
    base, _, cf = two_tier_replicates
    return base, cf


def test_plot_of_a_replicate_folder_draws_its_plots_and_nothing_else(folders, tmp_path):
    folder = shutil.copytree(folders[0], tmp_path / "reps")
    before = {p.name for p in folder.iterdir()}
    outcome = run_cli(["plot", folder], tmp_path)
    assert outcome.status == 0, outcome.err
    assert outcome.out.split() == [str(folder / f"{n}.png") for n in REPLICATE_PLOTS]
    assert {p.name for p in folder.iterdir()} == before | {f"{n}.png" for n in REPLICATE_PLOTS}


def test_the_market_bands_are_the_summarys_mean_and_95_interval(folders):
    reps = ReplicateFolder.open(folders[0])
    summary = read_summary(reps.dir)
    first = next(iter(reps.runs.values()))
    fig = plot_market_bands([(reps.label, summary, charts.month_dates(first), first.tiers, 3)])
    panel = next(ax for ax in fig.axes if ax.get_title().startswith("Unemployment"))
    line = panel.get_lines()[0]
    rows = summary[summary["measure"] == "unemployment_rate"]
    assert np.allclose(line.get_ydata(), 100 * rows["mean"])
    markets = [run.market for run in reps.runs.values()]
    last = [m["unemployment_rate"].iloc[-1] for m in markets]
    _, _, low, high = mean_interval(last)
    band = panel.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() <= 100 * low + 1e-9 and np.isclose(band, 100 * high).any()
    assert np.isclose(band, 100 * low).any()
    titles = [ax.get_title() for ax in fig.axes]
    assert [t for t in titles if t.startswith("Median pay")] == [
        f"Median pay: {t}" for t in first.tiers]
    plt.close(fig)


def test_top_share_bands_average_the_replicates_shares(folders):
    reps = ReplicateFolder.open(folders[0])
    labels, bands = top_share_bands(reps)
    assert list(bands)[:len(labels.named)] == list(labels.named)
    assert {GENERATED, "unemployment"} <= set(bands)
    shares = [charts.top_shares(charts.RunTables.from_run(run, labels))
              for run in reps.runs.values()]
    month = shares[0].index[-1]
    for name in (labels.named[0], GENERATED):
        mean, _, low, high = mean_interval([s.loc[month, name] for s in shares])
        assert bands[name].loc[month].tolist() == pytest.approx([mean, low, high],
                                                                nan_ok=True)


def test_a_damaged_summary_is_refused_and_nothing_drawn(folders, tmp_path):
    folder = shutil.copytree(folders[0], tmp_path / "reps")
    table = pd.read_csv(folder / "summary.csv")
    table["ci_low"] = table["ci_low"].astype(object)
    table.loc[3, "ci_low"] = "low"
    table.to_csv(folder / "summary.csv", index=False)
    with pytest.raises(UserError, match=r"summary\.csv: column ci_low"):
        plot_replicates(folder)
    assert not list(folder.glob("*.png")) and not list(folder.glob(".*"))


@pytest.fixture(scope="module")
def comparison(folders, tmp_path_factory):
    """``talentwar compare`` of the two folders, into an ``--out`` folder that already
    held a file ``stale.png``: the folder and what the command did."""
    root = tmp_path_factory.mktemp("cmp")
    out = root / "cmp"
    out.mkdir()
    (out / "stale.png").write_bytes(b"")  # a file already in --out is not announced
    return out, run_cli(["compare", folders[0], folders[1], "--out", out], root)


def test_a_comparison_of_replicate_folders_draws_a_band_per_folder(comparison):
    out, outcome = comparison
    assert outcome.status == 0, outcome.err
    assert (out / f"{COMPARE_BANDS}.png").stat().st_size > 0
    assert (out / "differences.csv").is_file()


def test_compare_prints_the_plot_it_wrote_and_no_other(comparison):
    out, outcome = comparison
    assert outcome.status == 0, outcome.err
    printed = [line for line in outcome.out.splitlines() if line.endswith((".png", ".csv"))]
    written = [f"{COMPARE_BANDS}.png", "compare_firm_shares.png",
               "compare_effects_market.png", "compare_effects_top_share.png",
               "compare_effects_percent.png", "differences.csv", "firm_differences.csv",
               "firm_measures.csv", "deal_team_differences.csv", "effects_over_time.csv"]
    assert printed == [str(out / name) for name in written]
    assert all((out / name).is_file() for name in written)


def test_bands_of_shares_stay_within_0_and_100_percent(folders):
    """The t interval of few replicates can pass 0 or 1; a share cannot, so its band is
    clipped."""
    reps = ReplicateFolder.open(folders[0])
    summary = read_summary(reps.dir)
    first = next(iter(reps.runs.values()))
    rate = summary["measure"] == "unemployment_rate"
    summary.loc[rate, "ci_low"] = -0.3
    summary.loc[rate, "ci_high"] = 1.2
    fig = plot_market_bands([(reps.label, summary, charts.month_dates(first), first.tiers, 3)])
    panel = next(ax for ax in fig.axes if ax.get_title().startswith("Unemployment"))
    band = panel.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == 0 and band.max() == 100
    plt.close(fig)
    fig = plot_top_share_bands(reps)
    for ax in fig.axes:
        for band in ax.collections:
            ys = np.concatenate([p.vertices[:, 1] for p in band.get_paths()])
            assert ys.min() >= 0 and ys.max() <= 100
    plt.close(fig)


def test_the_effects_of_several_compared_folders_share_one_panel_per_firm(tmp_path):
    """With several compared folders (long labels, many firms), each firm keeps one panel,
    in which each folder's effect is a line of its own style, named in the figure's
    legend: the figure does not grow with the folders, and nothing is cut off or collapsed
    (it drew one row of panels per folder, titled "firm (folder)", which collapsed)."""
    from sim.output.effects import FOLDER_STYLES, TOP_SHARE_PREFIX, plot_top_share_effects
    from sim.output.plotkit import save
    from tests.output.drawn import assert_nothing_cut_off

    firms = [f"Firm_{k}" for k in range(15)] + [GENERATED]
    months = np.arange(37)
    dates = dict(zip(months, pd.date_range("2023-01-01", periods=37, freq="MS"),
                     strict=True))

    def table(shift: float) -> pd.DataFrame:
        rows = [{"measure": f"{TOP_SHARE_PREFIX}{firm} (%)", "month": m,
                 "mean_difference": shift * k + 0.01 * m, "low": shift * k - 1,
                 "high": shift * k + 1} for k, firm in enumerate(firms) for m in months]
        return pd.DataFrame(rows)

    labels = [f"cf_counterfactual_number_{k} (results/cf/counterfactual_number_{k})"
              for k in range(3)]
    results = [(label, table(0.1 * (k + 1))) for k, label in enumerate(labels)]
    one = plot_top_share_effects(results[:1], dates, "researcher")
    fig = plot_top_share_effects(results, dates, "researcher")
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == firms
    assert fig.get_size_inches().tolist() == one.get_size_inches().tolist()
    for k, ax in enumerate(panels):
        lines = [line for line in ax.get_lines() if line.get_label() in labels]
        assert [line.get_label() for line in lines] == labels
        assert len({str(line.get_linestyle()) for line in lines}) == 3
        for r, line in enumerate(lines):
            assert np.allclose(line.get_ydata(), 0.1 * (r + 1) * k + 0.01 * months)
    legend = fig.legends[0]
    assert [text.get_text() for text in legend.get_texts()] == labels
    assert [h.get_linestyle() for h in legend.legend_handles] == [
        plt.Line2D([], [], ls=style).get_linestyle() for style in FOLDER_STYLES[:3]]
    save(fig, tmp_path / "effects.png")
    fig = plot_top_share_effects(results, dates, "researcher")
    fig.canvas.draw()
    assert_nothing_cut_off(fig, "three folders")
    assert all(ax.get_position().width > 0.1 for ax in fig.axes if ax.get_title())
    plt.close("all")
