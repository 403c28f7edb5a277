"""Runs write complete folders atomically, reproducibly, with manifests and plots."""

import json

import pytest

import sim.output.plots
from sim import load_scenario
from sim.output.run import run_scenario
from tests.conftest import SCENARIOS

DATA_FILES = ("market.csv", "firms.csv", "flows.csv", "deals.csv", "engineers.csv")
PLOTS = ("headcount.png", "pay_by_tier.png", "gpu_vs_top_share.png", "moves_matrix.png",
         "rates.png", "deals.png", "counter_offers.png", "pay_index_layoffs.png",
         "cash_gpus.png")


@pytest.fixture(scope="module")
def flagship_small():
    return load_scenario(SCENARIOS / "ai_talent_war_2024.toml",
                         ["market.engineers=4000", "months=6"])


def test_same_seed_gives_identical_files(tmp_path, flagship_small):
    a = run_scenario(flagship_small, seed=11, out=tmp_path / "a", progress=False, plots=False)
    b = run_scenario(flagship_small, seed=11, out=tmp_path / "b", progress=False, plots=False)
    c = run_scenario(flagship_small, seed=12, out=tmp_path / "c", progress=False, plots=False)
    for name in DATA_FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "market.csv").read_bytes() != (c / "market.csv").read_bytes()


def test_run_folder_has_tables_plots_and_manifest(tmp_results, flagship_small):
    folder = run_scenario(flagship_small, progress=False)
    assert folder.resolve().parent == tmp_results / "results" / "ai_talent_war_2024"
    for name in (*DATA_FILES, *PLOTS, "manifest.json"):
        assert (folder / name).stat().st_size > 0, name
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == flagship_small.seed
    assert manifest["scenario"]["market"]["engineers"] == 4000
    assert {"talentwar", "mesa", "numpy", "python"} <= set(manifest["versions"])
    assert manifest["wall_time_seconds"] > 0 and manifest["started"] <= manifest["finished"]
    for png in PLOTS:
        (folder / png).unlink()
    assert sorted(p.name for p in sim.output.plots.plot_run(folder)) == sorted(PLOTS)


def test_a_failed_run_leaves_nothing_that_looks_complete(tmp_results, flagship_small,
                                                         monkeypatch):
    def broken(folder):
        (folder / "half.png").write_text("half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(sim.output.plots, "plot_run", broken)
    with pytest.raises(RuntimeError):
        run_scenario(flagship_small, progress=False)
    root = tmp_results / "results" / "ai_talent_war_2024"
    assert list(root.iterdir()) == []
