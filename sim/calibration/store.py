"""The calibration folder's store: a streamed, resumable record of every run and point.

``calibration.json`` (:data:`MANIFEST_FILE`)
    the calibration file (raw), the resolved base scenario, versions, git commit;
``runs.csv`` (:data:`RUNS_FILE`)
    one row per finished run, appended as it finishes: run id, point, replicate, seed, the
    parameter values, status, wall time, error, one column per moment;
``points.csv`` (:data:`POINTS_FILE`)
    one row per evaluated point: point, stage, parameter values, objective J, runs complete (every
    moment defined).

Both are :class:`sim.files.RunTable` tables, with their damage rule: a run counts as
recorded once its row is complete; on resume :func:`read_runs` drops a torn last record
(and says so) and refuses any other damage, naming the file and the line. The rows read
back are the cache of the estimation, which replays deterministically (the same points in
the same order) and runs only what is missing. Floats are written with ``repr``, so they
read back bit for bit.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

from sim.calibration.worker import MomentResult
from sim.errors import log
from sim.files import RunTable, TableDamage, lock_folder
from sim.sweeps.worker import RunTask

MANIFEST_FILE: Final = "calibration.json"
RUNS_FILE: Final = "runs.csv"
POINTS_FILE: Final = "points.csv"

RUN_COLUMNS: Final = ("run_id", "point", "replicate", "seed")
RUN_TAIL: Final = ("status", "wall_time", "error")


def cell(value: float) -> str:
    """A float as a CSV cell: ``repr`` (exact round trip), empty for NaN."""
    return "" if math.isnan(value) else repr(float(value))


def number(text: str) -> float:
    """A CSV cell back as a float (empty: NaN)."""
    return float(text) if text else math.nan


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on the calibration folder (the sweep store's lock)."""
    with lock_folder(folder, "calibration"):
        yield


def run_header(keys: Sequence[str], moments: Sequence[str]) -> list[str]:
    """Columns of ``runs.csv``."""
    return [*RUN_COLUMNS, *keys, *RUN_TAIL, *moments]


def run_row(task: RunTask, values: Sequence[float], result: MomentResult) -> list[str]:
    """A ``runs.csv`` row."""
    moments = [cell(v) for v in result.values]
    return [str(task.run_id), str(task.point), str(task.replicate), str(task.seed),
            *(cell(v) for v in values), result.status, f"{result.wall_time:.4f}",
            result.error, *moments]


#: A recorded run: (point values, replicate) -> (status, moment values).
Cache = dict[tuple[tuple[float, ...], int], tuple[str, tuple[float, ...]]]


def read_runs(folder: Path, keys: Sequence[str], moments: Sequence[str]) -> Cache:
    """The records of ``runs.csv`` as a cache.

    A torn last record is dropped (a warning on standard error says so, and the file is
    rewritten without it); any other damage, a record whose cells are not numbers where
    numbers belong included, is refused with :class:`sim.files.TableDamage`.
    """
    table = RunTable(folder / RUNS_FILE, run_header(keys, moments))
    cache: Cache = {}
    k = len(keys)
    first = len(RUN_COLUMNS)
    for line, row in table.rows():
        try:
            point = tuple(float(x) for x in row[first:first + k])
            replicate = int(row[2])
            values = tuple(number(x) for x in row[first + k + len(RUN_TAIL):])
        except ValueError as err:
            raise TableDamage(table.path, line, f"not a run record ({err})") from None
        cache[(point, replicate)] = (row[first + k], values)
    if table.dropped:
        log.warning("%s", table.dropped)
        table.rewrite(lambda row: True)
    return cache
