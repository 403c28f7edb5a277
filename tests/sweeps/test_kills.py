"""Kills and resumes (issue 12): a ``--workers 2`` sweep killed with SIGKILL at random
points (seeded), resumed each time, and a worker killed mid-run, ends with the tables of an
uninterrupted sweep: no run lost, none duplicated. The sweep's runs fail now and then with
errors of several lines, and one parameter is a string holding a newline."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.sweeps.run import resume_sweep, run_sweep
from tests.sweeps import killable
from tests.sweeps.common import GRID, ROOT, fail_runs, read_recorded, same_results, write

KILL_SWEEP = GRID.replace("market.engineers=400", "market.engineers=5000").replace(
    "replicates = 2", "replicates = 10").replace(
    'key = "compute.response"\nvalues = ["sharp", "smooth"]',
    'key = "description"\nvalues = ["plain", "two\\nlines, \\"quoted\\""]')
TOTAL = 60
ENTRY = [sys.executable, "-m", "tests.sweeps.killable"]


def _start(argv: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([*ENTRY, *argv], env=env, cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for(out: Path, proc: subprocess.Popen[bytes], count: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while (len(read_recorded(out)) < count and proc.poll() is None
           and time.monotonic() < deadline):
        time.sleep(0.005)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_kills_and_resumes_lose_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fail_runs(monkeypatch, killable.fail_some)  # in force for the reference and the last resume
    path = write(tmp_path, KILL_SWEEP)
    reference = tmp_path / "reference"
    summary = run_sweep(path, out=reference, workers=2, progress=False)
    assert (summary.total, summary.failed) == (TOTAL, 9)

    out = tmp_path / "killed"
    rng = random.Random(20240601)
    resume = ["sweep", "--resume", str(out), "--workers", "2", "--quiet"]
    kills = []
    for argv in (["sweep", str(path), "--out", str(out), "--workers", "2", "--quiet"],
                 resume, resume, resume):
        before = len(read_recorded(out))
        proc = _start(argv)
        _wait_for(out, proc, before + rng.randint(1, 12))
        time.sleep(rng.uniform(0, 0.04))  # now and then mid-write
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        recorded = len(read_recorded(out))
        assert before < recorded < TOTAL, "each kill should land mid-sweep"
        kills.append(recorded)
        assert json.loads((out / "status.json").read_text())["complete"] is False

    # a worker killed mid-run: that run is recorded as failed, the sweep goes on
    proc = _start(resume)
    _wait_for(out, proc, kills[-1] + 2)
    workers = _children(proc.pid)
    assert workers, "the sweep should have worker processes"
    os.kill(workers[0], signal.SIGKILL)
    assert proc.wait(timeout=60) == 1  # finished, with failed runs
    runs = pd.read_csv(out / "runs.csv", keep_default_na=False)
    died = runs[runs["error"].str.startswith("WorkerDied")]
    assert len(runs) == TOTAL and len(died) == 1, runs["error"].unique()
    assert "killed by SIGKILL" in died["error"].iloc[0]

    summary = resume_sweep(out, workers=2, progress=False, retry_failed=True)
    assert (summary.done, summary.failed) == (TOTAL - 9, 9)
    same_results(reference, out)
    assert json.loads((out / "status.json").read_text())["complete"] is True
