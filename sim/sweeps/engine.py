"""Parameter sweeps: many runs of a scenario over a design, streamed to a resumable folder.

A *sweep file* (TOML) names a base scenario, the parameters to vary (scenario key paths, as
for ``--set``), a design (full grid, random, Latin hypercube, Sobol or Morris), replicates
per design point, and the ``market.csv`` measures to keep. ``talentwar sweep FILE`` runs it
into a *sweep folder*:

``sweep.json``
    the sweep file, the resolved base scenario, the design (every point), versions;
``runs.csv``
    one row per finished run: run id, design point, replicate, seed, parameter values,
    status (``done`` or ``failed``), wall time, error;
``measures.csv``
    the tidy table of kept measures: run id, month, one column per kept measure;
``sensitivity.csv``
    Sobol or Morris indices (Sobol/Morris designs only).

Seeds
-----
Run ``i`` of a sweep with root seed ``R`` has the seed

    seed_i = SeedSequence(R, spawn_key=(i,)).generate_state(1, uint32)[0],

an ``int`` recorded in ``runs.csv``; ``talentwar run BASE --seed seed_i --set ...`` (the run's
overrides) reproduces it exactly. Run ids are ``i = point * replicates + replicate``, so a
run's numbers depend neither on the number of workers, their order nor on a resume. Random
designs draw from ``SeedSequence(R)`` itself (the parent of all run streams).

Writing and resume
------------------
The sweep process appends a finished run's measure rows to ``measures.csv`` first, then its
row to ``runs.csv`` (each one ``write`` and flush): a run counts as recorded once its
``runs.csv`` row is complete. ``--resume DIR`` drops measure rows of unrecorded runs (and a
half-written last line), then runs only the missing runs. Nothing is held in memory beyond
the runs in flight.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fcntl
import io
import itertools
import json
import math
import multiprocessing
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from sim.errors import UserError
from sim.scenario import (
    apply_overrides,
    format_validation_error,
    load_scenario,
    parse_toml_file,
    validate,
)
from sim.scenario.schema import Strict

RUNS_FILE = "runs.csv"
MEASURES_FILE = "measures.csv"
SWEEP_FILE = "sweep.json"
SENSITIVITY_FILE = "sensitivity.csv"
LOCK_FILE = ".lock"
DONE, FAILED = "done", "failed"

Scalar = bool | int | float | str
Window = Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=2, max_length=2)]

# --------------------------------------------------------------------------- the sweep file


class Parameter(Strict):
    """One varied scenario value: a list of values, or a numeric range ``min``..``max``."""

    key: str = Field(description="Scenario key path, as for --set (e.g. compute.threshold).")
    values: Annotated[list[Scalar], Field(min_length=1)] | None = Field(
        None, description="Values to use (numbers, strings or booleans; categorical allowed)."
    )
    min: float | None = Field(None, description="Lower end of a numeric range.")
    max: float | None = Field(None, description="Upper end of a numeric range.")
    steps: Annotated[int, Field(ge=2, le=100_000)] | None = Field(
        None, description="Grid points from min to max inclusive (grid designs)."
    )
    scale: Literal["linear", "log"] = Field(
        "linear", description="Spacing/sampling of a range: linear, or even in log10."
    )
    integer: bool = Field(False, description="Round range values to whole numbers.")
    label: str | None = Field(None, description="Axis label with units, for plots.")

    @model_validator(mode="after")
    def _one_form(self) -> Parameter:
        has_range = self.min is not None or self.max is not None
        if self.values is not None and (has_range or self.steps is not None):
            raise ValueError("give either values or min/max (and steps), not both")
        if self.values is None:
            if self.min is None or self.max is None:
                raise ValueError("give values = [...] or both min and max")
            if not self.min < self.max:
                raise ValueError("min must be below max")
            if self.scale == "log" and self.min <= 0:
                raise ValueError("scale = 'log' needs min > 0")
        elif len({json.dumps(v) for v in self.values}) != len(self.values):
            raise ValueError("values must not repeat")
        if self.key.startswith(".") or self.key.endswith(".") or ".." in self.key:
            raise ValueError("key must be a dotted key path like compute.threshold")
        return self

    @property
    def categorical(self) -> bool:
        """Whether the parameter is a list of values (rather than a range)."""
        return self.values is not None


class Measure(Strict):
    """A ``market.csv`` column to keep: its final value, a window mean, or the whole series."""

    column: str = Field(description="A market.csv column, e.g. top_share_above_threshold.")
    keep: Literal["final", "mean", "series"] = Field(
        "final",
        description="final: value at the last month; mean: mean over `window`; series: all.",
    )
    window: Window | None = Field(
        None, description="[first, last] month (inclusive) of the mean (keep = 'mean')."
    )
    name: str | None = Field(
        None, description="Column name in measures.csv (default: column, or column_mean)."
    )
    label: str | None = Field(None, description="Axis label with units, for plots.")

    @model_validator(mode="after")
    def _window(self) -> Measure:
        if self.keep == "mean":
            if self.window is None:
                raise ValueError("keep = 'mean' needs window = [first_month, last_month]")
            if self.window[0] > self.window[1]:
                raise ValueError("window must be [first, last] with first <= last")
        elif self.window is not None:
            raise ValueError("window is only for keep = 'mean'")
        return self

    @property
    def out(self) -> str:
        """Name of the measure's column in ``measures.csv``."""
        if self.name:
            return self.name
        return f"{self.column}_mean" if self.keep == "mean" else self.column

    @property
    def display(self) -> str:
        """Label for plots."""
        if self.label:
            return self.label
        if self.keep == "mean":
            return f"{self.column} (mean of months {self.window[0]}-{self.window[1]})"
        return self.column


class Design(Strict):
    """How design points are chosen from the parameters."""

    kind: Literal["grid", "random", "latin", "sobol", "morris"] = Field(
        "grid",
        description=(
            "grid: every combination; random: independent uniform draws; latin: Latin "
            "hypercube; sobol: Saltelli/Sobol sample for Sobol indices; morris: Morris "
            "trajectories for elementary effects."
        ),
    )
    samples: Annotated[int, Field(ge=1, le=10_000_000)] | None = Field(
        None,
        description=(
            "random/latin: design points; sobol: base sample N (a power of 2; points = "
            "N(k+2), or N(2k+2) with second_order); morris: trajectories (points = N(k+1))."
        ),
    )
    second_order: bool = Field(False, description="Sobol: also second-order indices.")
    levels: Annotated[int, Field(ge=2, le=1000)] = Field(
        4, description="Morris: grid levels per parameter (even numbers recommended)."
    )
    resamples: Annotated[int, Field(ge=10, le=100_000)] = Field(
        1000, description="Sobol/Morris: bootstrap resamples for the confidence intervals."
    )
    conf_level: Annotated[float, Field(gt=0.0, lt=1.0)] = Field(
        0.95, description="Confidence level of the intervals (Sobol/Morris and plot bands)."
    )

    @model_validator(mode="after")
    def _samples(self) -> Design:
        if self.kind == "grid":
            if self.samples is not None:
                raise ValueError("samples is not used by a grid (use steps or values)")
        elif self.samples is None:
            raise ValueError(f"design kind {self.kind!r} needs samples = N")
        if self.kind == "sobol" and self.samples & (self.samples - 1):
            raise ValueError(f"sobol needs samples a power of 2 (e.g. 64), got {self.samples}")
        return self


class SweepSpec(Strict):
    """A whole sweep file."""

    name: str = Field("sweep", description="Short name; the sweep folder is named after it.")
    description: str = Field("", description="What the sweep asks.")
    base: str = Field(description="Base scenario file, relative to the sweep file.")
    seed: Annotated[int, Field(ge=0)] = Field(0, description="Root seed of the sweep.")
    replicates: Annotated[int, Field(ge=1, le=100_000)] = Field(
        1, description="Runs per design point, each with its own seed."
    )
    months: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        None, description="Months of every run (default: the base scenario's)."
    )
    overrides: list[str] = Field(
        default_factory=list,
        alias="set",
        description='Fixed overrides of every run, as for --set: ["market.engineers=10000"].',
    )
    parameters: Annotated[list[Parameter], Field(min_length=1)]
    design: Design = Field(default_factory=Design)
    measures: Annotated[list[Measure], Field(min_length=1)]

    @model_validator(mode="after")
    def _consistent(self) -> SweepSpec:
        keys = [p.key for p in self.parameters]
        if len(set(keys)) != len(keys):
            raise ValueError(f"a parameter key appears twice: {keys}")
        fixed = [o.partition("=")[0].strip() for o in self.overrides]
        if "seed" in keys or "seed" in fixed:
            raise ValueError("seed cannot be a parameter or a fixed override: each run's seed "
                             "comes from the sweep's root seed; use replicates for more runs")
        names = [m.out for m in self.measures]
        if len(set(names)) != len(names):
            raise ValueError(f"measures need distinct names (set name = ...): {names}")
        if {"run_id", "month"} & set(names):
            raise ValueError("run_id and month are reserved measure names")
        if self.design.kind == "grid":
            for p in self.parameters:
                if not p.categorical and p.steps is None:
                    raise ValueError(f"grid design: parameter {p.key!r} needs steps or values")
        elif any(p.steps is not None for p in self.parameters):
            raise ValueError(f"steps is only for grid designs (design is {self.design.kind!r})")
        return self


def read_sweep_file(path: str | Path) -> tuple[SweepSpec, dict[str, Any]]:
    """Read and validate a sweep file; return the spec and the raw TOML data.

    Raises :class:`UserError` naming the file, the key path and what was expected.
    """
    path = Path(path)
    data = parse_toml_file(path, "sweep")
    return parse_sweep(data, str(path)), data


def parse_sweep(data: dict[str, Any], source: str) -> SweepSpec:
    """Validate sweep data (a parsed TOML table), naming ``source`` in errors."""
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as err:
        raise UserError(format_validation_error(source, err)) from None


# --------------------------------------------------------------------------- the design


def run_seed(root: int, run_id: int) -> int:
    """Seed of run ``run_id``: ``SeedSequence(root, spawn_key=(run_id,))``'s first uint32."""
    state = np.random.SeedSequence(root, spawn_key=(run_id,)).generate_state(1, np.uint32)
    return int(state[0])


def design_seed(root: int) -> int:
    """Seed handed to SALib samplers: the first uint32 of ``SeedSequence(root)``."""
    return int(np.random.SeedSequence(root).generate_state(1, np.uint32)[0])


def salib_problem(parameters: Sequence[Parameter]) -> dict[str, Any]:
    """The SALib problem in *design space*.

    A linear range is ``[min, max]``; a log range ``[log10 min, log10 max]``; a list of k
    values is ``[0, k]``, a point u mapping to value number ``floor(u)`` (clipped to k-1).
    """
    bounds = []
    for p in parameters:
        if p.categorical:
            bounds.append([0.0, float(len(p.values))])
        elif p.scale == "log":
            bounds.append([math.log10(p.min), math.log10(p.max)])
        else:
            bounds.append([p.min, p.max])
    return {"num_vars": len(parameters), "names": [p.key for p in parameters],
            "bounds": bounds}


def to_value(p: Parameter, u: float) -> Scalar:
    """The parameter value of design-space coordinate ``u`` (see :func:`salib_problem`)."""
    if p.categorical:
        return p.values[min(math.floor(u), len(p.values) - 1)]
    value = 10.0**u if p.scale == "log" else float(u)
    value = min(max(value, p.min), p.max)  # 10**log10(x) may round just outside
    return round(value) if p.integer else value


def grid_values(p: Parameter) -> list[Scalar]:
    """The grid values of a parameter: its ``values``, or ``steps`` points min..max
    (``linspace``, or ``geomspace`` for a log scale), rounded if ``integer``."""
    if p.categorical:
        return list(p.values)
    points = (np.geomspace if p.scale == "log" else np.linspace)(p.min, p.max, p.steps)
    points[0], points[-1] = p.min, p.max
    if p.integer:
        return [round(float(x)) for x in points]
    return [float(x) for x in points]


def design_matrix(spec: SweepSpec) -> np.ndarray | None:
    """The design-space sample matrix X (points x parameters) of a sampled design.

    random: ``default_rng(SeedSequence(seed)).uniform`` in design space; latin:
    ``SALib.sample.latin``; sobol: ``SALib.sample.sobol`` (Saltelli scheme); morris:
    ``SALib.sample.morris``. ``None`` for a grid.
    """
    kind, n = spec.design.kind, spec.design.samples
    problem = salib_problem(spec.parameters)
    seed = design_seed(spec.seed)
    if kind == "grid":
        return None
    if kind == "random":
        rng = np.random.default_rng(np.random.SeedSequence(spec.seed))
        low, high = np.array(problem["bounds"]).T
        return rng.uniform(low, high, size=(n, len(low)))
    if kind == "latin":
        from SALib.sample import latin

        return latin.sample(problem, n, seed=seed)
    if kind == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, n, calc_second_order=spec.design.second_order, seed=seed)
    from SALib.sample import morris

    return morris.sample(problem, n, num_levels=spec.design.levels, seed=seed)


def design_points(spec: SweepSpec, matrix: np.ndarray | None = None) -> list[dict[str, Scalar]]:
    """The design points, each a ``{key: value}`` mapping, in design order.

    A grid is the Cartesian product of the parameters' grid values, the first parameter
    varying slowest; a sampled design maps each row of :func:`design_matrix` to values.
    """
    keys = [p.key for p in spec.parameters]
    if spec.design.kind == "grid":
        grids = [grid_values(p) for p in spec.parameters]
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grids)]
    if matrix is None:
        matrix = design_matrix(spec)
    return [{p.key: to_value(p, float(u)) for p, u in zip(spec.parameters, row, strict=True)}
            for row in matrix]


def toml_value(value: Any) -> str:
    """A Python value written as a TOML value (for ``--set KEY=VALUE``)."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        value = float(value)
        if not math.isfinite(value):
            return {math.inf: "inf", -math.inf: "-inf"}.get(value, "nan")
        return repr(value)
    return json.dumps(value)


def point_overrides(point: dict[str, Scalar]) -> list[str]:
    """A design point as ``--set`` strings."""
    return [f"{key}={toml_value(value)}" for key, value in point.items()]


# --------------------------------------------------------------------------- one run


@dataclass(frozen=True)
class RunTask:
    """One run: its id, design point, replicate, seed and scenario overrides."""

    run_id: int
    point: int
    replicate: int
    seed: int
    overrides: tuple[str, ...]


@dataclass(frozen=True)
class Job:
    """What every run of a sweep shares: the resolved base scenario and the measures."""

    base: dict[str, Any]
    source: str
    measures: tuple[dict[str, Any], ...]


#: Test hook: called with each :class:`RunTask` before its model is built (serial runs, or
#: worker processes forked after it is set). Not for production use.
RUN_HOOK: Callable[[RunTask], None] | None = None


def extract_measures(market: Any, measures: Sequence[Measure]) -> list[list[Any]]:
    """The kept measures of one run as rows ``[month, value_1, ..., value_m]``.

    ``series`` fills every month; ``final`` the last month; ``mean`` (the mean of the
    column over months ``window[0]..window[1]`` inclusive, NaN months skipped) the last month
    of its window. Other cells are empty (None).
    """
    months = market["month"].to_numpy()
    rows: dict[int, list[Any]] = {}

    def cell(month: int, k: int, value: Any) -> None:
        rows.setdefault(int(month), [None] * len(measures))[k] = _plain(value)

    for k, m in enumerate(measures):
        column = market[m.column]
        if m.keep == "series":
            for month, value in zip(months, column.to_numpy(), strict=True):
                cell(month, k, value)
        elif m.keep == "final":
            cell(months[-1], k, column.iloc[-1])
        else:
            first, last = m.window
            inside = (months >= first) & (months <= last)
            cell(last, k, column[inside].mean())
    return [[month, *rows[month]] for month in sorted(rows)]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _forget_model(model: Any) -> None:
    """Drop Mesa's class-level reference to a finished model.

    Mesa < 3.4 keeps every model ever built as a key of ``mesa.Agent._ids`` (Mesa issue
    #3179, fixed by PR #3180), so a worker that runs many models would grow by the size of
    each model (about 1.5 MB for 10,000 engineers). Removing the key lets it be collected.
    """
    import mesa

    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)


def execute_run(task: RunTask, job: Job) -> dict[str, Any]:
    """Run one sweep run and return its record (never raises, except on interruption).

    A run that raises is returned with status ``failed`` and its error as text.
    """
    clock = time.perf_counter()
    try:
        if RUN_HOOK is not None:
            RUN_HOOK(task)
        from sim.model import TalentMarket

        scenario = validate(apply_overrides(job.base, task.overrides), job.source)
        model = TalentMarket(scenario, seed=task.seed)
        try:
            model.run()
            measures = [Measure.model_validate(m) for m in job.measures]
            rows = extract_measures(model.market, measures)
        finally:
            _forget_model(model)
        status, error = DONE, ""
    except Exception as err:
        rows, status = [], FAILED
        error = f"{type(err).__name__}: {err}"
        last = traceback.extract_tb(err.__traceback__)[-1:]
        if last:
            error += f" (at {Path(last[0].filename).name}:{last[0].lineno})"
    return {"run_id": task.run_id, "status": status, "error": error, "rows": rows,
            "wall_time": time.perf_counter() - clock}


# --------------------------------------------------------------------------- planning


@dataclass
class Plan:
    """A validated sweep ready to run: spec, base scenario, design points and runs."""

    spec: SweepSpec
    raw: dict[str, Any]
    source: str
    base_path: str
    base: dict[str, Any]
    points: list[dict[str, Scalar]]
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
                   tuple(m.model_dump() for m in self.spec.measures))

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
        from sim.output.run import git_commit, versions

        found = versions()
        for dist in ("SALib", "tqdm", "dask", "distributed"):
            with contextlib.suppress(Exception):
                from importlib import metadata

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


MAX_POINTS_CHECKED = 2000


def plan_sweep(path: str | Path) -> Plan:
    """Read a sweep file, build its design and check it before any run.

    Checks: the sweep file itself; the base scenario with the fixed overrides; every
    design point's overrides against the scenario schema (all points up to
    :data:`MAX_POINTS_CHECKED`, else the first and last points and each parameter's extreme
    values); the measures' columns and windows against a model built from the first point.
    Raises :class:`UserError` naming the file, the key and what was expected.
    """
    path = Path(path)
    spec, raw = read_sweep_file(path)
    source = str(path)
    base_path = (path.parent / spec.base)
    if not base_path.is_file():
        raise UserError(f"{path}: base: no such scenario file {spec.base} (looked at "
                        f"{base_path})")
    fixed = list(spec.overrides) + ([f"months={spec.months}"] if spec.months else [])
    try:
        base = load_scenario(base_path, fixed).to_dict()
    except UserError as err:
        raise UserError(f"{path}: base/set: the base scenario with the sweep's fixed "
                        f"overrides is invalid:\n{err}") from None
    matrix = design_matrix(spec)
    points = design_points(spec, matrix)
    _check_points(spec, path, base, points)
    _check_measures(spec, path, base, points[0])
    return Plan(spec, raw, source, str(base_path), base, points,
                None if matrix is None else matrix.tolist())


def _check_points(spec: SweepSpec, path: Path, base: dict[str, Any],
                  points: list[dict[str, Scalar]]) -> None:
    if len(points) <= MAX_POINTS_CHECKED:
        chosen = points
    else:
        chosen = [points[0], points[-1]]
        for p in spec.parameters:
            for extreme in (min, max):
                if p.categorical:
                    for value in p.values:
                        chosen.append({**points[0], p.key: value})
                else:
                    value = extreme(pt[p.key] for pt in points)
                    chosen.append({**points[0], p.key: value})
    seen: set[str] = set()
    for point in chosen:
        overrides = point_overrides(point)
        signature = "\n".join(overrides)
        if signature in seen:
            continue
        seen.add(signature)
        for k, p in enumerate(spec.parameters):  # one parameter at a time: name the culprit
            try:
                validate(apply_overrides(base, [overrides[k]]), f"base scenario with "
                         f"{overrides[k]}")
            except UserError as err:
                raise UserError(
                    f"{path}: parameters[{k}] (key {p.key!r}): value {point[p.key]!r} does not "
                    f"fit the scenario:\n{err}"
                ) from None
        try:
            validate(apply_overrides(base, overrides), "base scenario with " + ", ".join(
                overrides))
        except UserError as err:
            raise UserError(f"{path}: parameters: design point {point} gives an invalid "
                            f"scenario:\n{err}") from None


def _check_measures(spec: SweepSpec, path: Path, base: dict[str, Any],
                    point: dict[str, Scalar]) -> None:
    from sim.model import TalentMarket

    data = apply_overrides(base, point_overrides(point))
    scenario = validate(data, str(path))
    small = apply_overrides(data, ["market.engineers=50", "months=1"])
    model = TalentMarket(validate(small, str(path)), seed=0)
    columns = list(model.market_row)
    shortest = scenario.months
    for p in spec.parameters:
        if p.key == "months":
            low = min(p.values) if p.categorical else p.min
            shortest = min(shortest, int(low))
    for k, m in enumerate(spec.measures):
        if m.column not in columns:
            raise UserError(f"{path}: measures[{k}].column: {m.column!r} is not a market.csv "
                            f"column; expected one of {', '.join(columns)}")
        if m.column in ("date",):
            raise UserError(f"{path}: measures[{k}].column: expected a numeric column, "
                            f"got {m.column!r}")
        if m.window is not None and m.window[1] > shortest:
            raise UserError(f"{path}: measures[{k}].window: last month {m.window[1]} is "
                            f"beyond the runs' {shortest} months")


# --------------------------------------------------------------------------- files


def _format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def _csv_line(values: Sequence[Any]) -> str:
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


def read_recorded(folder: Path) -> dict[int, str]:
    """Recorded runs of a sweep folder: ``{run_id: status}`` from complete rows of runs.csv."""
    path = folder / RUNS_FILE
    if not path.is_file():
        return {}
    out: dict[int, str] = {}
    lines = _complete_lines(path)
    header = next(csv.reader([next(lines, "")]), [])
    if not header:
        return {}
    status_col = header.index("status")
    for row in csv.reader(lines):
        if len(row) == len(header):
            out[int(row[0])] = row[status_col]
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


class SweepWriter:
    """Appends finished runs to ``measures.csv`` then ``runs.csv`` (flushed, one write each)."""

    def __init__(self, folder: Path, plan: Plan) -> None:
        self.plan = plan
        self.runs = (folder / RUNS_FILE).open("a", newline="")
        self.measures = (folder / MEASURES_FILE).open("a", newline="")

    def write(self, task: RunTask, result: dict[str, Any]) -> None:
        """Record one finished run: its measure rows first, then its runs.csv row."""
        if result["rows"]:
            self.measures.write("".join(_csv_line([task.run_id, *row])
                                        for row in result["rows"]))
            self.measures.flush()
        point = self.plan.points[task.point]
        row = [task.run_id, task.point, task.replicate, task.seed,
               *(point[k] for k in self.plan.keys), result["status"],
               round(result["wall_time"], 4), result["error"]]
        self.runs.write(_csv_line(row))
        self.runs.flush()

    def close(self) -> None:
        """Flush to disk and close both files."""
        for handle in (self.measures, self.runs):
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
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


# --------------------------------------------------------------------------- execution


class _Serial:
    """Runs each task in this process when it is submitted."""

    capacity = 1

    def submit(self, task: RunTask, job: Job) -> Any:
        from concurrent.futures import Future

        future: Future = Future()
        future.set_result(execute_run(task, job))
        return future

    def wait_any(self, futures: set[Any]) -> tuple[set[Any], set[Any]]:
        return set(futures), set()

    def close(self, cancel: bool) -> None:
        pass


class _Local:
    """A pool of local worker processes (forked where possible: no re-import per worker)."""

    def __init__(self, workers: int) -> None:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))
        self.capacity = 2 * workers

    def submit(self, task: RunTask, job: Job) -> Any:
        return self.pool.submit(execute_run, task, job)

    def wait_any(self, futures: set[Any]) -> tuple[set[Any], set[Any]]:
        done, pending = wait_futures(futures, return_when=FIRST_COMPLETED)
        return set(done), set(pending)

    def close(self, cancel: bool) -> None:
        self.pool.shutdown(wait=not cancel, cancel_futures=cancel)  # a second call is a no-op


class _Dask:
    """A Dask distributed cluster: an address, ``local`` (a new LocalCluster), or a Client."""

    def __init__(self, target: Any, workers: int) -> None:
        try:
            import distributed
        except ImportError:
            raise UserError("--dask needs Dask: pip install 'talentwar[dask]'") from None
        self._distributed = distributed
        self.cluster = None
        self.own_client = True
        if isinstance(target, distributed.Client):
            self.client, self.own_client = target, False
        elif target == "local":
            self.cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                                    processes=True, dashboard_address=None)
            self.client = distributed.Client(self.cluster)
        else:
            try:
                self.client = distributed.Client(target, timeout="5s")
            except (OSError, TimeoutError, ValueError) as err:
                raise UserError(f"--dask {target}: cannot reach a Dask scheduler there: "
                                f"{err}") from None
        n = len(self.client.nthreads())
        self.capacity = max(2 * max(n, 1), 2)

    def submit(self, task: RunTask, job: Job) -> Any:
        return self.client.submit(execute_run, task, job, pure=False)

    def wait_any(self, futures: set[Any]) -> tuple[set[Any], set[Any]]:
        done, pending = self._distributed.wait(list(futures), return_when="FIRST_COMPLETED")
        return set(done), set(pending)

    def close(self, cancel: bool) -> None:
        if self.own_client:
            self.client.close()
            self.own_client = False
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None


def _backend(workers: int, dask: Any) -> Any:
    if dask is not None:
        return _Dask(dask, workers)
    return _Serial() if workers == 1 else _Local(workers)


@dataclass
class SweepSummary:
    """What a sweep call did."""

    folder: Path
    total: int
    done: int
    failed: int
    ran: int


def run_sweep(
    sweep_file: str | Path,
    *,
    out: str | Path | None = None,
    workers: int = 1,
    dask: Any = None,
    progress: bool = True,
) -> SweepSummary:
    """Plan a sweep, create its folder and run every run.

    Parameters
    ----------
    sweep_file : path
        The sweep file (TOML).
    out : path, optional
        Sweep folder to create (default ``results/sweeps/<name>-<YYYYmmdd-HHMMSS>``); it
        must not exist or be empty.
    workers : int
        Local worker processes (1: in this process); with ``dask="local"`` the number of
        Dask workers.
    dask : str or distributed.Client, optional
        ``"tcp://host:8786"`` (a running scheduler), ``"local"`` (start a LocalCluster) or a
        Client.
    progress : bool
        Show a tqdm progress bar (runs done, failed, ETA).
    """
    _check_workers(workers)
    plan = plan_sweep(sweep_file)
    if out is None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        out = Path("results") / "sweeps" / f"{plan.spec.name}-{stamp}"
    folder = Path(out)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UserError(f"--out {folder}: exists and is not empty; choose a new folder or "
                        f"continue it with --resume {folder}")
    backend = _backend(workers, dask)  # a bad --dask address fails before anything is written
    try:
        folder.mkdir(parents=True, exist_ok=True)
        from sim.output.run import atomic_write_text

        atomic_write_text(folder / SWEEP_FILE, json.dumps(plan.manifest(), indent=2) + "\n")
    except BaseException:
        backend.close(cancel=True)
        raise
    return _execute(plan, folder, backend, progress=progress)


def resume_sweep(
    folder: str | Path,
    *,
    workers: int = 1,
    dask: Any = None,
    progress: bool = True,
    retry_failed: bool = False,
) -> SweepSummary:
    """Run the runs of a sweep folder that are not recorded yet (see :func:`run_sweep`).

    Measure rows of runs without a complete ``runs.csv`` row are dropped first, so no run
    is lost or duplicated. ``retry_failed`` also reruns runs recorded as failed.
    """
    _check_workers(workers)
    folder = Path(folder)
    plan = load_plan(folder)
    return _execute(plan, folder, _backend(workers, dask), progress=progress,
                    retry_failed=retry_failed)


def _check_workers(workers: Any) -> None:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise UserError(f"--workers: expected a whole number >= 1, got {workers!r}")


def _execute(plan: Plan, folder: Path, backend: Any, *, progress: bool,
             retry_failed: bool = False) -> SweepSummary:
    """Run the unrecorded runs of ``folder`` on ``backend`` (closed at the end)."""
    try:
        return _execute_locked(plan, folder, backend, progress=progress,
                               retry_failed=retry_failed)
    finally:
        backend.close(cancel=True)


def _execute_locked(plan: Plan, folder: Path, backend: Any, *, progress: bool,
                    retry_failed: bool) -> SweepSummary:
    from tqdm import tqdm

    with _locked(folder):
        recorded = read_recorded(folder)
        if retry_failed:
            recorded = {k: v for k, v in recorded.items() if v == DONE}
        _rewrite_filtered(folder / RUNS_FILE, runs_header(plan),
                          lambda row: int(row[0]) in recorded)
        _rewrite_filtered(folder / MEASURES_FILE, measures_header(plan),
                          lambda row: recorded.get(int(row[0])) == DONE)
        done = sum(1 for s in recorded.values() if s == DONE)
        failed = len(recorded) - done
        todo = plan.tasks(skip=recorded)
        job = plan.job()
        writer = SweepWriter(folder, plan)
        ran = 0
        bar = None
        completed = False
        try:
            bar = tqdm(total=plan.total, initial=len(recorded), unit="run", desc=plan.spec.name,
                       disable=not progress, smoothing=0.1, dynamic_ncols=True)
            bar.set_postfix(failed=failed)
            pending: dict[Any, RunTask] = {}
            exhausted = False
            while pending or not exhausted:
                while not exhausted and len(pending) < backend.capacity:
                    task = next(todo, None)
                    if task is None:
                        exhausted = True
                    else:
                        pending[backend.submit(task, job)] = task
                if not pending:
                    break
                finished, _ = backend.wait_any(set(pending))
                for future in sorted(finished, key=lambda f: pending[f].run_id):
                    task = pending.pop(future)
                    result = future.result()
                    writer.write(task, result)
                    ran += 1
                    if result["status"] == DONE:
                        done += 1
                    else:
                        failed += 1
                        bar.set_postfix(failed=failed)
                    bar.update(1)
            completed = True
        except KeyboardInterrupt:
            print(f"\ntalentwar sweep: interrupted; {done + failed} of {plan.total} runs "
                  f"recorded; continue with: talentwar sweep --resume {folder}",
                  file=sys.stderr)
            raise
        finally:
            if bar is not None:
                bar.close()
            writer.close()
            backend.close(cancel=not completed)
    if completed and plan.spec.design.kind in ("sobol", "morris"):
        from sim.sweeps.analysis import write_sensitivity

        write_sensitivity(folder)
    return SweepSummary(folder, plan.total, done, failed, ran)
