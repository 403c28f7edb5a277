"""Resume after a kill gives the same answer; so do 1 and 2 workers. Interrupts, a full
disk and a folder a kill left as it started say what is recorded and how to go on."""

import pandas as pd
import pytest

from sim import cli
from sim.calibration.run import resume_calibration, run_calibration
from sim.errors import UserError
from tests.calibration.common import TEXTBOOK

FILE = f"""
base = "{TEXTBOOK}"
seed = 11
set = ["market.engineers=600", "months=6"]
[[parameters]]
key = "tiers.engineer.search_employed"
min = 0.02
max = 0.4
scale = "log"
[[parameters]]
key = "tiers.engineer.separation"
min = 0.005
max = 0.08
scale = "log"
[[moments]]
name = "job_to_job"
measure = {{ kind = "job_to_job_rate", window = [1, 6] }}
target = 0.05
se = 0.004
source = "synthetic"
[[moments]]
name = "unemployment"
measure = {{ kind = "unemployment_rate", window = [3, 6] }}
target = 0.09
se = 0.01
source = "synthetic"
[[moments]]
name = "pay_p90"
measure = {{ kind = "pay_quantile", tier = "engineer", q = 0.9, window = [3, 6] }}
target = 220000
se = 5000
source = "synthetic"
held_out = true
[estimator]
replicates = 2
budget = 40
profile_points = 3
[estimator.search]
points = 4
"""


def results(folder):
    return {name: pd.read_csv(folder / name).to_csv()
            for name in ("parameters.csv", "moments.csv", "jacobian.csv", "profiles.csv")}


def test_resume_after_a_kill_and_two_workers_give_the_same_answer(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(FILE, encoding="utf-8")
    first = run_calibration(path, out=tmp_path / "a", progress=False, plots=False)
    expected = results(tmp_path / "a")

    # a kill: keep the header and the first 15 runs, and half of the 16th line
    runs = (tmp_path / "a" / "runs.csv").read_text().splitlines(keepends=True)
    (tmp_path / "a" / "runs.csv").write_text("".join(runs[:16]) + runs[16][:20])
    for name in ("parameters.csv", "moments.csv"):
        (tmp_path / "a" / name).unlink()
    again = resume_calibration(tmp_path / "a", progress=False, plots=False)
    assert again.ran == first.runs - 15
    assert results(tmp_path / "a") == expected

    two = run_calibration(path, out=tmp_path / "b", workers=2, progress=False, plots=False)
    assert two.estimate == first.estimate
    assert results(tmp_path / "b") == expected
    assert pd.read_csv(tmp_path / "b" / "runs.csv")["run_id"].is_unique


def test_sigkill_of_a_running_calibration_then_resume_gives_the_same_answer(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT

    path = tmp_path / "c.toml"
    path.write_text(FILE, encoding="utf-8")
    run_calibration(path, out=tmp_path / "ref", progress=False, plots=False)
    expected = results(tmp_path / "ref")
    folder = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "calibrate", str(path), "--out", str(folder),
         "--workers", "2", "--quiet"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runs = folder / "runs.csv"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if runs.is_file() and len(runs.read_text().splitlines()) > 12:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the calibration ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the command and its workers, mid-run
    proc.wait()
    assert not (folder / "parameters.csv").exists()  # nothing looks finished
    resume_calibration(folder, progress=False, plots=False)
    assert results(folder) == expected
    ids = pd.read_csv(runs)["run_id"]
    assert ids.is_unique  # no run recorded twice


def _interrupt_after(monkeypatch, runs: int, second_in: str | None = None):
    """Ctrl-C once ``runs`` runs are recorded (raised as the next is recorded); with
    ``second_in`` ("tables" or "backend"), a second one as the first one's clean-up closes
    the tables or stops the workers."""
    from sim.files.table import Appender
    from sim.sweeps.backends import SerialBackend

    real_append = Appender.append
    count = {"n": 0}

    def append(self, values):
        if self.path.name == "runs.csv":
            if count["n"] >= runs:
                raise KeyboardInterrupt
            count["n"] += 1
        real_append(self, values)

    monkeypatch.setattr(Appender, "append", append)
    if second_in is not None:
        cls, name = (Appender, "close") if second_in == "tables" else (SerialBackend, "close")
        real_close, fired = getattr(cls, name), []

        def close(self, *args, **kwargs):
            real_close(self, *args, **kwargs)
            if not fired:
                fired.append(True)
                raise KeyboardInterrupt

        monkeypatch.setattr(cls, name, close)


@pytest.mark.parametrize("second_in", [None, "tables", "backend"])
def test_an_interrupt_reports_the_runs_recorded_also_a_second_one_in_the_clean_up(
        tmp_path, monkeypatch, capsys, second_in):
    path = tmp_path / "c.toml"
    path.write_text(FILE, encoding="utf-8")
    _interrupt_after(monkeypatch, 8, second_in)
    out = tmp_path / "a"
    assert cli.main(["calibrate", str(path), "--out", str(out), "--workers", "1",
                     "--quiet"]) == 130
    err = capsys.readouterr().err
    assert "interrupted; 8 runs recorded; continue with: talentwar calibrate --resume" in err
    assert "nothing incomplete" not in err
    assert len(pd.read_csv(out / "runs.csv")) == 8


def test_a_full_disk_is_one_error_with_the_runs_recorded_and_the_resume(
        tmp_path, monkeypatch, capsys):
    import errno

    from sim.files.table import Appender

    path = tmp_path / "c.toml"
    path.write_text(FILE, encoding="utf-8")
    reference = run_calibration(path, out=tmp_path / "ref", progress=False, plots=False)
    real_write, count = Appender.write, {"n": 0}

    def write(self, text):
        if self.path.name == "runs.csv":
            count["n"] += 1
            if count["n"] > 6:
                raise OSError(errno.ENOSPC, "No space left on device")
        real_write(self, text)

    monkeypatch.setattr(Appender, "write", write)
    out = tmp_path / "a"
    assert cli.main(["calibrate", str(path), "--out", str(out), "--workers", "1",
                     "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("No space left on device") == 1, err
    assert "6 runs recorded" in err and f"continue with talentwar calibrate --resume {out}" \
        in err
    monkeypatch.setattr(Appender, "write", real_write)
    assert cli.main(["calibrate", "--resume", str(out), "--quiet"]) == 0
    assert results(out) == results(tmp_path / "ref")
    assert reference.runs == len(pd.read_csv(out / "runs.csv"))


def test_a_folder_holding_only_a_half_written_manifest_can_be_started_again(
        tmp_path, monkeypatch, capsys):
    import subprocess
    import sys

    path = tmp_path / "c.toml"
    path.write_text(FILE, encoding="utf-8")
    out = tmp_path / "a"
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", ""])
    dead.wait()
    half = out / f".calibration.json.tmp-{dead.pid}"
    half.write_text("{")
    assert cli.main(["calibrate", "--resume", str(out)]) == 2
    assert "holds only the temporary files" in capsys.readouterr().err
    assert cli.main(["calibrate", str(path), "--out", str(out), "--quiet"]) == 0
    assert not half.exists() and (out / "parameters.csv").exists()


def test_an_error_of_the_system_that_is_not_the_disk_is_not_said_as_a_full_disk(
        tmp_path, monkeypatch):
    # Only a disk's errors (full, quota, read-only...) are said as "cannot write the
    # calibration's tables ... make room": another system error is raised as it is.
    import errno

    from sim.files.table import Appender

    path = tmp_path / "c.toml"
    path.write_text(FILE, encoding="utf-8")

    def failing(code: int, text: str):
        def write(self, _text):
            raise OSError(code, text)
        return write

    monkeypatch.setattr(Appender, "write", failing(errno.EBADF, "Bad file descriptor"))
    with pytest.raises(OSError, match="Bad file descriptor") as raised:
        run_calibration(path, out=tmp_path / "a", progress=False, plots=False)
    assert not isinstance(raised.value, UserError)
    monkeypatch.setattr(Appender, "write", failing(errno.ENOSPC, "No space left on device"))
    with pytest.raises(UserError, match="cannot write the calibration's tables: No space"):
        run_calibration(path, out=tmp_path / "b", progress=False, plots=False)
