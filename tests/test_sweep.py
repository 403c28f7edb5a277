"""Tests of parameter sweeps: designs, seeds, execution backends, resume, failures, errors,
sensitivity analysis and plots. Tiny markets (400 engineers, 8 months) keep them fast."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.cli
from sim.errors import UserError
from sim.model import TalentMarket
from sim.scenario import load_scenario
from sim.sweeps import worker
from sim.sweeps.analysis import point_means, run_scalars, sensitivity
from sim.sweeps.designs import design_matrix, design_points
from sim.sweeps.run import plan_sweep, resume_sweep, run_sweep
from sim.sweeps.spec import SweepSpec, parse_sweep
from sim.sweeps.store import read_recorded
from sim.sweeps.worker import RunTask, execute_run

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "sweeps" / "small_market.toml"
HEADER = f'''
base = "{BASE}"
seed = 42
months = 8
set = ["market.engineers=400"]
'''
MEASURES = '''
[[measures]]
column = "top_share_above_threshold"

[[measures]]
column = "unemployment_rate"
keep = "series"

[[measures]]
column = "top_hhi"
keep = "mean"
window = [4, 8]
'''
GRID = HEADER + '''
name = "grid"
replicates = 2

[[parameters]]
key = "compute.threshold"
min = 1000
max = 100000
steps = 3
scale = "log"

[[parameters]]
key = "compute.response"
values = ["sharp", "smooth"]
''' + MEASURES


def write(tmp_path: Path, text: str, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path




def cli(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    """``talentwar ARGV`` in this process; returns the exit status."""
    return sim.cli.main(argv)


def table(folder: Path, name: str) -> pd.DataFrame:
    """A sweep table sorted by run (and month), without wall times."""
    frame = pd.read_csv(folder / name, keep_default_na=False, dtype=str)
    frame = frame.drop(columns=["wall_time"], errors="ignore")
    keys = ["run_id", "month"] if "month" in frame else ["run_id"]
    frame[keys] = frame[keys].astype(int)
    return frame.sort_values(keys).reset_index(drop=True)


def same_results(a: Path, b: Path) -> None:
    pd.testing.assert_frame_equal(table(a, "runs.csv"), table(b, "runs.csv"))
    pd.testing.assert_frame_equal(table(a, "measures.csv"), table(b, "measures.csv"))


@pytest.fixture(scope="module")
def serial_grid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("serial")
    out = tmp / "out"
    run_sweep(write(tmp, GRID), out=out, workers=1, progress=False)
    return out


@pytest.fixture(autouse=True)
def _no_hook():
    yield
    worker.RUN_HOOK = None


# --------------------------------------------------------------------------- designs


def spec(text: str) -> SweepSpec:
    import tomllib

    return parse_sweep(tomllib.loads(text), "test")


def test_grid_size_order_and_log_spacing() -> None:
    s = spec(GRID)
    points = design_points(s)
    assert len(points) == 3 * 2
    # the first parameter varies slowest; log steps are geometric with exact ends
    assert [p["compute.threshold"] for p in points[::2]] == pytest.approx([1e3, 1e4, 1e5])
    assert points[0]["compute.threshold"] == 1000.0 and points[-1]["compute.threshold"] == 1e5
    assert [p["compute.response"] for p in points[:2]] == ["sharp", "smooth"]


def test_latin_hypercube_is_stratified() -> None:
    n = 20
    s = spec(HEADER + f'''
[design]
kind = "latin"
samples = {n}
[[parameters]]
key = "choice.noise"
min = 0.0
max = 2.0
[[parameters]]
key = "compute.threshold"
min = 1000
max = 100000
scale = "log"
[[parameters]]
key = "compute.response"
values = ["sharp", "smooth"]
''' + MEASURES)
    points = design_points(s)
    assert len(points) == n
    noise = np.array([p["choice.noise"] for p in points])
    log_t = np.log10([p["compute.threshold"] for p in points])
    # every one of the n equal strata of each range holds exactly one point
    for values, low, high in ((noise, 0.0, 2.0), (log_t, 3.0, 5.0)):
        strata = np.floor((values - low) / (high - low) * n).astype(int)
        assert sorted(strata) == list(range(n))
    # a categorical parameter of k values gets n/k points each
    assert sum(p["compute.response"] == "sharp" for p in points) == n // 2


def test_sobol_and_morris_sample_sizes() -> None:
    params = '''
[[parameters]]
key = "tiers.top.weights.gpu"
min = 0.0
max = 3.0
[[parameters]]
key = "tiers.top.weights.pay"
min = 0.5
max = 2.0
[[parameters]]
key = "choice.noise"
min = 0.1
max = 1.0
'''
    sobol = spec(HEADER + '[design]\nkind = "sobol"\nsamples = 16\n' + params + MEASURES)
    assert len(design_points(sobol)) == 16 * (3 + 2)
    second = spec(HEADER + '[design]\nkind = "sobol"\nsamples = 16\nsecond_order = true\n'
                  + params + MEASURES)
    assert len(design_points(second)) == 16 * (2 * 3 + 2)
    morris = spec(HEADER + '[design]\nkind = "morris"\nsamples = 5\nlevels = 4\n'
                  + params + MEASURES)
    x = design_matrix(morris)
    assert x.shape == (5 * (3 + 1), 3)
    # within a trajectory, consecutive points differ in exactly one parameter
    for t in range(5):
        steps = np.diff(x[t * 4:(t + 1) * 4], axis=0)
        assert ((np.abs(steps) > 1e-12).sum(axis=1) == 1).all()


def test_random_design_is_reproducible_and_within_bounds() -> None:
    text = HEADER + '''
[design]
kind = "random"
samples = 50
[[parameters]]
key = "choice.noise"
min = 0.2
max = 0.4
[[parameters]]
key = "firms.megacorp.outreach"
min = 0
max = 9
integer = true
''' + MEASURES
    a, b = design_points(spec(text)), design_points(spec(text))
    assert a == b
    other = design_points(spec(text.replace("seed = 42", "seed = 43")))
    assert a != other
    assert all(0.2 <= p["choice.noise"] <= 0.4 for p in a)
    assert all(isinstance(p["firms.megacorp.outreach"], int) for p in a)
    assert {p["firms.megacorp.outreach"] for p in a} <= set(range(10))


# --------------------------------------------------------------------------- seeds and runs


def test_seeds_follow_seed_sequence_and_reproduce_runs(serial_grid: Path) -> None:
    runs = pd.read_csv(serial_grid / "runs.csv")
    assert (runs["status"] == "done").all() and len(runs) == 12
    expected = [int(np.random.SeedSequence(42, spawn_key=(i,)).generate_state(1, np.uint32)[0])
                for i in runs["run_id"]]
    assert runs["seed"].tolist() == expected
    assert runs["run_id"].tolist() == (runs["point"] * 2 + runs["replicate"]).tolist()
    assert runs["seed"].nunique() == len(runs)
    # run 5 again as `talentwar run BASE --seed S --set ...` would
    text = pd.read_csv(serial_grid / "runs.csv", dtype=str).set_index("run_id").loc["5"]
    row = runs[runs["run_id"] == 5].iloc[0]
    overrides = ["market.engineers=400", "months=8",
                 f"compute.threshold={text['compute.threshold']}",
                 f'compute.response="{row["compute.response"]}"']
    model = TalentMarket(load_scenario(BASE, overrides), seed=int(row["seed"]))
    model.run()
    kept = pd.read_csv(serial_grid / "measures.csv")
    kept = kept[kept["run_id"] == 5].set_index("month")
    assert kept["unemployment_rate"].tolist() == model.market["unemployment_rate"].tolist()
    assert kept.loc[8, "top_share_above_threshold"] == \
        model.market["top_share_above_threshold"].iloc[-1]
    assert kept.loc[8, "top_hhi_mean"] == pytest.approx(
        model.market["top_hhi"].iloc[4:9].mean(), rel=1e-15)


def test_tidy_table_layout(serial_grid: Path) -> None:
    kept = pd.read_csv(serial_grid / "measures.csv")
    assert list(kept.columns) == ["run_id", "month", "top_share_above_threshold",
                                  "unemployment_rate", "top_hhi_mean"]
    assert len(kept) == 12 * 9  # series measure: months 0..8 for each run
    # final and window-mean measures sit in the last month's row only
    early = kept.loc[kept.month < 8, ["top_share_above_threshold", "top_hhi_mean"]]
    assert early.isna().all().all()
    assert kept.loc[kept.month == 8, "top_share_above_threshold"].notna().all()


def test_two_workers_give_the_serial_results(serial_grid: Path, tmp_path: Path) -> None:
    out = tmp_path / "par"
    summary = run_sweep(write(tmp_path, GRID), out=out, workers=2, progress=False)
    assert (summary.done, summary.failed) == (12, 0)
    same_results(serial_grid, out)


def test_resume_after_interrupt_gives_the_uninterrupted_results(
        serial_grid: Path, tmp_path: Path) -> None:
    out = tmp_path / "int"

    def interrupt(task: RunTask) -> None:
        if task.run_id == 5:
            raise KeyboardInterrupt

    worker.RUN_HOOK = interrupt
    with pytest.raises(KeyboardInterrupt):
        run_sweep(write(tmp_path, GRID), out=out, workers=1, progress=False)
    assert sorted(read_recorded(out)) == [0, 1, 2, 3, 4]
    # a crash mid-write: measure rows of an unrecorded run and a torn runs.csv line
    with (out / "measures.csv").open("a") as handle:
        handle.write("7,0,0.5,0.5,0.5\n7,1,0.5")
    with (out / "runs.csv").open("a") as handle:
        handle.write("7,3,1,123,1000")
    worker.RUN_HOOK = None
    summary = resume_sweep(out, workers=2, progress=False)
    assert (summary.ran, summary.done) == (7, 12)
    same_results(serial_grid, out)
    # resuming a complete sweep runs nothing and changes nothing
    assert resume_sweep(out, progress=False).ran == 0
    same_results(serial_grid, out)


def test_resume_after_kill(serial_grid: Path, tmp_path: Path) -> None:
    slow = GRID.replace("market.engineers=400", "market.engineers=3000").replace(
        "replicates = 2", "replicates = 8")
    path = write(tmp_path, slow)
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out),
                             "--workers", "2", "--quiet"], env=env, cwd=ROOT,
                            start_new_session=True, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while len(read_recorded(out)) < 6 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    recorded = len(read_recorded(out))
    assert 6 <= recorded < 48, "the kill should land mid-sweep"
    summary = resume_sweep(out, workers=2, progress=False)
    assert summary.done == 48 and summary.ran == 48 - recorded
    reference = tmp_path / "reference"
    run_sweep(path, out=reference, workers=2, progress=False)
    same_results(reference, out)


def test_failed_runs_are_recorded_and_the_sweep_goes_on(
        serial_grid: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(task: RunTask) -> None:
        if task.run_id in (2, 9):
            raise RuntimeError(f"boom in run {task.run_id}")

    worker.RUN_HOOK = fail  # set before the worker processes fork
    out = tmp_path / "failing"
    status = cli(["sweep", str(write(tmp_path, GRID)), "--out", str(out), "--workers", "2",
                  "--quiet"], monkeypatch)
    assert status == 1  # finished, with failures
    runs = pd.read_csv(out / "runs.csv", keep_default_na=False).set_index("run_id")
    assert sorted(runs.index[runs.status == "failed"]) == [2, 9]
    assert runs.loc[9, "error"].startswith("RuntimeError: boom in run 9")
    assert (runs.loc[runs.status == "done", "error"] == "").all()
    kept = pd.read_csv(out / "measures.csv")
    assert set(kept.run_id) == set(range(12)) - {2, 9}
    # a plain resume keeps failures; --retry-failed reruns them
    worker.RUN_HOOK = None
    assert resume_sweep(out, progress=False).ran == 0
    assert resume_sweep(out, progress=False, retry_failed=True).ran == 2
    same_results(serial_grid, out)


def test_dask_local_cluster_gives_the_serial_results(
        serial_grid: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    out = tmp_path / "dask"
    status = cli(["sweep", str(write(tmp_path, GRID)), "--out", str(out), "--dask", "local",
                  "--workers", "2", "--quiet"], monkeypatch)
    assert status == 0
    same_results(serial_grid, out)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("change", "expected"), [
    (("replicates = 2", "replicate = 2"), "replicate: unknown key"),
    (('key = "compute.threshold"', 'key = "compute.treshold"'), "compute.treshold"),
    (('values = ["sharp", "smooth"]', 'values = ["sharp", "blunt"]'), "compute.response"),
    (('column = "top_hhi"', 'column = "top_hhhi"'), "measures[2].column"),
    (("window = [4, 8]", "window = [4, 80]"), "measures[2].window"),
    (("steps = 3", ""), "needs steps or values"),
    (("min = 1000", "min = -5"), "log"),
    (('seed = 42', 'seed = "x"'), "seed"),
    (('key = "compute.threshold"', 'key = "seed"'), "use replicates"),
])
def test_bad_sweep_files_are_user_errors_and_write_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture,
        change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in GRID
    path = write(tmp_path, GRID.replace(old, new, 1))
    with pytest.raises(UserError) as err:
        plan_sweep(path)
    assert str(path) in str(err.value) and expected in str(err.value)
    out = tmp_path / "out"
    assert cli(["sweep", str(path), "--out", str(out), "--quiet"], monkeypatch) == 2
    message = capsys.readouterr().err
    assert expected in message and "Traceback" not in message
    assert not out.exists()


def test_bad_sobol_samples_and_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture) -> None:
    path = write(tmp_path, GRID.replace("replicates = 2",
                                        'replicates = 2\n[design]\nkind = "sobol"\nsamples = 10'))
    with pytest.raises(UserError, match=r"design.*power of 2"):
        plan_sweep(path)
    good = write(tmp_path, GRID, "good.toml")
    for workers in ("0", "two"):
        assert cli(["sweep", str(good), "--workers", workers, "--out", str(tmp_path / "o")],
                   monkeypatch) == 2
        assert "--workers" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    with pytest.raises(UserError, match="not a sweep folder"):
        resume_sweep(tmp_path)


# --------------------------------------------------------------------------- analysis, plots


def test_confidence_interval_formula(serial_grid: Path) -> None:
    scalars = run_scalars(serial_grid)
    stats = point_means(scalars, "top_hhi_mean", ["compute.threshold"], 0.95).set_index("point")
    values = scalars[scalars.point == 3]["top_hhi_mean"].to_numpy()
    from scipy import stats as st

    half = st.t.ppf(0.975, 1) * values.std(ddof=1) / np.sqrt(2)
    assert stats.loc[3, "mean"] == pytest.approx(values.mean())
    assert stats.loc[3, "half_width"] == pytest.approx(half)


SENSITIVITY = HEADER + '''
name = "sens"
[design]
kind = "{kind}"
samples = {samples}

[[parameters]]
key = "compute.threshold"
min = 1000
max = 300000
scale = "log"

[[parameters]]
key = "firms.enterprise_b.cash"
min = 1e6
max = 1e9

[[measures]]
column = "top_share_above_threshold"
'''


@pytest.mark.parametrize(("kind", "samples", "index"), [("sobol", 32, "ST"),
                                                        ("morris", 10, "mu_star")])
def test_sensitivity_ranks_an_influential_above_an_inert_parameter(
        tmp_path: Path, kind: str, samples: int, index: str) -> None:
    """The GPU threshold decides which firms count as above it, so it moves the measure;
    a firm's cash (any positive amount) is inert, so only the run-to-run noise of different
    seeds gives it a (small) index. The confidence intervals must not overlap (checked to
    hold with margin for root seeds 42, 1 and 2)."""
    out = tmp_path / kind
    run_sweep(write(tmp_path, SENSITIVITY.format(kind=kind, samples=samples)), out=out,
                    workers=2, progress=False)
    table = pd.read_csv(out / "sensitivity.csv")
    assert list(table.columns) == ["measure", "parameter", "index", "value", "confidence"]
    pd.testing.assert_frame_equal(table, sensitivity(out), check_exact=False)
    rows = table[table["index"] == index].set_index("parameter")
    threshold, cash = rows.loc["compute.threshold"], rows.loc["firms.enterprise_b.cash"]
    assert threshold.value - threshold.confidence > cash.value + cash.confidence
    if kind == "sobol":
        assert threshold.value > 0.5


def test_plots_fit_the_design(serial_grid: Path, tmp_path: Path) -> None:
    from sim.sweeps.plots import plot_sweep

    one = tmp_path / "one"
    text = GRID.replace('values = ["sharp", "smooth"]', 'values = ["smooth"]')
    run_sweep(write(tmp_path, text), out=one, workers=1, progress=False)
    sobol = tmp_path / "sobol"
    run_sweep(write(tmp_path, SENSITIVITY.format(kind="sobol", samples=8), "s.toml"),
                    out=sobol, workers=1, progress=False)
    expected = {
        one: {"response_top_share_above_threshold.png", "response_unemployment_rate.png",
              "response_top_hhi_mean.png", "series_unemployment_rate.png"},
        serial_grid: {"heatmap_top_share_above_threshold.png", "heatmap_unemployment_rate.png",
                      "heatmap_top_hhi_mean.png"},
        sobol: {"sobol_top_share_above_threshold.png"},
    }
    for folder, names in expected.items():
        paths = plot_sweep(folder)
        assert {p.name for p in paths} == names
        for p in paths:
            assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000
        assert not [p for p in folder.iterdir() if p.name.startswith(".")]


def test_sweep_json_records_the_design(serial_grid: Path) -> None:
    import json

    manifest = json.loads((serial_grid / "sweep.json").read_text())
    assert manifest["design"]["runs"] == 12 and len(manifest["design"]["points"]) == 6
    assert manifest["sweep"]["seed"] == 42
    assert manifest["base_scenario"]["market"]["engineers"] == 400
    assert "numpy" in manifest["versions"]
    with (serial_grid / "runs.csv").open() as handle:
        header = next(csv.reader(handle))
    assert header == ["run_id", "point", "replicate", "seed", "compute.threshold",
                      "compute.response", "status", "wall_time", "error"]


@pytest.mark.parametrize(("name", "runs"), [("gpu_threshold", 9 * 20),
                                            ("sobol_preferences", 128 * 6 * 2)])
def test_example_sweeps_are_valid(name: str, runs: int) -> None:
    plan = plan_sweep(ROOT / "scenarios" / "sweeps" / f"{name}.toml")
    assert plan.total == runs


def test_workers_do_not_keep_finished_models(tmp_path: Path) -> None:
    """Mesa 3.3 keeps every model in ``mesa.Agent._ids`` (Mesa #3179); a worker running
    thousands of runs must not, so ``execute_run`` drops it."""
    import gc

    import mesa

    def live_models() -> int:
        gc.collect()
        return sum(isinstance(o, TalentMarket) for o in gc.get_objects())

    plan = plan_sweep(write(tmp_path, GRID))
    job = plan.job()
    before, registered = live_models(), len(getattr(mesa.Agent, "_ids", {}))
    for task in list(plan.tasks())[:5]:
        assert execute_run(task, job).status == "done"
    assert live_models() == before
    assert len(getattr(mesa.Agent, "_ids", {})) == registered


def test_unreachable_dask_scheduler_is_a_user_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    status = cli(["sweep", str(write(tmp_path, GRID)), "--out", str(out), "--quiet",
                  "--dask", "tcp://127.0.0.1:9"], monkeypatch)
    assert status == 2
    assert "--dask tcp://127.0.0.1:9" in capsys.readouterr().err
    assert not out.exists()
