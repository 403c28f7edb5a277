"""A local worker that dies during a calibration run costs that run only: the run is recorded
as failed with the cause (as a sweep records it), the calibration goes on to its answer and
the command says how many runs failed (exit status 1), without a traceback."""

import os
import signal
import warnings

import pandas as pd
import pytest

import sim.calibration.worker as calibration_worker
from sim.cli import main
from sim.sweeps.worker import RunTask
from tests.calibration.common import TEXTBOOK

FILE = f"""
base = "{TEXTBOOK}"
seed = 11
set = ["market.engineers=400", "months=4"]
[[parameters]]
key = "tiers.engineer.separation"
min = 0.005
max = 0.08
scale = "log"
[[moments]]
name = "unemployment"
measure = {{ kind = "unemployment_rate", window = [2, 4] }}
target = 0.09
se = 0.01
source = "synthetic"
[estimator]
replicates = 2
budget = 8
profile_points = 0
[estimator.search]
points = 3
local = "none"
"""
KILLED = 3
"""The run whose worker is killed (a replicate of the design's second point)."""


def test_a_worker_killed_mid_run_is_a_failed_run_and_the_calibration_goes_on(
        tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    marker = tmp_path / "killed-once"
    real = calibration_worker.evaluate_run

    def die(task: RunTask, job: calibration_worker.MomentJob) -> calibration_worker.MomentResult:
        if task.run_id == KILLED and not marker.exists():  # as the out-of-memory killer would
            marker.write_text("x")
            os.kill(os.getpid(), signal.SIGKILL)
        return real(task, job)

    # set before the worker processes fork, which inherit it
    monkeypatch.setattr(calibration_worker, "evaluate_run", die)
    path = tmp_path / "c.toml"
    path.write_text(FILE, encoding="utf-8")
    out = tmp_path / "cal"
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        status = main(["calibrate", str(path), "--out", str(out), "--workers", "2",
                       "--quiet"])
    assert not [w for w in warned if issubclass(w.category, RuntimeWarning)], (
        [str(w.message) for w in warned])
    err = capsys.readouterr().err
    assert marker.exists(), "no worker was killed"
    assert "Traceback" not in err and "AttributeError" not in err, err
    assert status == 1, err
    assert "1 failed" in err
    runs = pd.read_csv(out / "runs.csv", keep_default_na=False).set_index("run_id")
    assert list(runs.index[runs.status == "failed"]) == [KILLED]
    assert "killed by SIGKILL" in runs.loc[KILLED, "error"]
    assert runs.loc[KILLED, "unemployment"] == ""  # no moment value for a run that died
    assert (runs.drop(index=KILLED).status == "done").all()
    assert runs.index.is_unique
    assert (out / "parameters.csv").is_file()  # the calibration reached its answer
    moments = pd.read_csv(out / "moments.csv").set_index("moment")
    assert moments.loc["unemployment", "fitted_mean"] > 0
