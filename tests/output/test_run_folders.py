"""Where a run writes: a default folder never collides with another run's, even one started
in the same second; a folder the user named is refused before the run if another run is
writing it, if it exists, or if it is a symbolic link to nowhere."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import TWO_TIER_SCENARIO
from tests.output.folders import run_cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def scenario(tmp_path) -> Path:
    path = tmp_path / "two_tier.toml"
    path.write_text(TWO_TIER_SCENARIO)
    return path


def _start(scenario: Path, cwd: Path, *options: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "sim", "run", str(scenario), "--quiet",
                             "--no-plots", *options], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_runs_started_together_get_folders_of_their_own(scenario, tmp_path):
    procs = [_start(scenario, tmp_path, "--months", "3") for _ in range(3)]
    outcomes = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in outcomes]
    folders = {out.strip() for out, _ in outcomes}
    assert len(folders) == 3
    for folder in folders:
        assert (tmp_path / folder / "manifest.json").is_file()
    assert sorted(p.name for p in (tmp_path / "results" / "two_tier_test").iterdir()
                  ) == sorted(Path(f).name for f in folders)  # nothing hidden left


def test_a_second_run_into_the_same_folder_is_refused_before_it_runs(scenario, tmp_path):
    out = tmp_path / "out"
    first = _start(scenario, tmp_path, "--set", "market.engineers=200000", "--months", "24",
                   "--out", str(out))
    deadline = time.monotonic() + 30
    while not (tmp_path / ".out.lock").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    second = run_cli(["run", scenario, "--out", out, "--quiet", "--no-plots"], tmp_path)
    refused_while_the_first_runs = first.poll() is None
    assert first.wait(timeout=300) == 0, first.communicate()[1]
    assert second.status == 2 and "Traceback" not in second.err
    assert f"--out {out}: another process is writing this folder" in second.err
    assert refused_while_the_first_runs  # before running, not after
    assert (out / "manifest.json").is_file()


def test_a_dangling_symbolic_link_is_refused_before_the_run(scenario, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere" / "run")
    outcome = run_cli(["run", scenario, "--out", link, "--quiet", "--no-plots"], tmp_path)
    assert outcome.status == 2 and "Traceback" not in outcome.err
    assert f"--out {link}: a symbolic link to" in outcome.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "two_tier.toml"]
