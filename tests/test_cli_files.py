"""The command line names what it was given: a calibration or sweep file passed where a
scenario belongs, and the hidden folder of an interrupted command passed to report."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from sim.cli.words import warn_if_leftover
from tests.conftest import SCENARIOS
from tests.output.folders import run_cli


@pytest.mark.parametrize("command", ["run", "validate"])
@pytest.mark.parametrize(("path", "what", "takes"), [
    (SCENARIOS / "calibration" / "ai_talent_war_2024.toml", "a calibration file",
     "talentwar calibrate"),
    (SCENARIOS / "sweeps" / "gpu_threshold.toml", "a sweep file", "talentwar sweep"),
])
def test_a_calibration_or_sweep_file_is_not_taken_for_a_scenario(tmp_path, command, path,
                                                                  what, takes):
    outcome = run_cli([command, path], tmp_path)
    assert outcome.status == 2 and "Traceback" not in outcome.err
    assert f"{path}: {what}" in outcome.err and f"{takes} {path}" in outcome.err
    assert "unknown key" not in outcome.err
    assert list(tmp_path.iterdir()) == []


def test_report_on_an_interrupted_commands_hidden_folder_warns(two_tier_runs, tmp_path,
                                                               capsys):
    dead = subprocess.Popen(["true"])
    dead.wait()
    hidden = tmp_path / f".run.incomplete-{dead.pid}"
    shutil.copytree(two_tier_runs[0], hidden)
    outcome = run_cli(["report", hidden, "--out", tmp_path / "report.html"], tmp_path)
    assert outcome.status == 0, outcome.err
    assert (f"warning: {hidden} is the hidden folder in which process {dead.pid} was "
            "writing run; that process was interrupted") in outcome.err
    warn_if_leftover(two_tier_runs[0])  # a finished run gets no such warning
    assert capsys.readouterr().err == ""
