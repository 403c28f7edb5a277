"""Local worker processes and a Dask cluster give the serial results; an unreachable Dask
scheduler is a user error."""

from __future__ import annotations

import importlib
import os
import signal
from pathlib import Path

import pytest

from sim.sweeps import backends
from sim.sweeps.run import run_sweep
from tests.files.test_allocator import GLIBC
from tests.sweeps.common import (
    GRID,
    cli,
    same_results,
    write,
)


def test_two_workers_give_the_serial_results(serial_grid: Path, tmp_path: Path) -> None:
    out = tmp_path / "par"
    summary = run_sweep(write(tmp_path, GRID), out=out, workers=2, progress=False)
    assert (summary.done, summary.failed) == (12, 0)
    same_results(serial_grid, out)


def test_dask_local_cluster_gives_the_serial_results(
        serial_grid: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    out = tmp_path / "dask"
    status = cli(["sweep", str(write(tmp_path, GRID)), "--out", str(out), "--dask", "local",
                  "--workers", "2", "--quiet"], monkeypatch)
    assert status == 0
    same_results(serial_grid, out)


def test_the_workers_of_a_local_dask_cluster_ignore_ctrl_c() -> None:
    # Ctrl-C goes to the terminal's whole process group: a local cluster's workers ignore
    # it (the sweep closes them), or each prints a KeyboardInterrupt traceback
    pytest.importorskip("distributed")
    backend = backends.DaskBackend("local", 1)
    try:
        assert backend.run(signal.getsignal, signal.SIGINT).result() == signal.SIG_IGN
        assert backend.run(os.getpid).result() != os.getpid()  # in a worker process
        # a worker's allocator keeps freed memory for the next runs' arrays
        kept = backend.run(lambda: importlib.import_module("sim.files.processes")._kept)
        assert kept.result() is GLIBC  # (where the allocator can be set: glibc)
    finally:
        backend.close(cancel=True)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # not here


def test_unreachable_dask_scheduler_is_a_user_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("distributed")
    # nothing listens on port 9: the connection is refused at once, then retried until
    # the timeout (5 s for a user; shorter here, for the same error)
    monkeypatch.setattr(backends, "DASK_CONNECT_TIMEOUT", "0.5s")
    out = tmp_path / "out"
    status = cli(["sweep", str(write(tmp_path, GRID)), "--out", str(out), "--quiet",
                  "--dask", "tcp://127.0.0.1:9"], monkeypatch)
    assert status == 2
    assert "--dask tcp://127.0.0.1:9" in capsys.readouterr().err
    assert not out.exists()
