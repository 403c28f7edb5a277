"""Fixtures of the sweep tests: a serial grid sweep to compare against."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.sweeps.run import run_sweep
from tests.sweeps.common import GRID, write


@pytest.fixture(scope="session")
def serial_grid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("serial")
    out = tmp / "out"
    run_sweep(write(tmp, GRID), out=out, workers=1, progress=False)
    return out
