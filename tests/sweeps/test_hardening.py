"""Regression tests of issue 12 (sweeps): the store read with a real CSV reader, the
completion marker, a worker that dies, and bad input refused before anything is written."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import sim.sweeps.run as sweep_run
from sim.errors import UserError
from sim.files.folders import LOCK_FILE
from sim.sweeps.backends import SerialBackend
from sim.sweeps.run import MAX_RUNS, plan_sweep, resume_sweep, run_sweep
from sim.sweeps.store import SweepWriter
from tests.sweeps.common import (
    GRID,
    HEADER,
    MEASURES,
    ROOT,
    cli,
    fail_runs,
    read_recorded,
    same_results,
    write,
)

#: GRID with a string parameter whose values hold a newline, a comma and quotes.
NEWLINES = GRID.replace('key = "compute.response"\nvalues = ["sharp", "smooth"]',
                        'key = "description"\nvalues = ["plain", "two\\nlines, \\"quoted\\""]')
assert NEWLINES != GRID


def fail_multiline(run_id: int) -> None:
    """Runs 3 and 8 fail with an error of several lines (with a comma, quotes and a CR)."""
    if run_id in (3, 8):
        raise RuntimeError(f"run {run_id} broke:\nsecond line, \"quoted\"\r\nthird")


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file under ``folder`` with its bytes (None for a folder)."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def fresh(tmp_path: Path, text: str, name: str) -> Path:
    """An uninterrupted serial sweep of ``text`` (with the failing runs in force)."""
    out = tmp_path / name
    run_sweep(write(tmp_path, text, f"{name}.toml"), out=out, workers=1, progress=False)
    return out


# --------------------------------------------------------------------------- 1. the store


def test_resume_keeps_records_whose_cells_hold_newlines(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fail_runs(monkeypatch, fail_multiline)
    out = fresh(tmp_path, NEWLINES, "nl")
    reference = tmp_path / "reference"
    shutil.copytree(out, reference)
    runs = pd.read_csv(out / "runs.csv", keep_default_na=False)
    assert len(runs) == 12 and runs["description"].str.contains("\n").sum() == 6
    assert runs.set_index("run_id").loc[3, "error"].startswith("RuntimeError: run 3 broke:\n")
    for _ in range(2):  # today: the first resume loses every record with a newline
        summary = resume_sweep(out, progress=False)
        assert (summary.ran, summary.done, summary.failed) == (0, 10, 2)
        same_results(reference, out)


def test_a_torn_record_inside_a_quoted_cell_is_dropped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fail_runs(monkeypatch, fail_multiline)
    reference = fresh(tmp_path, NEWLINES, "ref")

    def stop(run_id: int) -> None:
        if run_id == 6:
            raise KeyboardInterrupt
        fail_multiline(run_id)

    fail_runs(monkeypatch, stop)
    out = tmp_path / "torn"
    with pytest.raises(KeyboardInterrupt):
        run_sweep(write(tmp_path, NEWLINES), out=out, workers=1, progress=False)
    assert sorted(read_recorded(out)) == [0, 1, 2, 3, 4, 5]
    # killed mid-write: run 7's measure rows, then half its runs.csv record, cut inside
    # the quoted parameter value just after its newline
    with (out / "measures.csv").open("a") as handle:
        handle.write("7,0,,0.1,\n7,8,0.5,0.5,0.5\n")
    with (out / "runs.csv").open("a") as handle:
        handle.write('7,3,1,3479688010,10000.0,"two\n')
    fail_runs(monkeypatch, fail_multiline)
    summary = resume_sweep(out, workers=2, progress=False)
    assert (summary.ran, summary.done, summary.failed) == (6, 10, 2)
    same_results(reference, out)


def test_a_run_recorded_twice_is_dropped_and_run_again_loudly(
        serial_grid: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    out = tmp_path / "twice"
    shutil.copytree(serial_grid, out)
    with (out / "runs.csv").open() as handle:
        lines = handle.readlines()
    with (out / "runs.csv").open("a") as handle:
        handle.write(lines[3])  # the third record again
    summary = resume_sweep(out, progress=False)
    assert summary.ran == 1
    assert "recorded more than once" in caplog.text
    same_results(serial_grid, out)


@pytest.mark.parametrize(("change", "expected"), [
    (lambda t: t.replace(",2684470948,", ",2684470949,", 1), "runs.csv: line 2: run 0 has"),
    (lambda t: t + "99,49,1,1,1.0,sharp,done,0.1,\n", "run 99 is not a run of the design"),
    (lambda t: t.replace(",done,", ",dome,", 1), "status 'dome'"),
    (lambda t: t.replace("\n0,", '\n0",', 1), "runs.csv: line 2"),
    (lambda t: t.replace("\n1,", "\n1,extra,", 1), "cells, expected 9"),
    (lambda t: t.replace("status", "state", 1), "do not match the expected"),
    (lambda t: "garbage \x01 without a single newline", "no complete header line"),
    (lambda t: '"' + t, "no complete header line"),  # an open quote swallows the table
])
def test_damaged_or_foreign_runs_are_refused_before_anything_is_written(
        serial_grid: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture, change, expected: str) -> None:
    out = tmp_path / "damaged"
    shutil.copytree(serial_grid, out)
    path = out / "runs.csv"
    path.write_text(change(path.read_text()))
    # a temporary file a killed process left: a refused folder keeps it too
    dead = subprocess.Popen([sys.executable, "-c", ""])
    dead.wait()
    (out / f".runs.csv.tmp-{dead.pid}").write_text("x")
    before = snapshot(out)
    assert cli(["sweep", "--resume", str(out), "--quiet"], monkeypatch) == 2
    err = capsys.readouterr().err
    assert expected in err and str(path) in err and "Traceback" not in err
    assert snapshot(out) == before


# --------------------------------------------------------------------------- 2. complete?


@pytest.mark.parametrize("second", ["writer", "backend"])
def test_a_second_interrupt_during_the_clean_up_still_reports_the_runs_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture,
        second: str) -> None:
    # Ctrl-C twice in quick succession: the second lands while the first one's clean-up
    # runs (closing the tables, stopping the workers) and replaces its count with a bare
    # KeyboardInterrupt; the runs recorded are still the ones reported.
    def interrupt(run_id: int) -> None:
        if run_id == 5:
            raise KeyboardInterrupt

    fail_runs(monkeypatch, interrupt)
    target = (SweepWriter, "close") if second == "writer" else (SerialBackend, "close")
    original = getattr(*target)
    fired = []

    def close_then_interrupt(self: object, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)
        if not fired:
            fired.append(True)
            raise KeyboardInterrupt

    monkeypatch.setattr(*target, close_then_interrupt)
    out = tmp_path / "twice"
    assert cli(["sweep", str(write(tmp_path, GRID)), "--out", str(out), "--workers", "1",
                "--quiet"], monkeypatch) == 130
    assert fired
    assert "5 of 12 runs recorded" in capsys.readouterr().err
    status = json.loads((out / "status.json").read_text())
    assert status["complete"] is False and status["recorded"] == 5
    assert sorted(read_recorded(out)) == [0, 1, 2, 3, 4]


def test_an_interrupted_sweep_says_it_is_partial(
        serial_grid: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    def interrupt(run_id: int) -> None:
        if run_id == 5:
            raise KeyboardInterrupt

    fail_runs(monkeypatch, interrupt)
    out = tmp_path / "partial"
    assert cli(["sweep", str(write(tmp_path, GRID)), "--out", str(out), "--workers", "1",
                "--quiet"], monkeypatch) == 130
    err = capsys.readouterr().err
    assert f"5 of 12 runs recorded; resume with talentwar sweep --resume {out}" in err
    assert "nothing incomplete" not in err
    status = json.loads((out / "status.json").read_text())
    assert status["complete"] is False and status["recorded"] == 5
    assert cli(["plot", str(out)], monkeypatch) == 0
    assert "partial sweep: only 5 of 12 runs recorded" in capsys.readouterr().err
    assert cli(["report", str(out)], monkeypatch) == 0
    assert "partial sweep" in capsys.readouterr().err
    assert "Partial sweep: 5 of 12 runs recorded" in (out / "report.html").read_text()
    fail_runs(monkeypatch, None)
    assert cli(["sweep", "--resume", str(out), "--quiet"], monkeypatch) == 0
    assert json.loads((out / "status.json").read_text())["complete"] is True
    capsys.readouterr()
    assert cli(["plot", str(out)], monkeypatch) == 0
    assert "partial" not in capsys.readouterr().err
    same_results(serial_grid, out)


# --------------------------------------------------------------------------- 3. dead worker


def test_a_dead_worker_costs_its_run_only(
        serial_grid: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    marker = tmp_path / "killed-once"

    def die(run_id: int) -> None:  # as the out-of-memory killer would, once
        if run_id == 4 and not marker.exists():
            marker.write_text("x")
            os.kill(os.getpid(), signal.SIGKILL)

    fail_runs(monkeypatch, die)  # set before the worker processes fork
    out = tmp_path / "dead"
    assert cli(["sweep", str(write(tmp_path, GRID)), "--out", str(out), "--workers", "2",
                "--quiet"], monkeypatch) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "BrokenProcessPool" not in err
    runs = pd.read_csv(out / "runs.csv", keep_default_na=False).set_index("run_id")
    assert list(runs.index[runs.status == "failed"]) == [4]
    assert "killed by SIGKILL" in runs.loc[4, "error"]
    assert len(runs) == 12
    assert resume_sweep(out, workers=2, progress=False, retry_failed=True).ran == 1
    same_results(serial_grid, out)


# --------------------------------------------------------------------------- 5. bad input


@pytest.mark.parametrize(("workers", "expected"), [
    ("100000000000000000000", "--workers: 100,000,000,000,000,000,000 is more than 1,024"),
    ("100000", "--workers: 100,000 is more than 1,024"),
    ("0", "expected a whole number >= 1"),
    ("1" * 5000, "expected a whole number >= 1"),
])
def test_absurd_worker_counts_are_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture,
        workers: str, expected: str) -> None:
    out = tmp_path / "out"
    clock = time.monotonic()
    assert cli(["sweep", str(write(tmp_path, GRID)), "--out", str(out), "--workers", workers,
                "--quiet"], monkeypatch) == 2
    assert time.monotonic() - clock < 10
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert not out.exists()


def test_workers_are_capped_at_the_runs_to_do(
        serial_grid: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []
    real = sweep_run.make_backend

    def spy(workers: int, dask: object) -> object:
        asked.append(workers)
        return real(workers, dask)  # type: ignore[arg-type]

    monkeypatch.setattr(sweep_run, "make_backend", spy)
    four = GRID.replace("replicates = 2", "replicates = 1").replace("steps = 3", "steps = 2")
    out = tmp_path / "four"
    assert cli(["sweep", str(write(tmp_path, four)), "--out", str(out), "--workers", "40",
                "--quiet"], monkeypatch) == 0
    assert asked == [4]
    partial = tmp_path / "partial"
    shutil.copytree(serial_grid, partial)
    lines = (partial / "runs.csv").read_text().splitlines(keepends=True)
    (partial / "runs.csv").write_text("".join(lines[:-3]))  # 3 runs to do again
    assert resume_sweep(partial, workers=40, progress=False).ran == 3
    assert asked == [4, 3]
    same_results(serial_grid, partial)


@pytest.mark.parametrize("address", ["tls://127.0.0.1:8786", "ucx://127.0.0.1:8786",
                                     "tcp://", "tcp://host:99999", "inproc://x"])
def test_unsupported_dask_addresses_are_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture,
        address: str) -> None:
    out = tmp_path / "out"
    assert cli(["sweep", str(write(tmp_path, GRID)), "--out", str(out), "--dask", address,
                "--quiet"], monkeypatch) == 2
    err = capsys.readouterr().err
    assert f"--dask {address}" in err and "Traceback" not in err
    assert not out.exists()


def _read_only(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``folder`` read-only (as root, who may write anywhere, refuse it by
    ``os.access`` and make creating anything in it fail as it would)."""
    folder.chmod(0o555)
    if os.geteuid() == 0:
        real_access = os.access

        def access(path: object, mode: int, **kw: object) -> bool:
            if Path(str(path)).resolve() == folder.resolve() and mode & os.W_OK:
                return False
            return real_access(path, mode, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "access", access)


def test_unwritable_out_and_resume_folders_are_refused(
        serial_grid: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    sweep = write(tmp_path, GRID)
    locked_dir = tmp_path / "ro"
    locked_dir.mkdir()
    done = tmp_path / "done"
    shutil.copytree(serial_grid, done)
    before = snapshot(done)
    _read_only(locked_dir, monkeypatch)
    _read_only(done, monkeypatch)
    try:
        assert cli(["sweep", str(sweep), "--out", str(locked_dir / "a" / "b"), "--quiet"],
                   monkeypatch) == 2
        err = capsys.readouterr().err
        assert "--out" in err and "cannot create" in err and "Traceback" not in err
        assert cli(["sweep", "--resume", str(done), "--quiet"], monkeypatch) == 2
        err = capsys.readouterr().err
        assert "cannot write" in err and "Traceback" not in err
        assert list(locked_dir.iterdir()) == [] and snapshot(done) == before
    finally:
        locked_dir.chmod(0o755)
        done.chmod(0o755)


def _edit_json(key_path: list[str | int], value: object):
    def change(data: dict) -> dict:
        target = data
        for key in key_path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[key_path[-1]]
        else:
            target[key_path[-1]] = value
        return data
    return change


@pytest.mark.parametrize(("damage", "file", "expected"), [
    (lambda d: (d / "sweep.json").write_text("{not json"), "sweep.json", "not valid JSON"),
    (lambda d: (d / "sweep.json").write_bytes(b"\xff\xfe\x00garbage"), "sweep.json",
     "not UTF-8"),
    (lambda d: (d / "sweep.json").write_text("[1, 2]"), "sweep.json", "expected a JSON object"),
    ("sweep", "sweep.json", "sweep: required key is missing"),
    ("design", "sweep.json", "design: required key is missing"),
    ("fewer", "sweep.json", "design.points: 1 points, but the sweep's design has 6"),
    ("replicates", "runs.csv", "runs.csv: line 3: run 1 has point, replicate, seed"),
    ("base", "sweep.json", "base_scenario"),
    ("point", "sweep.json", "design.points[2]"),
    (lambda d: (d / "runs.csv").write_bytes(b"run_id,\xff\xfe\n1,2\n"), "runs.csv", "UTF-8"),
    (lambda d: ((d / "runs.csv").unlink(), (d / "runs.csv").mkdir()), "runs.csv",
     "is not a file"),
    (lambda d: (d / "measures.csv").write_text("run_id,month\n"), "measures.csv",
     "do not match"),
    (lambda d: (d / "measures.csv").write_text(
        (d / "measures.csv").read_text().replace("\n0,3,", "\n0,three,", 1)), "measures.csv",
     "month: expected a whole number"),
])
def test_damaged_sweep_folders_are_refused_before_anything_is_written(
        serial_grid: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture, damage, file: str, expected: str) -> None:
    out = tmp_path / "damaged"
    shutil.copytree(serial_grid, out)
    if isinstance(damage, str):
        data = json.loads((out / "sweep.json").read_text())
        change = {
            "sweep": _edit_json(["sweep"], KeyError),
            "design": _edit_json(["design"], KeyError),
            "fewer": lambda d: _edit_json(["design", "points"], d["design"]["points"][:1])(d),
            "replicates": lambda d: _edit_json(["design", "runs"], 6)(
                _edit_json(["sweep", "replicates"], 1)(d)),
            "base": _edit_json(["base_scenario", "market", "engineers"], "many"),
            "point": _edit_json(["design", "points", 2, "compute.response"], "blunt"),
        }[damage]
        (out / "sweep.json").write_text(json.dumps(change(data)))
    else:
        damage(out)
    before = snapshot(out)
    assert cli(["sweep", "--resume", str(out), "--quiet"], monkeypatch) == 2
    err = capsys.readouterr().err
    assert expected in err and str(out / file) in err and "Traceback" not in err
    assert snapshot(out) == before
    for command in (["plot", str(out)], ["report", str(out)]):
        assert cli(command, monkeypatch) == 2
        assert "Traceback" not in capsys.readouterr().err
        assert snapshot(out) == before


@pytest.mark.parametrize("name", ["../../escaped", "/x", "a" * 300, "a\\u0000b", "", ".hidden",
                                  "a/b", "x\\ny"])
def test_sweep_names_cannot_choose_where_files_go(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, GRID.replace('name = "grid"', f'name = "{name}"'))
    with pytest.raises(UserError) as err:
        plan_sweep(path)
    assert str(err.value).startswith(f"{path}: name:")
    assert cli(["sweep", str(path), "--quiet"], monkeypatch) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.toml"]


HUGE_GRID = HEADER + 'name = "huge"\n' + "".join(
    f'[[parameters]]\nkey = "generated_firms.0.k{k}"\nmin = 1\nmax = 2\nsteps = 10\n'
    for k in range(15)) + MEASURES

HUGE_SOBOL = GRID.replace("replicates = 2", "replicates = 100_000").replace(
    "steps = 3", "").replace('[[parameters]]\nkey = "compute.response"',
                             '[design]\nkind = "sobol"\nsamples = 8_388_608\n\n'
                             '[[parameters]]\nkey = "compute.response"')


@pytest.mark.parametrize(("text", "runs"), [
    (HUGE_GRID, "1,000,000,000,000,000 runs (1,000,000,000,000,000 design points"),
    (HUGE_SOBOL, "3,355,443,200,000 runs (33,554,432 design points x 100,000 replicates)"),
])
def test_sizes_that_cannot_run_are_refused_before_allocating(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, runs: str) -> None:
    def no_design(*args: object) -> None:
        raise AssertionError("the design was built")

    monkeypatch.setattr(sweep_run, "design_matrix", no_design)
    monkeypatch.setattr(sweep_run, "design_points", no_design)
    path = write(tmp_path, text)
    clock = time.monotonic()
    with pytest.raises(UserError) as err:
        plan_sweep(path)
    assert time.monotonic() - clock < 2
    message = str(err.value)
    assert message.startswith(f"{path}: ") and runs in message
    assert f"at most {MAX_RUNS:,} runs" in message


def test_a_folder_a_kill_left_with_only_its_lock_can_be_started_again(
        serial_grid: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    # A sweep killed as it started (after taking the folder's lock, before writing
    # sweep.json) leaves a folder with the lock file alone: not resumable (no sweep.json),
    # and it must not be refused as "not empty" either.
    out = tmp_path / "killed_at_start"
    out.mkdir()
    (out / LOCK_FILE).touch()
    dead = subprocess.Popen([sys.executable, "-c", ""])
    dead.wait()
    half = out / f".sweep.json.tmp-{dead.pid}"  # killed as it wrote sweep.json
    half.write_text("{")
    assert cli(["sweep", "--resume", str(out)], monkeypatch) == 2
    err = capsys.readouterr().err
    assert "no sweep.json" in err and "holds only a lock file" in err
    assert cli(["sweep", str(write(tmp_path, GRID)), "--out", str(out), "--workers", "1",
                "--quiet"], monkeypatch) == 0
    same_results(serial_grid, out)
    assert not half.exists()
    # a lock some process holds still keeps a second sweep out
    other = tmp_path / "held"
    other.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; "
         "from sim.files.folders import lock_folder\n"
         "with lock_folder(Path(sys.argv[1]), 'sweep'):\n"
         "    print('held', flush=True); sys.stdin.read()", str(other)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert cli(["sweep", str(write(tmp_path, GRID, "b.toml")), "--out", str(other),
                    "--quiet"], monkeypatch) == 2
        assert "another sweep process is writing this folder" in capsys.readouterr().err
    finally:
        holder.communicate("")
    assert all(p.name == LOCK_FILE for p in other.iterdir())  # the refused sweep wrote nothing
