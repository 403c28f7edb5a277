"""Shared by the sweep tests: tiny sweep files (400 engineers, 8 months keep them fast) and
helpers to write them, run the command line, compare sweep folders and make chosen runs
fail."""

from __future__ import annotations

import contextlib
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import sim.cli
import sim.model
from sim.files import RunTable
from sim.model import TalentMarket
from sim.sweeps.designs import run_seed
from sim.sweeps.spec import SweepSpec, parse_sweep
from sim.sweeps.store import RUNS_FILE
from sim.sweeps.worker import DONE, FAILED, Status

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "sweeps" / "small_market.toml"

#: The root seed of the sweep files below.
SEED = 42

HEADER = f'''
base = "{BASE}"
seed = {SEED}
months = 8
set = ["market.engineers=400"]
'''

MEASURES = '''
[[measures]]
column = "top_share_above_threshold"

[[measures]]
column = "unemployment_rate"
keep = "series"

[[measures]]
column = "top_hhi"
keep = "mean"
window = [4, 8]
'''

GRID = HEADER + '''
name = "grid"
replicates = 2

[[parameters]]
key = "compute.threshold"
min = 1000
max = 100000
steps = 3
scale = "log"

[[parameters]]
key = "compute.response"
values = ["sharp", "smooth"]
''' + MEASURES


SENSITIVITY = HEADER + '''
name = "sens"
[design]
kind = "{kind}"
samples = {samples}

[[parameters]]
key = "compute.threshold"
min = 1000
max = 300000
scale = "log"

[[parameters]]
key = "firms.enterprise_b.cash"
min = 1e6
max = 1e9

[[measures]]
column = "top_share_above_threshold"
'''


def write(tmp_path: Path, text: str, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def cli(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    """``talentwar ARGV`` in this process; returns the exit status."""
    return sim.cli.main(argv)


def table(folder: Path, name: str) -> pd.DataFrame:
    """A sweep table sorted by run (and month), without wall times."""
    frame = pd.read_csv(folder / name, keep_default_na=False, dtype=str)
    frame = frame.drop(columns=["wall_time"], errors="ignore")
    keys = ["run_id", "month"] if "month" in frame else ["run_id"]
    frame[keys] = frame[keys].astype(int)
    return frame.sort_values(keys).reset_index(drop=True)


def same_results(a: Path, b: Path) -> None:
    pd.testing.assert_frame_equal(table(a, "runs.csv"), table(b, "runs.csv"))
    pd.testing.assert_frame_equal(table(a, "measures.csv"), table(b, "measures.csv"))


def spec(text: str) -> SweepSpec:
    """The validated spec of sweep-file text."""
    return parse_sweep(tomllib.loads(text), "test")


def read_recorded(folder: Path) -> dict[int, Status]:
    """Recorded runs of a sweep folder, ``{run_id: status}``, from the complete records of
    its ``runs.csv`` (read as it is, without the design: for watching a running sweep)."""
    table = RunTable(Path(folder) / RUNS_FILE)
    out: dict[int, Status] = {}
    status_col = -1
    for _, row in table.rows():
        if status_col < 0:
            status_col = (table.header or []).index("status")
        with contextlib.suppress(ValueError):
            out[int(row[0])] = DONE if row[status_col] == DONE else FAILED
    return out


def failing_model(hook: Callable[[int], None], root_seed: int = SEED, runs: int = 1000
                  ) -> Callable[..., TalentMarket]:
    """The model class, but calling ``hook(run_id)`` before each model of a sweep run is built
    (``hook`` raises to make that run fail, or interrupts, or kills its process).

    A sweep run builds ``TalentMarket(scenario, seed=run_seed(root_seed, run_id), ...)``; the
    run is found from its seed among the first ``runs`` runs of a sweep with root seed
    ``root_seed`` (their seeds are distinct). A model with another seed is built as it is.
    """
    ids = {run_seed(root_seed, run_id): run_id for run_id in range(runs)}
    assert len(ids) == runs, "two runs share a seed"

    def build(*args: Any, seed: int | None = None, **kwargs: Any) -> TalentMarket:
        if seed in ids:
            hook(ids[seed])
        return TalentMarket(*args, seed=seed, **kwargs)

    return build


def fail_runs(monkeypatch: pytest.MonkeyPatch, hook: Callable[[int], None] | None) -> None:
    """Make sweep runs call ``hook(run_id)`` before their model is built (None: no longer).

    A run imports ``sim.model.TalentMarket`` when it starts, so this replaces it with
    :func:`failing_model`'s wrapper until the test ends: in this process (serial sweeps) and
    in worker processes forked after it is set.
    """
    monkeypatch.setattr(sim.model, "TalentMarket",
                        TalentMarket if hook is None else failing_model(hook))
