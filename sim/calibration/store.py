"""The calibration folder's store: a streamed, resumable record of every run and point.

``calibration.json`` (:data:`MANIFEST_FILE`)
    the calibration file (raw), the resolved base scenario, versions, git commit;
``runs.csv`` (:data:`RUNS_FILE`)
    one row per finished run, appended as it finishes: run id, point, replicate, seed, the
    parameter values, status, wall time, error, one column per moment;
``points.csv`` (:data:`POINTS_FILE`)
    one row per evaluated point: point, stage, parameter values, objective J, runs complete (every
    moment defined).

Rows are written with the ``csv`` module (quoted where needed) and flushed one by one. A
run counts as recorded once its row is complete; on resume :func:`read_runs` drops a
half-written last line, and the rows read back are the cache of the estimation, which
replays deterministically (the same points in the same order) and runs only what is missing.
Floats are written with ``repr``, so they read back bit for bit.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final, TextIO

from sim.calibration.worker import MomentResult
from sim.errors import UserError
from sim.output.rundir import atomic_write_text
from sim.sweeps.store import locked as lock_folder
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


class CsvAppender:
    """Appends rows to a CSV file, one ``write`` and flush per row (header if new)."""

    def __init__(self, path: Path, header: Sequence[str]) -> None:
        new = not path.is_file() or path.stat().st_size == 0
        self.handle: TextIO = path.open("a", newline="", encoding="utf-8")
        if new:
            self.write(header)

    def write(self, row: Sequence[str]) -> None:
        """Write one row as one ``write`` call, then flush."""
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(row)
        self.handle.write(buffer.getvalue())
        self.handle.flush()

    def close(self) -> None:
        """Close the file."""
        self.handle.close()


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
    """The complete rows of ``runs.csv`` as a cache, and the file rewritten with those rows
    only (a half-written last line or a row of another shape is dropped)."""
    path = folder / RUNS_FILE
    header = run_header(keys, moments)
    cache: Cache = {}
    if not path.is_file():
        return cache
    text = path.read_text(encoding="utf-8")
    if text and not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]  # a killed write leaves a partial last line
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return cache
    if rows[0] != header:
        raise UserError(f"{path}: its columns are not those of this calibration; it was "
                        "written by another calibration file or version")
    kept = [header]
    k = len(keys)
    first = len(RUN_COLUMNS)
    for row in rows[1:]:
        if len(row) != len(header):
            continue
        try:
            point = tuple(float(x) for x in row[first:first + k])
            replicate = int(row[2])
            status = row[first + k]
            values = tuple(number(x) for x in row[first + k + len(RUN_TAIL):])
        except ValueError:
            continue
        cache[(point, replicate)] = (status, values)
        kept.append(row)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(kept)
    atomic_write_text(path, buffer.getvalue(), what="the runs table")
    return cache
