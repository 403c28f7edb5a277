"""A sweep folder that cannot be written: a disk that fills up during the sweep is one clean
error (status 2, no traceback) with ``status.json`` telling the runs recorded, and the sweep
resumes once there is room; plots of a folder that refuses writes are one clean error."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
from pathlib import Path

from matplotlib.figure import Figure

from sim.files import RunTable, WriteError
from sim.files.table import Appender
from tests.sweeps.common import GRID, cli, read_recorded, same_results, write


def swept_onto_a_full_disk(tmp_path, out, monkeypatch, capsys) -> str:
    """Sweep GRID into ``out`` on one worker with the disk made full by the test's
    patch: one error (status 2, no traceback, the disk's words once) with the way to
    continue; return what it printed."""
    assert cli(["sweep", str(write(tmp_path, GRID)), "--out", str(out), "--workers", "1",
                "--quiet"], monkeypatch) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("No space left on device") == 1, err
    assert f"continue with talentwar sweep --resume {out}" in err
    return err

def test_a_full_disk_during_a_sweep_is_one_clean_error(tmp_path, monkeypatch, capsys,
                                                       serial_grid):
    real = Appender.write
    calls = {"n": 0}

    def fill_up(self, text):
        calls["n"] += 1
        if calls["n"] > 5:  # a few runs recorded, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, text)

    monkeypatch.setattr(Appender, "write", fill_up)
    out = tmp_path / "out"
    swept_onto_a_full_disk(tmp_path, out, monkeypatch, capsys)
    recorded = len(read_recorded(out))
    assert recorded == len(list(RunTable(out / "runs.csv").rows())) > 0
    status = json.loads((out / "status.json").read_text())
    assert (status["complete"], status["recorded"]) == (False, recorded)
    monkeypatch.setattr(Appender, "write", real)  # room again
    assert cli(["sweep", "--resume", str(out), "--quiet"], monkeypatch) == 0
    same_results(serial_grid, out)


def test_plotting_into_a_folder_that_refuses_writes_is_one_clean_error(
        tmp_path, monkeypatch, capsys, serial_grid: Path):
    folder = tmp_path / "sweep"
    shutil.copytree(serial_grid, folder)
    before = sorted(p.name for p in folder.iterdir())

    def refuse(self, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(Figure, "savefig", refuse)
    assert cli(["plot", str(folder)], monkeypatch) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "Read-only file system" in err
    assert str(folder) in err
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing half-written




def test_temporary_files_a_killed_sweep_left_are_removed_on_resume(
        tmp_path, monkeypatch, capsys, serial_grid: Path):
    folder = tmp_path / "sweep"
    shutil.copytree(serial_grid, folder)
    dead = subprocess.Popen(["true"])
    dead.wait()
    left = folder / f".status.json.tmp-{dead.pid}"
    left.write_text('{"complete": tr')
    alive = folder / f".runs.csv.tmp-{os.getpid()}"  # a writer that still runs: kept
    alive.write_text("run_id")
    assert cli(["sweep", "--resume", str(folder), "--quiet"], monkeypatch) == 0
    assert f"removed {left}, left by an interrupted sweep" in capsys.readouterr().err
    assert not left.exists() and alive.exists()


def full_disk(table: RunTable, *args: object, **kwargs: object) -> None:
    """A table's rewrite on a full disk (in place of :meth:`RunTable.rewrite`)."""
    raise WriteError(table.path, "No space left on device", "the table")


def test_a_full_disk_as_the_sweep_begins_its_tables_names_the_resume(
        tmp_path, monkeypatch, capsys, serial_grid):
    # The disk fills once sweep.json and status.json are written, as the tables are
    # created: the same one error with the way to continue, and the resume works.
    real = RunTable.rewrite

    monkeypatch.setattr(RunTable, "rewrite", full_disk)
    out = tmp_path / "out"
    assert "0 of 12 runs recorded" in swept_onto_a_full_disk(tmp_path, out, monkeypatch,
                                                             capsys)
    status = json.loads((out / "status.json").read_text())
    assert (status["complete"], status["recorded"]) == (False, 0)
    monkeypatch.setattr(RunTable, "rewrite", real)  # room again
    assert cli(["sweep", "--resume", str(out), "--quiet"], monkeypatch) == 0
    same_results(serial_grid, out)


def test_a_full_disk_as_a_resume_repairs_the_tables_counts_what_they_hold(
        tmp_path, monkeypatch, capsys, serial_grid):
    # The resume must rewrite runs.csv without its torn last record, and the disk is
    # full: the tables are as they were, holding 11 recorded runs (not 0).
    out = tmp_path / "torn"
    shutil.copytree(serial_grid, out)
    runs = out / "runs.csv"
    runs.write_text(runs.read_text()[:-3])
    real = RunTable.rewrite

    monkeypatch.setattr(RunTable, "rewrite", full_disk)
    assert cli(["sweep", "--resume", str(out), "--quiet"], monkeypatch) == 2
    err = capsys.readouterr().err
    assert "11 of 12 runs recorded" in err and "No space left on device" in err
    assert json.loads((out / "status.json").read_text())["recorded"] == 11
    monkeypatch.setattr(RunTable, "rewrite", real)
    assert cli(["sweep", "--resume", str(out), "--quiet"], monkeypatch) == 0
    same_results(serial_grid, out)
