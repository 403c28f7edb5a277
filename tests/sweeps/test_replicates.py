"""``talentwar run --replicates N``: seeds, the replicate folder, determinism across
workers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim import cli
from sim.errors import UserError
from sim.output.replicates import mean_interval
from sim.output.rundir import RunFolder
from sim.scenario import load_scenario
from sim.sweeps.designs import run_seed
from sim.sweeps.replicates import run_replicates
from tests.conftest import TWO_TIER_SCENARIO

N = 3


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("scenario") / "two_tier.toml"
    path.write_text(TWO_TIER_SCENARIO)
    return path


@pytest.fixture(scope="module")
def serial_and_parallel(scenario_file, tmp_path_factory):
    root = tmp_path_factory.mktemp("reps")
    scenario = load_scenario(scenario_file, ["months=5"])
    one = run_replicates(scenario, N, seed=11, out=root / "one", workers=1,
                         engineers="none", progress=False)
    two = run_replicates(scenario, N, seed=11, out=root / "two", workers=2,
                         engineers="none", progress=False)
    return one, two


def test_folder_layout_and_seeds(serial_and_parallel):
    one, _ = serial_and_parallel
    manifest = json.loads((one / "manifest.json").read_text())
    assert manifest["kind"] == "replicates"
    assert manifest["seed"] == 11 and manifest["replicates"] == N
    assert manifest["seeds"] == [run_seed(11, i) for i in range(N)]
    assert len(set(manifest["seeds"])) == N
    for i, seed in enumerate(manifest["seeds"]):
        run = RunFolder.finished(one / f"rep-{i:03d}")  # a normal run folder
        assert run.seed == seed
    assert not list(one.parent.glob(".*incomplete*"))


def test_same_seeds_same_files_at_any_worker_count(serial_and_parallel):
    one, two = serial_and_parallel
    assert (one / "summary.csv").read_bytes() == (two / "summary.csv").read_bytes()
    for i in range(N):
        for name in ("market.csv", "firms.csv", "flows.csv", "deals.csv"):
            rep = f"rep-{i:03d}"
            assert (one / rep / name).read_bytes() == (two / rep / name).read_bytes(), name


def test_summary_is_mean_sd_and_t_interval(serial_and_parallel):
    one, _ = serial_and_parallel
    summary = pd.read_csv(one / "summary.csv")
    assert list(summary.columns) == ["month", "measure", "replicates", "mean", "std",
                                     "ci_low", "ci_high"]
    markets = [pd.read_csv(one / f"rep-{i:03d}" / "market.csv") for i in range(N)]
    assert set(summary["month"]) == set(markets[0]["month"])
    values = np.array([m["unemployment_rate"].iloc[-1] for m in markets])
    row = summary[(summary["month"] == markets[0]["month"].iloc[-1])
                  & (summary["measure"] == "unemployment_rate")].iloc[0]
    _, _, low, high = mean_interval(values)
    assert row["mean"] == pytest.approx(values.mean())
    assert row["std"] == pytest.approx(values.std(ddof=1))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
    assert row["replicates"] == N


def test_cli_run_replicates_prints_the_folder(scenario_file, tmp_path, capsys):
    out = tmp_path / "reps"
    status = cli.main(["run", str(scenario_file), "--replicates", "2", "--months", "3",
                       "--out", str(out), "--quiet", "--engineers", "none", "--no-plots"])
    assert status == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert (out / "summary.csv").is_file() and (out / "rep-001" / "market.csv").is_file()
    assert not list(out.glob("*.png"))


def test_cli_run_replicates_draws_the_bands(scenario_file, tmp_path, capsys):
    out = tmp_path / "reps"
    status = cli.main(["run", str(scenario_file), "--replicates", "2", "--months", "3",
                       "--out", str(out), "--quiet", "--engineers", "none"])
    assert status == 0
    assert capsys.readouterr().out.split() == [str(out)]  # the folder alone
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["replicate_market.png", "replicate_top_share.png"]


def test_bad_replicate_options(scenario_file, tmp_path, capsys):
    scenario = load_scenario(scenario_file, ["months=2"])
    with pytest.raises(UserError, match="from 2 to") as raised:
        run_replicates(scenario, 1, out=tmp_path / "x", progress=False)
    assert raised.value.option == "replicates"
    assert cli.main(["run", str(scenario_file), "--workers", "2", "--out",
                     str(tmp_path / "y")]) == 2
    assert "--replicates" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_a_failed_replicate_leaves_nothing(scenario_file, tmp_path, monkeypatch):
    from sim.sweeps import replicates

    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("sim.output.run.run_scenario", fail)
    scenario = load_scenario(scenario_file, ["months=2"])
    with pytest.raises(UserError, match=r"replicate 0 .*boom"):
        replicates.run_replicates(scenario, 2, out=tmp_path / "z", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_cli_run_replicates_still_gives_the_folder_when_plots_fail(scenario_file, tmp_path,
                                                                    capsys, monkeypatch):
    import sim.output.replicates as replicates

    def broken(folder):
        raise UserError(f"{folder}/summary.csv: damaged")

    monkeypatch.setattr(replicates, "plot_replicates", broken)
    out = tmp_path / "reps"
    status = cli.main(["run", str(scenario_file), "--replicates", "2", "--months", "3",
                       "--out", str(out), "--quiet", "--engineers", "none"])
    captured = capsys.readouterr()
    assert status == 0
    assert captured.out.strip() == str(out) and (out / "summary.csv").is_file()
    assert "plots not drawn" in captured.err and "damaged" in captured.err


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_cli_run_replicates_interrupted_as_its_plots_are_drawn_says_the_folder_is_there(
        scenario_file, tmp_path, capsys, monkeypatch, signal_name):
    # The replicate folder is in place before its plots are drawn: an interrupt then must
    # not say "nothing incomplete was left behind" (the folder is there, without plots).
    import signal

    import sim.output.replicates as replicates
    from sim.errors import Terminated

    def interrupted(folder):
        raise Terminated() if signal_name == "SIGTERM" else KeyboardInterrupt()

    monkeypatch.setattr(replicates, "plot_replicates", interrupted)
    out = tmp_path / "reps"
    status = cli.main(["run", str(scenario_file), "--replicates", "2", "--months", "3",
                       "--out", str(out), "--quiet", "--engineers", "none"])
    captured = capsys.readouterr()
    assert status == 128 + getattr(signal, signal_name)
    assert (out / "summary.csv").is_file() and not list(out.glob("*.png"))
    assert "nothing incomplete" not in captured.err
    assert f"the replicates are complete in {out}, without plots; draw them with " \
           f"talentwar plot {out}" in captured.err


def test_a_full_disk_under_replicates_is_said_without_hidden_paths(scenario_file, tmp_path,
                                                                   monkeypatch):
    # A replicate that cannot be written fails the whole, naming the system's reason, not
    # the hidden folder being written nor the exception's class and source line.
    from sim.files import WriteError
    from sim.sweeps import replicates

    def full(*args, out, **kwargs):
        raise WriteError(out, "No space left on device")

    monkeypatch.setattr("sim.output.run.run_scenario", full)
    scenario = load_scenario(scenario_file, ["months=2"])
    with pytest.raises(UserError) as raised:
        replicates.run_replicates(scenario, 2, out=tmp_path / "z", progress=False)
    message = str(raised.value)
    assert message.startswith("replicate 0 (seed ") and message.endswith(
        "failed: cannot write its run folder: No space left on device; 1 more failed")
    assert "incomplete" not in message and "WriteError" not in message
    assert list(tmp_path.iterdir()) == []
