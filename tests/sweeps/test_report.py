"""``talentwar report SWEEP_DIR``: one self-contained HTML file of a sweep folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import cli
from sim.sweeps.plots import plot_sweep
from sim.sweeps.report import write_sweep_report
from sim.sweeps.run import run_sweep
from tests.conftest import SCENARIOS
from tests.output.test_report import (
    assert_displayed,
    assert_self_contained,
    embedded_pngs,
)

SWEEP = f"""
name = "threshold_sweep"
base = "{SCENARIOS / 'sweeps' / 'small_market.toml'}"
seed = 7
months = 6
set = ["market.engineers=300"]

[design]
kind = "morris"
samples = 4
levels = 4
resamples = 50

[[parameters]]
key = "compute.threshold"
min = 1000
max = 100000
scale = "log"

[[parameters]]
key = "choice.noise"
min = 0.1
max = 1.0

[[measures]]
column = "top_hhi"
"""


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small Morris sweep, run and plotted as ``talentwar sweep`` and ``plot`` do."""
    root = tmp_path_factory.mktemp("sweep")
    path = root / "sweep.toml"
    path.write_text(SWEEP)
    folder = root / "out"
    run_sweep(path, out=folder, workers=1, progress=False)
    plot_sweep(folder)
    return folder


def test_sweep_report(sweep):
    path = write_sweep_report(sweep)
    assert path == sweep / "report.html"
    text = path.read_text()
    assert_self_contained(text)
    pngs = sorted(sweep.glob("*.png"))
    assert pngs and sorted(embedded_pngs(text)) == sorted(p.read_bytes() for p in pngs)
    assert "threshold_sweep" in text
    runs = pd.read_csv(sweep / "runs.csv")
    assert f"{len(runs)} rows" in text  # runs.csv summary
    sensitivity = pd.read_csv(sweep / "sensitivity.csv")
    assert set(sensitivity["parameter"]) == {"compute.threshold", "choice.noise"}
    assert "mu_star" in text and "choice.noise" in text  # the sensitivity table
    assert "&quot;compute.threshold&quot;" in text  # sweep.json


def test_cli_reports_a_sweep_alone_and_refuses_it_among_runs(two_tier_runs, sweep, tmp_path,
                                                             capsys):
    out = tmp_path / "sweep.html"
    assert cli.main(["report", str(sweep), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert "talentwar sweep report: " in out.read_text()
    a = two_tier_runs[0]
    assert cli.main(["report", "--compare", str(a), str(sweep),
                     "--out", str(tmp_path / "x.html")]) == 2
    assert "sweep folder cannot be compared" in capsys.readouterr().err
    assert cli.main(["report", "--compare", str(tmp_path / "missing"), str(sweep)]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_browser_displays_sweep_report(sweep, tmp_path, page_browser):
    assert_displayed(write_sweep_report(sweep, tmp_path / "sweep.html"), page_browser,
                     key_table=False)


def test_morris_is_drawn_as_the_mu_star_sigma_plane(sweep):
    from sim.sweeps.plan import load_plan
    from sim.sweeps.plots import plot_indices

    plan = load_plan(sweep)
    table = pd.read_csv(sweep / "sensitivity.csv")
    fig = plot_indices(plan, table, plan.spec.measures[0])
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("mu*") and ax.get_ylabel().startswith("sigma")
    # One point per parameter, at (mu*, sigma) as the table gives them.
    mu = table.query("index == 'mu_star'").set_index("parameter")["value"]
    sigma = table.query("index == 'sigma'").set_index("parameter")["value"]
    points = {tuple(np.round(line.get_xydata()[0], 6)) for line in ax.lines
              if len(line.get_xydata()) == 1}
    expected = {(round(mu[p], 6), round(sigma[p], 6)) for p in mu.index}
    assert expected <= points
