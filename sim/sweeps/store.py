"""The sweep folder: a streamed, resumable store of a sweep's runs.

``sweep.json`` (:data:`sim.sweeps.plan.SWEEP_FILE`)
    the sweep file, the resolved base scenario, the design (every point), versions
    (:mod:`sim.sweeps.plan`: :class:`~sim.sweeps.plan.Plan`, written and checked);
``runs.csv`` (:data:`RUNS_FILE`)
    one row per finished run: run id, design point, replicate, seed, parameter values,
    status (``done`` or ``failed``), wall time, error;
``measures.csv`` (:data:`MEASURES_FILE`)
    the tidy table of kept measures: run id, month, one column per kept measure;
``sensitivity.csv`` (:data:`SENSITIVITY_FILE`)
    Sobol or Morris indices (Sobol/Morris designs only, written by
    :func:`sim.sweeps.analysis.write_sensitivity`);
``status.json`` (:data:`STATUS_FILE`)
    the completion marker: ``complete`` is true only once every run of the design is
    recorded exactly once and the tables were checked (:func:`write_status`).

Writing and resume
------------------
The sweep process appends a finished run's measure rows to ``measures.csv`` first, then its
row to ``runs.csv`` (each one ``write`` and flush, :class:`SweepWriter`, with the ``csv``
module's quoting, so a cell may hold commas, quotes and newlines): a run counts as recorded
once its ``runs.csv`` row is complete. Both tables are read back record by record with the
``csv`` module (:func:`scan_store`), never line by line: a quoted newline stays inside its
cell, and a half-written last record (a kill mid-write) is recognised and dropped. On
resume, :func:`scan_store` checks every record against the design (run id, point,
replicate, seed, parameter values) and refuses a damaged or foreign table before anything
is written; :func:`keep_recorded` then rewrites the tables to hold exactly the recorded runs
(measure rows of unrecorded runs and torn records go; a run recorded twice is dropped and
runs again, with a warning), so only the missing runs run again. Nothing is held in memory
beyond the runs in flight and one byte per run of the design. One process at a time writes
a folder (:func:`locked`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sim.errors import UserError, log
from sim.files import RunTable, WriteError, lock_folder, write_text
from sim.files.table import Appender, cell, record
from sim.sweeps.designs import run_seed
from sim.sweeps.plan import SWEEP_FILE, Plan
from sim.sweeps.worker import DONE, FAILED, RunResult, RunTask, Status

RUNS_FILE: Final = "runs.csv"
MEASURES_FILE: Final = "measures.csv"
SENSITIVITY_FILE: Final = "sensitivity.csv"
STATUS_FILE: Final = "status.json"

#: Codes of a run's state in a :class:`Recorded` table (one byte per run of the design).
_NONE, _DONE, _FAILED = 0, 1, 2


# --------------------------------------------------------------------------- CSV files


def runs_header(plan: Plan) -> list[str]:
    """Columns of ``runs.csv``."""
    return ["run_id", "point", "replicate", "seed", *plan.keys, "status", "wall_time",
            "error"]


def measures_header(plan: Plan) -> list[str]:
    """Columns of ``measures.csv``."""
    return ["run_id", "month", *(m.out for m in plan.spec.measures)]


def _int(text: str, path: Path, line: int, column: str) -> int:
    """A whole-number cell, or a :class:`UserError` naming the file, line and column."""
    try:
        return int(text)
    except ValueError:
        raise UserError(f"{path}: line {line}: {column}: expected a whole number, got "
                        f"{text[:40]!r}; the table is damaged") from None


class Recorded(Mapping[int, Status]):
    """The recorded runs of a sweep folder: ``{run_id: status}``, one byte per run of the
    design (so a sweep of millions of runs needs megabytes, not gigabytes)."""

    def __init__(self, total: int) -> None:
        self.codes = bytearray(total)
        self.count = 0

    def set(self, run_id: int, status: Status) -> None:
        """Record ``run_id`` with ``status``."""
        if not self.codes[run_id]:
            self.count += 1
        self.codes[run_id] = _DONE if status == DONE else _FAILED

    def drop(self, run_id: int) -> None:
        """Forget ``run_id``."""
        if self.codes[run_id]:
            self.count -= 1
            self.codes[run_id] = _NONE

    def __getitem__(self, run_id: int) -> Status:
        if not isinstance(run_id, int) or not 0 <= run_id < len(self.codes) or not self.codes[
                run_id]:
            raise KeyError(run_id)
        return DONE if self.codes[run_id] == _DONE else FAILED

    def __contains__(self, run_id: object) -> bool:
        return (isinstance(run_id, int) and 0 <= run_id < len(self.codes)
                and bool(self.codes[run_id]))

    def __iter__(self) -> Iterator[int]:
        return (k for k, code in enumerate(self.codes) if code)

    def __len__(self) -> int:
        return self.count

    @property
    def done(self) -> int:
        """Runs recorded as done."""
        return self.codes.count(_DONE)

    @property
    def failed(self) -> int:
        """Runs recorded as failed."""
        return self.codes.count(_FAILED)


@dataclass
class StoreScan:
    """What the tables of a sweep folder hold, checked against its design
    (:func:`scan_store`)."""

    recorded: Recorded
    redo: set[int] = field(default_factory=set)  # runs whose records must go (and rerun)
    problems: list[str] = field(default_factory=list)  # why, one line each
    torn: list[str] = field(default_factory=list)  # files whose torn last record was dropped
    stray: int = 0  # measure rows of runs not recorded as done
    runs_records: int = 0  # complete records of runs.csv (duplicates included)
    measures_records: int = 0  # complete records of measures.csv
    headers: bool = True  # both files exist with their header

    @property
    def clean(self) -> bool:
        """Whether the tables hold their recorded runs and nothing else."""
        return (not self.redo and not self.torn and not self.stray and self.headers
                and self.runs_records == len(self.recorded))

    @property
    def kept(self) -> int:
        """Runs that stay recorded once the tables are repaired."""
        return len(self.recorded) - len(self.redo & set(self.recorded))


def _describe(ids: set[int]) -> str:
    shown = sorted(ids)[:10]
    more = f" and {len(ids) - 10:,} more" if len(ids) > 10 else ""
    return ", ".join(map(str, shown)) + more


def scan_store(folder: Path, plan: Plan) -> StoreScan:
    """Read ``runs.csv`` and ``measures.csv`` of a sweep folder and check them against the
    plan; write nothing.

    Every ``runs.csv`` record must be a run of the design (``0 <= run_id < total``) with
    its point, replicate, seed and parameter values, and status ``done`` or ``failed``;
    every ``measures.csv`` record a run id of the design and a whole month. A record that
    breaks these rules means the folder was edited or mixes sweeps: a :class:`UserError`
    naming the file and the line. Repairable faults are collected instead: torn last
    records, measure rows of runs not recorded (a run cut short), and runs to run again —
    recorded more than once, with measure rows in two separate blocks, recorded done
    without measure rows, or with fewer than its months and measures give
    (:func:`measure_rows`).
    """
    folder = Path(folder)
    total = plan.total
    reps = plan.spec.replicates
    recorded = Recorded(total)
    scan = StoreScan(recorded)
    runs = RunTable(folder / RUNS_FILE, runs_header(plan))
    keys = plan.keys
    times = bytearray(total)  # records of each run (capped at 2)
    for line, row in runs.rows():
        run_id = _int(row[0], runs.path, line, "run_id")
        if not 0 <= run_id < total:
            raise UserError(f"{runs.path}: line {line}: run {run_id} is not a run of the "
                            f"design in {SWEEP_FILE} (runs 0 to {total - 1}); the folder was "
                            "edited or mixes sweeps")
        point, rep = divmod(run_id, reps)
        values = plan.points[point]
        expected = [str(point), str(rep), str(run_seed(plan.spec.seed, run_id)),
                    *(cell(values[k]) for k in keys)]
        if row[1:4 + len(keys)] != expected:
            raise UserError(f"{runs.path}: line {line}: run {run_id} has point, replicate, "
                            f"seed and parameters {row[1:4 + len(keys)]}, but the design in "
                            f"{SWEEP_FILE} gives {expected}; the folder was edited or mixes "
                            "sweeps")
        status = row[4 + len(keys)]
        if status not in (DONE, FAILED):
            raise UserError(f"{runs.path}: line {line}: status {status[:40]!r}, expected "
                            f"{DONE!r} or {FAILED!r}; the table is damaged")
        times[run_id] = min(times[run_id] + 1, 2)
        if times[run_id] == 1:
            recorded.set(run_id, DONE if status == DONE else FAILED)
        else:
            scan.redo.add(run_id)
    scan.runs_records = runs.records
    if runs.dropped:
        scan.torn.append(runs.dropped)
    twice = set(scan.redo)
    if twice:
        scan.problems.append(f"{runs.path}: run(s) {_describe(twice)} recorded more than "
                             "once")
    measures = RunTable(folder / MEASURES_FILE, measures_header(plan))
    blocks = bytearray(total)  # separate blocks of rows of each run (capped at 2)
    counts = [0] * total  # measure rows of each run
    last = -1
    for line, row in measures.rows():
        run_id = _int(row[0], measures.path, line, "run_id")
        _int(row[1], measures.path, line, "month")
        if not 0 <= run_id < total:
            raise UserError(f"{measures.path}: line {line}: run {run_id} is not a run of the "
                            f"design in {SWEEP_FILE} (runs 0 to {total - 1}); the folder was "
                            "edited or mixes sweeps")
        if run_id != last:
            blocks[run_id] = min(blocks[run_id] + 1, 2)
            last = run_id
        counts[run_id] += 1
        if recorded.codes[run_id] != _DONE:
            scan.stray += 1
    scan.measures_records = measures.records
    if measures.dropped:
        scan.torn.append(measures.dropped)
    scan.headers = runs.header is not None and measures.header is not None
    split = {k for k, code in enumerate(recorded.codes) if code == _DONE and blocks[k] > 1}
    empty = {k for k, code in enumerate(recorded.codes) if code == _DONE and not blocks[k]}
    if split - twice:
        scan.problems.append(f"{measures.path}: run(s) {_describe(split - twice)} have measure "
                             "rows in two places (written twice)")
    if empty - twice:
        scan.problems.append(f"{measures.path}: run(s) {_describe(empty - twice)} are recorded "
                             f"done in {RUNS_FILE} but have no measure rows")
    wanted = [measure_rows(plan, point) for point in plan.points]
    short = {k for k, code in enumerate(recorded.codes)
             if code == _DONE and 0 < counts[k] < wanted[k // reps]} - twice - split
    if short:
        scan.problems.append(f"{measures.path}: run(s) {_describe(short)} have fewer measure "
                             "rows than their months and measures give (cut short)")
    scan.redo |= split | empty | short
    return scan


def measure_rows(plan: Plan, point: Mapping[str, Any]) -> int:
    """The measure rows of a done run at ``point`` (:func:`sim.sweeps.worker.
    extract_measures`): the months 0 to M of its series measures, month M of its final
    ones and the last month of each mean's window, M its horizon (the point's ``months``
    if it is a parameter, else the base scenario's)."""
    horizon = int(point.get("months", plan.base["months"]))
    months: set[int] = set()
    for m in plan.spec.measures:
        if m.keep == "series":
            months.update(range(horizon + 1))
        elif m.keep == "final":
            months.add(horizon)
        else:
            months.add(m.span[1])
    return len(months)


def keep_recorded(folder: Path, plan: Plan, *, retry_failed: bool = False,
                  scan: StoreScan | None = None) -> Recorded:
    """Make the folder's tables hold exactly its recorded runs, each once, and return them.

    ``scan`` is :func:`scan_store`'s reading of the folder (read again if not given; a
    damaged table is refused before anything is written). ``runs.csv`` keeps the first
    record of each recorded run (with ``retry_failed``, of done runs only); ``measures.csv``
    the rows of recorded done runs; torn records go; runs recorded twice, or done without
    their measure rows (all or some), lose their records and run again (a warning on
    standard error says so); missing files are created with their header. Files that need
    no change are not rewritten.
    """
    folder = Path(folder)
    scan = scan or scan_store(folder, plan)
    recorded = scan.recorded
    for problem in scan.problems:
        log.warning("%s: those runs are dropped and run again", problem)
    for dropped in scan.torn:
        log.warning("%s", dropped)
    for run_id in scan.redo:
        recorded.drop(run_id)
    dropped_failed = False
    if retry_failed:
        for run_id in [k for k, code in enumerate(recorded.codes) if code == _FAILED]:
            recorded.drop(run_id)
            dropped_failed = True
    if scan.clean and not dropped_failed:
        return recorded
    codes = recorded.codes
    seen = bytearray(len(codes))

    def first_record(row: list[str]) -> bool:
        run_id = int(row[0])
        if not codes[run_id] or seen[run_id]:
            return False
        seen[run_id] = 1
        return True

    RunTable(folder / RUNS_FILE, runs_header(plan)).rewrite(first_record)
    RunTable(folder / MEASURES_FILE, measures_header(plan)).rewrite(
        lambda row: codes[int(row[0])] == _DONE)
    return recorded


# --------------------------------------------------------------------------- completion


@dataclass(frozen=True)
class SweepState:
    """How far a sweep folder is: runs of the design, recorded (done and failed), and
    whether it is marked complete."""

    total: int
    recorded: int
    done: int
    failed: int
    complete: bool

    @property
    def partial(self) -> bool:
        """Whether runs of the design are missing (or the sweep was never marked complete)."""
        return not self.complete

    def describe(self) -> str:
        """``"29 of 60 runs recorded"``."""
        return f"{self.recorded:,} of {self.total:,} runs recorded"


def write_status(folder: Path, state: SweepState) -> None:
    """Write ``status.json`` atomically: ``complete`` (true only for a finished, checked
    sweep), the run counts and the time.

    If the atomic write fails (a full disk has no room for a second copy), a marker saying
    "not complete" is written over the old one in place (it takes no more room); a marker
    damaged by a write cut short counts as not complete (:func:`marked_complete`).
    """
    data = {"complete": state.complete, "runs": state.total, "recorded": state.recorded,
            "done": state.done, "failed": state.failed,
            "updated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    text = json.dumps(data, indent=2) + "\n"
    path = Path(folder) / STATUS_FILE
    try:
        write_text(path, text, what="the sweep's status.json")
    except WriteError:
        if state.complete or not path.is_file():
            raise
        try:
            with path.open("r+", encoding="utf-8") as handle:
                handle.write(text)
                handle.truncate()
        except OSError:
            raise WriteError(path, "no room to update it in place either",
                             "the sweep's status.json") from None


def marked_complete(folder: Path) -> bool:
    """Whether ``status.json`` marks the folder complete. A folder without it (written
    before the marker existed) counts as complete when every run is recorded; a damaged
    marker counts as not complete."""
    path = Path(folder) / STATUS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return True
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and data.get("complete") is True


def sweep_state(folder: Path, plan: Plan) -> SweepState:
    """The state of a sweep folder from its tables (:func:`scan_store`, which refuses
    damaged tables) and its completion marker (:func:`marked_complete`)."""
    scan = scan_store(folder, plan)
    recorded = scan.recorded
    for run_id in scan.redo:
        recorded.drop(run_id)
    n = len(recorded)
    complete = n == plan.total and not scan.redo and marked_complete(folder)
    return SweepState(plan.total, n, recorded.done, recorded.failed, complete)


# --------------------------------------------------------------------------- writing


class SweepWriter:
    """Appends finished runs to ``measures.csv`` then ``runs.csv`` (flushed, one write each)."""

    def __init__(self, folder: Path, plan: Plan) -> None:
        self.plan = plan
        self.runs = Appender(folder / RUNS_FILE)
        self.measures = Appender(folder / MEASURES_FILE)

    def write(self, task: RunTask, result: RunResult) -> None:
        """Record one finished run: its measure rows first, then its runs.csv row."""
        if result.rows:
            self.measures.write("".join(record([task.run_id, *row]) for row in result.rows))
        point = self.plan.points[task.point]
        self.runs.append([task.run_id, task.point, task.replicate, task.seed,
                          *(point[k] for k in self.plan.keys), result.status,
                          round(result.wall_time, 4), result.error])

    def close(self) -> None:
        """Flush to disk and close both files."""
        self.measures.close()
        self.runs.close()


def locked(folder: Path, what: str = "sweep") -> contextlib.AbstractContextManager[None]:
    """Hold the lock of a sweep (or calibration: ``what``) folder: one process at a time
    writes it (:func:`sim.files.lock_folder`)."""
    return lock_folder(folder, what)
