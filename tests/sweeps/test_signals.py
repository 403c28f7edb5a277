"""A sweep process ended by a signal: SIGTERM is handled like Ctrl-C (one line, status 143,
``status.json`` tells how many runs are recorded) and the worker processes never outlive the
sweep process, even when it is killed outright (SIGKILL, the out-of-memory killer)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.files import RunTable
from tests.sweeps.common import GRID, ROOT, read_recorded, write

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc to find the worker processes")

LONG = GRID.replace("market.engineers=400", "market.engineers=5000").replace(
    "replicates = 2", "replicates = 10")


def _start(path: Path, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out), "--workers", "2",
         "--quiet"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)


def _workers_once_running(out: Path, proc: subprocess.Popen[str]) -> list[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        if len(children) >= 2 and read_recorded(out):
            return [int(c) for c in children]
        time.sleep(0.02)
    raise AssertionError("the sweep never got going")


def _gone(pids: list[int], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        alive = [p for p in pids if Path(f"/proc/{p}").exists()
                 and Path(f"/proc/{p}/stat").read_text().split(")")[-1].split()[0] != "Z"]
        if not alive:
            return True
        time.sleep(0.05)
    return False


def _end_group(proc: subprocess.Popen[str]) -> None:
    """Whatever the test found, leave no process of the sweep's session behind."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.communicate(timeout=10)


def test_workers_die_with_a_killed_sweep_process(tmp_path):
    out = tmp_path / "out"
    proc = _start(write(tmp_path, LONG), out)
    workers = _workers_once_running(out, proc)
    os.kill(proc.pid, signal.SIGKILL)  # the sweep process alone, as the OOM killer does
    proc.communicate(timeout=60)
    try:
        assert _gone(workers), "worker processes outlived the sweep process"
    finally:
        _end_group(proc)


def test_sigterm_is_handled_like_ctrl_c(tmp_path):
    out = tmp_path / "out"
    proc = _start(write(tmp_path, LONG), out)
    workers = _workers_once_running(out, proc)
    os.kill(proc.pid, signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 143, err
        assert "Traceback" not in err and "leaked" not in err
        assert "terminated (SIGTERM)" in err and f"--resume {out}" in err
        assert _gone(workers)
    finally:
        _end_group(proc)
    records = list(RunTable(out / "runs.csv").rows())
    status = json.loads((out / "status.json").read_text())
    assert status["complete"] is False
    assert status["recorded"] == len(records) == len(read_recorded(out)) > 0
