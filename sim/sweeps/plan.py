"""A sweep's plan and ``sweep.json`` (:data:`SWEEP_FILE`), the record of it in the folder.

:class:`Plan` is a validated sweep ready to run: the sweep file, the resolved base scenario,
every design point and the runs (``run_id = point * replicates + replicate``, each with its
seed). ``sweep.json`` records the sweep file, the resolved base scenario, the design (every
point), versions (:meth:`Plan.manifest`, written by :func:`write_manifest`);
:func:`load_plan` reads it back and checks every part, so a resume or a report works from
the sweep as it started, not from the files as they are now. The tables of runs are
:mod:`sim.sweeps.store`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sim.errors import UserError
from sim.files import git_commit, left_by_a_kill, versions, write_text
from sim.files.folders import LOCK_FILE
from sim.scenario import validate
from sim.sweeps.designs import Point, point_count, point_overrides, run_seed, salib_problem
from sim.sweeps.spec import SpecPlan, SweepSpec, parse_sweep
from sim.sweeps.worker import Job, RunTask

SWEEP_FILE: Final = "sweep.json"


@dataclass
class Plan(SpecPlan[SweepSpec]):
    """A validated sweep ready to run: the sweep file's parts (:class:`SpecPlan`), its
    design points and runs (``matrix``: a sampled design's sample matrix in design space,
    :func:`~sim.sweeps.designs.design_matrix`; ``None`` for a grid)."""

    points: list[Point]
    matrix: list[list[float]] | None

    @property
    def total(self) -> int:
        """Number of runs: points x replicates."""
        return len(self.points) * self.spec.replicates

    def job(self) -> Job:
        """The shared part of every run."""
        return Job(self.base, f"{self.base_path} (sweep {self.source})",
                   tuple(self.spec.measures))

    def tasks(self, skip: Container[int] = ()) -> Iterator[RunTask]:
        """The runs in id order, ``run_id = point * replicates + replicate``, minus ``skip``."""
        reps = self.spec.replicates
        for point, values in enumerate(self.points):
            overrides = tuple(point_overrides(values).items())
            for rep in range(reps):
                run_id = point * reps + rep
                if run_id not in skip:
                    yield RunTask(run_id, point, rep, run_seed(self.spec.seed, run_id),
                                  overrides)

    def manifest(self) -> dict[str, Any]:
        """What ``sweep.json`` records."""
        found = versions(extra=("tqdm", "dask", "distributed"))
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
    write_text(folder / SWEEP_FILE, json.dumps(plan.manifest(), indent=2) + "\n",
               what="the sweep's sweep.json")


def _field(table: Mapping[str, Any], key: str, kind: type, path: Path, where: str,
           expected: str) -> Any:
    """``table[key]``, which must be of ``kind``; a :class:`UserError` naming the file and
    the key otherwise."""
    if key not in table:
        raise UserError(f"{path}: {where}{key}: required key is missing; {SWEEP_FILE} is "
                        "damaged")
    value = table[key]
    if not isinstance(value, kind):
        raise UserError(f"{path}: {where}{key}: expected {expected}, got "
                        f"{type(value).__name__}; {SWEEP_FILE} is damaged")
    return value


def load_plan(folder: Path) -> Plan:
    """The plan of an existing sweep folder, from its ``sweep.json`` alone (the base
    scenario as resolved when the sweep started, not the file as it is now).

    Every part of ``sweep.json`` is checked: the sweep file's contents against the schema,
    the base scenario against the scenario schema, and the design against the sweep (as many
    points as the design has, each with a value of every parameter within its range or
    list, a design matrix of the same shape). Raises :class:`UserError` naming the file
    and the key of the first problem.
    """
    folder = Path(folder)
    path = folder / SWEEP_FILE
    try:
        is_file = path.is_file()
    except (OSError, ValueError) as err:
        raise UserError(f"{folder}: cannot read this folder: {err}") from None
    if not is_file:
        raise UserError(f"{folder}: not a sweep folder (no {SWEEP_FILE})" + (
            "; it holds only a lock file (and temporary files), left by a sweep stopped as "
            "it started: run the sweep again with this folder as its output"
            if left_by_a_kill(folder, LOCK_FILE) else ""))
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as err:
        raise UserError(f"{path}: not UTF-8 text (byte {err.start}); {SWEEP_FILE} is "
                        "damaged") from None
    except json.JSONDecodeError as err:
        raise UserError(f"{path}: not valid JSON: {err}") from None
    except RecursionError:
        raise UserError(f"{path}: nested too deeply to read; {SWEEP_FILE} is damaged") from None
    except OSError as err:
        raise UserError(f"{path}: cannot read it: {err.strerror or err}") from None
    if not isinstance(manifest, dict):
        raise UserError(f"{path}: expected a JSON object, got {type(manifest).__name__}; "
                        f"{SWEEP_FILE} is damaged")
    raw = _field(manifest, "sweep", dict, path, "", "a table (the sweep file's contents)")
    spec = parse_sweep(raw, f"{path} (sweep)", saved=True)
    source = _field(manifest, "sweep_file", str, path, "", "a file name")
    base_file = _field(manifest, "base_file", str, path, "", "a file name")
    base = _field(manifest, "base_scenario", dict, path, "", "a table (the base scenario)")
    try:
        validate(base, f"{path} (base_scenario)")
    except UserError as err:
        raise UserError(f"{path}: base_scenario: not a valid scenario; {SWEEP_FILE} is "
                        f"damaged:\n{err}") from None
    design = _field(manifest, "design", dict, path, "", "a table")
    points = _field(design, "points", list, path, "design.", "a list of design points")
    matrix = design.get("matrix")
    expected = point_count(spec)
    if len(points) != expected:
        raise UserError(f"{path}: design.points: {len(points):,} points, but the sweep's "
                        f"design has {expected:,}; {SWEEP_FILE} was edited or is damaged")
    runs = design.get("runs", expected * spec.replicates)
    if runs != expected * spec.replicates:
        raise UserError(f"{path}: design.runs: {runs!r}, but the design has "
                        f"{expected * spec.replicates:,} runs; {SWEEP_FILE} was edited or is "
                        "damaged")
    _check_points(path, spec, points)
    if spec.design.kind == "grid":
        matrix = None
    elif not (isinstance(matrix, list) and len(matrix) == expected and all(
            isinstance(row, list) and len(row) == len(spec.parameters)
            and all(isinstance(u, int | float) and not isinstance(u, bool) for u in row)
            for row in matrix)):
        raise UserError(f"{path}: design.matrix: expected {expected:,} rows of "
                        f"{len(spec.parameters)} numbers; {SWEEP_FILE} is damaged")
    return Plan(spec, raw, source, base_file, base, points, matrix)


def _check_points(path: Path, spec: SweepSpec, points: list[Any]) -> None:
    """Each point of ``design.points`` is a table of every parameter's value, each value one
    of a list parameter's values or a number in a range parameter's range."""
    keys = [p.key for p in spec.parameters]
    allowed = {p.key: {json.dumps(v) for v in p.values} for p in spec.parameters
               if p.values is not None}
    for n, point in enumerate(points):
        problem = None
        if not isinstance(point, dict) or sorted(point) != sorted(keys):
            problem = f"expected a table of {', '.join(keys)}"
        else:
            for p in spec.parameters:
                value = point[p.key]
                if p.values is not None:
                    if json.dumps(value) not in allowed[p.key]:
                        problem = f"{p.key} = {value!r} is not one of the parameter's values"
                elif isinstance(value, bool) or not isinstance(value, int | float):
                    problem = f"{p.key}: expected a number, got {value!r}"
                elif not p.bounds[0] <= value <= p.bounds[1]:
                    problem = f"{p.key} = {value!r} is outside [{p.bounds[0]}, {p.bounds[1]}]"
                if problem:
                    break
        if problem:
            raise UserError(f"{path}: design.points[{n}]: {problem}; {SWEEP_FILE} was edited "
                            "or is damaged")
