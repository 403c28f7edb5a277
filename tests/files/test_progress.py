"""Commands leave no process behind: not even Python's resource tracker, which tqdm's
default multiprocessing lock would start (sim/files/progress.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, TINY_SWEEP
from tests.processes import group_processes


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_run_and_sweep_leave_no_process_when_they_end(tmp_path: Path) -> None:
    sweep = tmp_path / "tiny.toml"
    sweep.write_text(TINY_SWEEP.format(base=ROOT / "scenarios" / "textbook_job_ladder.toml"))
    commands = [
        ["run", str(ROOT / "scenarios" / "textbook_job_ladder.toml"), "--set",
         "market.engineers=500", "--months", "3", "--out", str(tmp_path / "run")],
        ["sweep", str(sweep), "--workers", "2", "--out", str(tmp_path / "sweep")],
    ]
    for command in commands:
        # its own process group, so that whatever it starts can be found after it ends
        process = subprocess.Popen([sys.executable, "-m", "sim", *command], cwd=tmp_path,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   text=True, start_new_session=True,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)})
        _, errors = process.communicate(timeout=120)
        assert process.returncode == 0, errors
        # the command has ended: anything of its group still here outlived it
        assert group_processes(process.pid, zombies=True) == [], command[0]
