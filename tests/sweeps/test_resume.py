"""Resuming a sweep folder after an interrupt, a kill or failed runs gives the results of an
uninterrupted sweep."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.sweeps.run import resume_sweep, run_sweep
from tests.sweeps.common import (
    GRID,
    ROOT,
    cli,
    fail_runs,
    read_recorded,
    same_results,
    write,
)


def test_resume_after_interrupt_gives_the_uninterrupted_results(
        serial_grid: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "int"

    def interrupt(run_id: int) -> None:
        if run_id == 5:
            raise KeyboardInterrupt

    fail_runs(monkeypatch, interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(write(tmp_path, GRID), out=out, workers=1, progress=False)
    assert sorted(read_recorded(out)) == [0, 1, 2, 3, 4]
    # a crash mid-write: measure rows of an unrecorded run and a torn runs.csv line
    with (out / "measures.csv").open("a") as handle:
        handle.write("7,0,0.5,0.5,0.5\n7,1,0.5")
    with (out / "runs.csv").open("a") as handle:
        handle.write("7,3,1,123,1000")
    fail_runs(monkeypatch, None)
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
    def fail(run_id: int) -> None:
        if run_id in (2, 9):
            raise RuntimeError(f"boom in run {run_id}")

    fail_runs(monkeypatch, fail)  # set before the worker processes fork
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
    fail_runs(monkeypatch, None)
    assert resume_sweep(out, progress=False).ran == 0
    assert resume_sweep(out, progress=False, retry_failed=True).ran == 2
    same_results(serial_grid, out)


@pytest.mark.parametrize("damage", ["last newline", "rows of a run"])
def test_a_done_run_with_measure_rows_missing_is_run_again(
        serial_grid: Path, tmp_path: Path, damage: str,
        caplog: pytest.LogCaptureFixture) -> None:
    # measures.csv loses its final newline (its last record is then torn and dropped), or
    # a run's block loses rows: the run is recorded done but holds fewer rows than its
    # months give; the resume runs it again instead of marking the sweep complete without
    # them.
    out = tmp_path / "short"
    shutil.copytree(serial_grid, out)
    path = out / "measures.csv"
    text = path.read_text()
    if damage == "last newline":
        path.write_text(text[:-1])
        victim = int(text.splitlines()[-1].split(",")[0])
    else:
        lines = text.splitlines(keepends=True)
        victim = 3
        rows = [k for k, line in enumerate(lines) if line.startswith(f"{victim},")]
        del lines[rows[2]]  # a row in the middle of run 3's block
        path.write_text("".join(lines))
    summary = resume_sweep(out, progress=False)
    assert summary.ran == 1 and summary.done == 12
    assert f"run(s) {victim} have fewer measure rows" in caplog.text
    same_results(serial_grid, out)
