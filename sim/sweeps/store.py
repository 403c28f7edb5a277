"""The sweep folder: a streamed, resumable store of a sweep's runs.

``sweep.json`` (:data:`SWEEP_FILE`)
    the sweep file, the resolved base scenario, the design (every point), versions;
``runs.csv`` (:data:`RUNS_FILE`)
    one row per finished run: run id, design point, replicate, seed, parameter values,
    status (``done`` or ``failed``), wall time, error;
``measures.csv`` (:data:`MEASURES_FILE`)
    the tidy table of kept measures: run id, month, one column per kept measure;
``sensitivity.csv`` (:data:`SENSITIVITY_FILE`)
    Sobol or Morris indices (Sobol/Morris designs only, written by
    :func:`sim.sweeps.analysis.write_sensitivity`).

Writing and resume
------------------
The sweep process appends a finished run's measure rows to ``measures.csv`` first, then its
row to ``runs.csv`` (each one ``write`` and flush, :class:`SweepWriter`): a run counts as
recorded once its ``runs.csv`` row is complete. On resume, :func:`keep_recorded` drops
measure rows of unrecorded runs (and a half-written last line), so only the missing runs
run again. Nothing is held in memory beyond the runs in flight. One process at a time
writes a folder (:func:`locked`).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fcntl
import io
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Final, TextIO

from sim.errors import UserError

# sim.output.run's writers and version stamps move to sim.output.rundir (issue 8).
from sim.output.rundir import atomic_write_text, git_commit, versions
from sim.sweeps.designs import Point, point_overrides, run_seed, salib_problem
from sim.sweeps.spec import SweepSpec, parse_sweep
from sim.sweeps.worker import DONE, FAILED, Job, RunResult, RunTask, Status

RUNS_FILE: Final = "runs.csv"
MEASURES_FILE: Final = "measures.csv"
SWEEP_FILE: Final = "sweep.json"
SENSITIVITY_FILE: Final = "sensitivity.csv"
LOCK_FILE: Final = ".lock"

#: Recorded runs of a folder: the status of each run id with a complete ``runs.csv`` row.
Recorded = dict[int, Status]


@dataclass
class Plan:
    """A validated sweep ready to run: spec, base scenario, design points and runs."""

    spec: SweepSpec
    raw: dict[str, Any]
    source: str
    base_path: str
    base: dict[str, Any]
    points: list[Point]
    matrix: list[list[float]] | None

    @property
    def keys(self) -> list[str]:
        """Parameter keys, in sweep-file order."""
        return [p.key for p in self.spec.parameters]

    @property
    def total(self) -> int:
        """Number of runs: points x replicates."""
        return len(self.points) * self.spec.replicates

    def job(self) -> Job:
        """The shared part of every run."""
        return Job(self.base, f"{self.base_path} (sweep {self.source})",
                   tuple(self.spec.measures))

    def tasks(self, skip: Iterable[int] = ()) -> Iterator[RunTask]:
        """The runs in id order, ``run_id = point * replicates + replicate``, minus ``skip``."""
        skip = set(skip)
        reps = self.spec.replicates
        for point, values in enumerate(self.points):
            overrides = tuple(point_overrides(values))
            for rep in range(reps):
                run_id = point * reps + rep
                if run_id not in skip:
                    yield RunTask(run_id, point, rep, run_seed(self.spec.seed, run_id),
                                  overrides)

    def manifest(self) -> dict[str, Any]:
        """What ``sweep.json`` records."""
        found = versions()
        for dist in ("SALib", "tqdm", "dask", "distributed"):
            with contextlib.suppress(Exception):
                found[dist] = metadata.version(dist)
        return {
            "sweep_file": self.source,
            "sweep": self.raw,
            "base_file": self.base_path,
            "base_scenario": self.base,
            "design": {
                "kind": self.spec.design.kind,
                "parameters": self.keys,
                "points": self.points,
                "matrix": self.matrix,
                "salib_problem": salib_problem(self.spec.parameters),
                "replicates": self.spec.replicates,
                "runs": self.total,
                "root_seed": self.spec.seed,
                "run_id": "point * replicates + replicate",
                "seed": "SeedSequence(root_seed, spawn_key=(run_id,)).generate_state(1, "
                        "uint32)[0]",
            },
            "versions": found,
            "git_commit": git_commit(),
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }


def write_manifest(folder: Path, plan: Plan) -> None:
    """Write ``sweep.json`` (:meth:`Plan.manifest`) atomically."""
    atomic_write_text(folder / SWEEP_FILE, json.dumps(plan.manifest(), indent=2) + "\n")


def load_plan(folder: Path) -> Plan:
    """The plan of an existing sweep folder, from its ``sweep.json`` alone (the base
    scenario as resolved when the sweep started, not the file as it is now)."""
    path = Path(folder) / SWEEP_FILE
    if not path.is_file():
        raise UserError(f"{folder}: not a sweep folder (no {SWEEP_FILE})")
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise UserError(f"{path}: not valid JSON: {err}") from None
    spec = parse_sweep(manifest["sweep"], f"{path} (sweep)")
    design = manifest["design"]
    return Plan(spec, manifest["sweep"], manifest["sweep_file"], manifest["base_file"],
                manifest["base_scenario"], design["points"], design["matrix"])


# --------------------------------------------------------------------------- CSV files


def _format(value: Any) -> str:
    """A cell as text: None and NaN empty, booleans true/false, floats by ``repr``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def _csv_line(values: Sequence[Any]) -> str:
    """One CSV line (newline-terminated) of the cells ``values``."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([_format(v) for v in values])
    return buffer.getvalue()


def runs_header(plan: Plan) -> list[str]:
    """Columns of ``runs.csv``."""
    return ["run_id", "point", "replicate", "seed", *plan.keys, "status", "wall_time",
            "error"]


def measures_header(plan: Plan) -> list[str]:
    """Columns of ``measures.csv``."""
    return ["run_id", "month", *(m.out for m in plan.spec.measures)]


def _complete_lines(path: Path) -> Iterator[str]:
    """The complete (newline-terminated) lines of a file; a torn last line is skipped."""
    with path.open(newline="") as handle:
        for line in handle:
            if line.endswith("\n"):
                yield line


def read_recorded(folder: Path) -> Recorded:
    """Recorded runs of a sweep folder: ``{run_id: status}`` from complete rows of runs.csv."""
    path = folder / RUNS_FILE
    if not path.is_file():
        return {}
    out: Recorded = {}
    lines = _complete_lines(path)
    header = next(csv.reader([next(lines, "")]), [])
    if not header:
        return {}
    status_col = header.index("status")
    for row in csv.reader(lines):
        if len(row) == len(header):
            out[int(row[0])] = DONE if row[status_col] == DONE else FAILED
    return out


def _rewrite_filtered(path: Path, header: list[str], keep: Callable[[list[str]], bool]) -> None:
    """Rewrite a CSV keeping the header and the complete rows ``keep`` accepts (streaming,
    then an atomic rename). Adds the header if the file is missing or empty."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("w", newline="") as out:
        out.write(_csv_line(header))
        if path.is_file():
            lines = _complete_lines(path)
            old = next(csv.reader([next(lines, "")]), [])
            if old and old != header:
                tmp.unlink()
                raise UserError(f"{path}: columns {old} do not match the sweep's {header}")
            for line in lines:
                row = next(csv.reader([line]))
                if len(row) == len(header) and keep(row):
                    out.write(line)
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(path)


def keep_recorded(folder: Path, plan: Plan, *, retry_failed: bool = False) -> Recorded:
    """Make the folder's tables hold exactly its recorded runs, and return them.

    ``runs.csv`` keeps its complete rows (with ``retry_failed``, only those of done runs);
    ``measures.csv`` keeps the rows of recorded done runs; a torn last line goes; missing
    files are created with their header.
    """
    recorded = read_recorded(folder)
    if retry_failed:
        recorded = {k: v for k, v in recorded.items() if v == DONE}
    _rewrite_filtered(folder / RUNS_FILE, runs_header(plan),
                      lambda row: int(row[0]) in recorded)
    _rewrite_filtered(folder / MEASURES_FILE, measures_header(plan),
                      lambda row: recorded.get(int(row[0])) == DONE)
    return recorded


class SweepWriter:
    """Appends finished runs to ``measures.csv`` then ``runs.csv`` (flushed, one write each)."""

    def __init__(self, folder: Path, plan: Plan) -> None:
        self.plan = plan
        self.runs: TextIO = (folder / RUNS_FILE).open("a", newline="")
        self.measures: TextIO = (folder / MEASURES_FILE).open("a", newline="")

    def write(self, task: RunTask, result: RunResult) -> None:
        """Record one finished run: its measure rows first, then its runs.csv row."""
        if result.rows:
            self.measures.write("".join(_csv_line([task.run_id, *row])
                                        for row in result.rows))
            self.measures.flush()
        point = self.plan.points[task.point]
        row = [task.run_id, task.point, task.replicate, task.seed,
               *(point[k] for k in self.plan.keys), result.status,
               round(result.wall_time, 4), result.error]
        self.runs.write(_csv_line(row))
        self.runs.flush()

    def close(self) -> None:
        """Flush to disk and close both files."""
        for handle in (self.measures, self.runs):
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the sweep folder (a POSIX record lock: released when this
    process ends, however it ends, and not inherited by forked workers)."""
    handle = (folder / LOCK_FILE).open("w")
    try:
        fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise UserError(f"{folder}: another sweep process is writing this folder") from None
    try:
        yield
    finally:
        fcntl.lockf(handle, fcntl.LOCK_UN)
        handle.close()
        with contextlib.suppress(OSError):
            (folder / LOCK_FILE).unlink()
