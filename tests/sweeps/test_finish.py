"""``talentwar sweep`` finishes like ``run``: plots unless ``--no-plots``, ``--set``, a
warning for one-replicate designs, a report with a response table, and plots that keep
their labels on the figure, as text, with bands of fractions within [0, 1]."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PolyCollection

from sim import cli
from sim.output.plotkit import plain_text
from sim.sweeps.analysis import response_table, run_scalars
from sim.sweeps.plan import load_plan
from sim.sweeps.plots import plot_response, plot_series
from sim.sweeps.report import sweep_report
from tests.conftest import SCENARIOS

LONG = ("Share of top-tier engineers at firms above the GPU threshold, at the end of the "
        "run, in $ of nothing")
SWEEP = f"""
name = "finish"
base = "{SCENARIOS / 'sweeps' / 'small_market.toml'}"
seed = 3
replicates = REPLICATES
months = 5
set = ["market.engineers=400"]

[[parameters]]
key = "compute.threshold"
min = 1000
max = 100000
steps = 3
scale = "log"
label = "GPU threshold in $\\\\frac{{a$ (H100s)"

[[measures]]
column = "top_share_above_threshold"
label = "{LONG}"

[[measures]]
column = "top_hhi"
keep = "series"
"""


def write(tmp: Path, replicates: int) -> Path:
    path = tmp / f"sweep{replicates}.toml"
    path.write_text(SWEEP.replace("REPLICATES", str(replicates)))
    return path


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """The sweep run by the command line with --set, as a user runs it: (folder, stdout,
    stderr)."""
    tmp = tmp_path_factory.mktemp("finish")
    out = tmp / "out"
    err, std = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
        status = cli.main(["sweep", str(write(tmp, 2)), "--workers", "1", "--quiet",
                           "--out", str(out), "--set", "market.engineers=300"])
    assert status == 0, err.getvalue()
    return out, std.getvalue(), err.getvalue()


def test_sweep_draws_its_plots_and_applies_set(swept):
    folder, stdout, stderr = swept
    pngs = sorted(p.name for p in folder.glob("*.png"))
    assert pngs == ["response_top_hhi.png", "response_top_share_above_threshold.png",
                    "series_top_hhi.png"]
    assert stdout.strip().splitlines()[-1] == str(folder)
    assert f"next: talentwar report {folder}" in stderr
    assert "one replicate" not in stderr
    manifest = json.loads((folder / "sweep.json").read_text())
    # --set comes after the file's set, wins over it, and is recorded
    assert manifest["sweep"]["set"][-1] == "market.engineers=300"
    assert load_plan(folder).base["market"]["engineers"] == 300


def test_no_plots_and_one_replicate_warning(tmp_path, capsys):
    out = tmp_path / "one"
    assert cli.main(["sweep", str(write(tmp_path, 1)), "--workers", "1", "--quiet",
                     "--out", str(out), "--no-plots"]) == 0
    err = capsys.readouterr().err
    assert not list(out.glob("*.png"))
    assert "one replicate per design point: simulation noise cannot be measured" in err
    html = sweep_report(out)
    assert "One replicate." in html
    assert f"talentwar plot {out}" in html  # names the command where plots are missing


def test_sweep_set_errors_name_the_key(tmp_path, capsys):
    out = tmp_path / "bad"
    assert cli.main(["sweep", str(write(tmp_path, 2)), "--out", str(out),
                     "--set", "market.enginers=300"]) == 2
    err = capsys.readouterr().err
    assert "market.enginers" in err and "Traceback" not in err
    assert not out.exists()


def test_response_table_is_the_mean_and_t_interval_per_value(swept):
    from scipy import stats  # imported by the tests that compare with it only (1-2 s)

    folder, _, _ = swept
    table = response_table(folder)
    scalars = run_scalars(folder)
    rows = table[table["measure"] == "top_share_above_threshold"]
    assert sorted(rows["value"]) == pytest.approx([1000, 10000, 100000])
    for _, row in rows.iterrows():
        x = scalars.loc[scalars["compute.threshold"] == row["value"],
                        "top_share_above_threshold"].to_numpy(float)
        assert row["runs"] == len(x) == 2
        assert row["mean"] == pytest.approx(x.mean())
        half = stats.t.ppf(0.975, 1) * x.std(ddof=1) / np.sqrt(2)
        assert row["ci_high"] - row["mean"] == pytest.approx(half)
        assert row["mean"] - row["ci_low"] == pytest.approx(half)


def test_report_has_the_response_table_not_statistics_of_ids(swept):
    folder, _, _ = swept
    html = sweep_report(folder)
    assert ">Response</h2>" in html and "talentwar sweep report: finish" in html
    assert "GPU threshold in $\\frac{a$ (H100s)" in html  # the label, as written
    assert "<td>10,000</td>" in html and "<td>1,000</td>" in html
    # no describe() of run ids and seeds
    assert "<td>seed</td>" not in html and "<td>run_id</td>" not in html
    # fractions at three decimals, one precision for the mean and both ends of its interval
    table = response_table(folder)
    row = table[table["measure"] == "top_share_above_threshold"].iloc[0]
    assert (f"<td>{row['mean']:.3f}</td><td>[{row['ci_low']:.3f}, {row['ci_high']:.3f}]</td>"
            in html)


def _drawn(fig: plt.Figure):
    with plain_text(fig):  # as save() draws it
        fig.canvas.draw()
    return fig.canvas.get_renderer()


def test_labels_fit_and_are_text_and_fraction_bands_stay_in_0_1(swept):
    folder, _, _ = swept
    plan = load_plan(folder)
    p = plan.spec.parameters[0]
    share, hhi = plan.spec.measures
    scalars = run_scalars(folder, plan)
    # replicates far apart near 1: the t band of 2 replicates reaches past 1 unless clipped
    scalars["top_share_above_threshold"] = np.tile([0.9, 1.0, 0.2], 2)[:len(scalars)]
    scalars.loc[scalars["replicate"] == 1, "top_share_above_threshold"] = [0.2, 0.5, 1.0]
    fig = plot_response(plan, scalars, p, share)
    renderer = _drawn(fig)
    ax = fig.axes[0]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert bands
    for band in bands:
        ys = np.concatenate([path.vertices[:, 1] for path in band.get_paths()])
        assert ys.min() >= 0 and ys.max() <= 1
    label = ax.yaxis.label
    assert label.get_window_extent(renderer).height <= ax.get_window_extent(renderer).height
    assert "$ of nothing" in label.get_text().replace("\n", " ")
    plt.close(fig)
    fig = plot_series(plan, folder, p, hhi)
    renderer = _drawn(fig)
    ax = fig.axes[0]
    legend = ax.get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    assert any("10,000" in t for t in texts) and not any("e+" in t for t in texts)
    # beside the axes: it covers no line
    assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1
    plt.close(fig)
