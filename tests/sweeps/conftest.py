"""Fixtures of the sweep tests: a serial grid sweep to compare against; no run hook left set."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.sweeps import worker
from sim.sweeps.run import run_sweep
from tests.sweeps.common import GRID, write


@pytest.fixture(scope="session")
def serial_grid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("serial")
    out = tmp / "out"
    run_sweep(write(tmp, GRID), out=out, workers=1, progress=False)
    return out


@pytest.fixture(autouse=True)
def _no_hook() -> Iterator[None]:
    yield
    worker.RUN_HOOK = None
