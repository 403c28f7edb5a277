"""Running a sweep: plan it (read the sweep file, build the design, check every point
before any run), then run every run not yet recorded in its sweep folder.

:func:`run_sweep` plans a sweep file and runs it into a new folder; :func:`resume_sweep`
continues a folder from its ``sweep.json`` alone. Runs execute on a backend
(:mod:`sim.sweeps.backends`) and are recorded as they finish (:mod:`sim.sweeps.store`);
Sobol and Morris sweeps end with their sensitivity indices
(:func:`sim.sweeps.analysis.write_sensitivity`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sim.errors import RESUME, KeepsFields, Resume, Terminated, UserError, log
from sim.files import (
    WriteError,
    check_new_folder,
    check_workers,
    claim_folder,
    killed_files,
    remove_leftovers,
)
from sim.files.folders import LOCK_FILE
from sim.files.progress import tqdm
from sim.files.provenance import stamp
from sim.market.measures import market_columns
from sim.scenario import apply_overrides, validate
from sim.sweeps.analysis import write_sensitivity
from sim.sweeps.backends import Backend, RunFuture, check_dask_target, make_backend
from sim.sweeps.designs import (
    Point,
    design_matrix,
    design_points,
    grid_values,
    point_count,
    point_overrides,
    salib_problem,
    to_value,
)
from sim.sweeps.plan import Plan, load_plan, write_manifest
from sim.sweeps.spec import SweepSpec, load_base, parse_sweep, read_sweep_file
from sim.sweeps.store import (
    SweepState,
    SweepWriter,
    keep_recorded,
    locked,
    scan_store,
    write_status,
)
from sim.sweeps.worker import DONE, FAILED, RunResult, RunTask

if TYPE_CHECKING:
    from distributed import Client

MAX_POINTS_CHECKED = 2000

#: The most runs (design points x replicates) a sweep may have.
MAX_RUNS = 10_000_000
#: The most design points a sweep may have (each is held in memory and in sweep.json).
MAX_POINTS = 1_000_000
#: The most design-matrix cells (points x parameters) a sweep may have.
MAX_DESIGN_CELLS = 10_000_000


@dataclass
class SweepSummary:
    """What a sweep call did; ``complete``: every run of the design is recorded, once."""

    folder: Path
    total: int
    done: int
    failed: int
    ran: int
    complete: bool = True


class SweepInterrupted(KeepsFields, KeyboardInterrupt):
    """Ctrl-C (or another interrupt) stopped a sweep; the folder holds ``recorded`` of
    ``total`` runs and continues with :func:`resume_sweep`; ``terminated`` if it was
    SIGTERM."""

    def __init__(self, folder: Path, state: SweepState, cause: BaseException | None = None
                 ) -> None:
        super().__init__(f"{state.describe()} in {folder}; continue it with "
                         f"resume_sweep({str(folder)!r})")
        self.terminated = isinstance(cause, Terminated)  # SIGTERM rather than Ctrl-C
        self.folder = folder
        self.state = state
        self.recorded = state.recorded
        self.total = state.total


class SweepWriteFailed(UserError):
    """The sweep's tables could not be written (a full disk, a folder gone read-only); the
    folder holds the runs of ``state`` and continues with :func:`resume_sweep` once it can
    be written."""

    def __init__(self, folder: Path, state: SweepState, err: OSError | str) -> None:
        reason = err if isinstance(err, str) else err.strerror or err
        super().__init__(f"{folder}: cannot write the sweep's tables: "
                         f"{reason}; {state.describe()}; make room and "
                         f"continue with {RESUME}", resume=Resume("sweep", folder))
        self.folder = folder
        self.state = state


def plan_sweep(path: str | Path, overrides: Sequence[str] = ()) -> Plan:
    """Read a sweep file, build its design and check it before any run.

    ``overrides`` (``KEY=VALUE`` texts, from ``sweep --set``) are added after the file's
    ``set``, so they win over it, and are recorded with it in ``sweep.json``.

    Checks: the sweep file itself; the base scenario with the fixed overrides; every
    design point's overrides against the scenario schema (all points up to
    :data:`MAX_POINTS_CHECKED`, else the first and last points and each parameter's extreme
    values); the measures' columns and windows against a model built from the first point.
    Raises :class:`UserError` naming the file, the key and what was expected.
    """
    path = Path(path)
    spec, raw = read_sweep_file(path)
    if overrides:
        fixed = raw.get("set", [])
        raw = {**raw, "set": [*(fixed if isinstance(fixed, list) else []), *overrides]}
        spec = parse_sweep(raw, f"{path} (with the added overrides)")
    _check_size(spec, path)
    _check_whole_numbers(spec, path)
    source = str(path)
    base_path = path.parent / spec.base
    base = load_base(path, spec.base, spec.overrides, spec.months, "sweep")
    matrix = design_matrix(spec)
    points = design_points(spec, matrix)
    _check_points(spec, path, base, points)
    _check_measures(spec, path, base, points[0])
    return Plan(spec, raw, source, str(base_path), base, points,
                None if matrix is None else matrix.tolist())


def _check_size(spec: SweepSpec, path: Path) -> None:
    """Refuse a design too big to run, from its size alone (computed, not allocated):
    more than :data:`MAX_RUNS` runs, :data:`MAX_POINTS` points or :data:`MAX_DESIGN_CELLS`
    design cells."""
    points = point_count(spec)
    runs = points * spec.replicates
    where = "parameters" if spec.design.kind == "grid" else "design.samples"
    size = (f"{runs:,} runs ({points:,} design points x {spec.replicates:,} "
            f"replicate{'s' if spec.replicates > 1 else ''})")
    if runs > MAX_RUNS:
        raise UserError(f"{path}: {where}/replicates: the sweep has {size}; a sweep has at "
                        f"most {MAX_RUNS:,} runs")
    if points > MAX_POINTS:
        raise UserError(f"{path}: {where}: the design has {points:,} points; a sweep has at "
                        f"most {MAX_POINTS:,} design points")
    if points * len(spec.parameters) > MAX_DESIGN_CELLS:
        raise UserError(f"{path}: parameters: {points:,} design points x "
                        f"{len(spec.parameters)} parameters is more than "
                        f"{MAX_DESIGN_CELLS:,} design values")


def _check_whole_numbers(spec: SweepSpec, path: Path) -> None:
    """A grid parameter's ``steps`` rounded to whole numbers (``integer``) must not repeat a
    value (1 to 3 in 5 steps gives 1, 2, 2, 2, 3: the same runs three times over), as a list
    of values must not; nor may a morris design's levels of such a parameter (1 to 3 on 4
    levels gives 1, 2, 2, 3: the middle value twice as often, as a list of 3 values on 4
    levels would)."""
    kind = spec.design.kind
    if kind not in ("grid", "morris"):
        return
    for k, p in enumerate(spec.parameters):
        if not p.integer or p.values is not None:
            continue
        if kind == "grid":
            if p.steps is None:
                continue
            values, what = grid_values(p), f"parameters[{k}].steps ({p.key}): {p.steps} steps"
            advice = "use fewer steps, or give values = [...]"
        else:
            levels = spec.design.levels
            low, high = salib_problem([p])["bounds"][0]
            values = [to_value(p, low + i * (high - low) / (levels - 1)) for i in range(levels)]
            what = f"parameters[{k}] ({p.key}): design.levels = {levels} levels"
            advice = "use fewer levels, or give values = [...] (levels a multiple of their count)"
        if len(set(values)) < len(values):
            low, high = p.bounds
            raise UserError(
                f"{path}: {what} from {low:g} to {high:g} rounded to whole numbers repeat "
                "values (" + ", ".join(map(str, values[:12]))
                + (", ..." if len(values) > 12 else "") + f"); {advice}")


def _check_points(spec: SweepSpec, path: Path, base: dict[str, Any],
                  points: list[Point]) -> None:
    """Check design points against the scenario schema: all of them up to
    :data:`MAX_POINTS_CHECKED`, else the first and last points and each parameter's extremes
    (every value of a categorical one); a failing point names the parameter at fault."""
    if len(points) <= MAX_POINTS_CHECKED:
        chosen = points
    else:
        chosen = [points[0], points[-1]]
        for p in spec.parameters:
            for extreme in (min, max):
                if p.values is not None:
                    for value in p.values:
                        chosen.append({**points[0], p.key: value})
                else:  # a range parameter's values are numbers
                    value = extreme(cast(float, pt[p.key]) for pt in points)
                    chosen.append({**points[0], p.key: value})
    seen: set[str] = set()
    for point in chosen:
        overrides = point_overrides(point)
        signature = repr(list(overrides.items()))
        if signature in seen:
            continue
        seen.add(signature)
        for k, p in enumerate(spec.parameters):  # one parameter at a time: name the culprit
            try:
                validate(apply_overrides(base, {p.key: overrides[p.key]}),
                         f"base scenario with {p.key} = {overrides[p.key]!r}")
            except UserError as err:
                raise UserError(
                    f"{path}: parameters[{k}] (key {p.key!r}): value {point[p.key]!r} does not "
                    f"fit the scenario:\n{err}"
                ) from None
        try:
            validate(apply_overrides(base, overrides), "base scenario with " + ", ".join(
                f"{key} = {value!r}" for key, value in overrides.items()))
        except UserError as err:
            raise UserError(f"{path}: parameters: design point {point} gives an invalid "
                            f"scenario:\n{err}") from None


def _check_measures(spec: SweepSpec, path: Path, base: dict[str, Any],
                    point: Point) -> None:
    """Check the measures' columns against the ``market.csv`` columns of the scenario at
    ``point`` (:func:`sim.market.measures.market_columns`) and their windows against the
    shortest run of the sweep."""
    data = apply_overrides(base, point_overrides(point))
    scenario = validate(data, str(path))
    columns = sorted(market_columns(list(scenario.tiers)))
    shortest = scenario.months
    for p in spec.parameters:
        if p.key == "months":
            # months values are numbers: _check_points has validated them
            low = min(cast(list[float], p.values)) if p.values is not None else p.bounds[0]
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


def run_sweep(
    sweep_file: str | Path,
    *,
    out: str | Path | None = None,
    workers: int = 1,
    dask: str | Client | None = None,
    progress: bool = True,
    overrides: Sequence[str] = (),
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
        Local worker processes (1: in this process; never more than the runs); with
        ``dask="local"`` the number of Dask workers.
    dask : str or distributed.Client, optional
        ``"tcp://host:8786"`` (a running scheduler), ``"local"`` (start a LocalCluster) or a
        Client.
    progress : bool
        Show a tqdm progress bar (runs done, failed, ETA).
    overrides : sequence of str
        ``KEY=VALUE`` overrides of every run (``sweep --set``), after the file's ``set``.

    Raises
    ------
    UserError
        Bad input (the sweep file, ``workers``, ``dask``, an unusable ``out``), before
        anything is written; or a store that does not hold the design's runs at the end.
    SweepInterrupted
        Ctrl-C: the folder holds the runs recorded so far and can be resumed.
    """
    check_workers(workers)
    check_dask_target(dask)
    plan = plan_sweep(sweep_file, overrides)
    if out is not None:
        # A folder holding only the lock file and the temporary files of dead processes is
        # one a kill stopped before it held anything (no sweep.json: it cannot be
        # resumed): it is taken as empty, if no process holds the lock (checked when it is
        # taken, and the temporary files removed then).
        check_new_folder(Path(out), "sweep folder", resume="sweep",
                         ignore={LOCK_FILE, *killed_files(Path(out))})
    # a bad Dask address fails before anything is written
    backend = make_backend(min(workers, plan.total), dask)
    created: list[Path] = []
    folder = Path(out) if out is not None else Path("results") / "sweeps" / plan.spec.name
    try:
        try:
            if out is None:  # a default folder takes a free name: -2, -3... if it is taken
                folder = claim_folder(folder.with_name(f"{plan.spec.name}-{stamp()}"))
                created.append(folder)
            else:
                for parent in reversed([folder, *folder.parents]):
                    if not parent.exists():
                        parent.mkdir()
                        created.append(parent)
            with locked(folder):
                for path in remove_leftovers(folder, Path.is_file):  # files a kill left
                    log.info("removed %s, left by an interrupted sweep", path)
                if any(p.name != LOCK_FILE for p in folder.iterdir()):
                    raise UserError("another sweep started writing it meanwhile; choose "
                                    "a new folder", option="out", value=folder)
                write_manifest(folder, plan)
                write_status(folder, SweepState(plan.total, 0, 0, 0, complete=False))
        except (OSError, UserError) as err:
            _remove_created(created)
            if isinstance(err, OSError):
                raise UserError(f"cannot create the sweep folder: {err.strerror or err}",
                                option="out", value=folder) from None
            raise
    except KeyboardInterrupt as err:
        backend.close(cancel=True)
        if (folder / "sweep.json").is_file():
            raise SweepInterrupted(folder, SweepState(plan.total, 0, 0, 0, False), err
                                   ) from None
        raise
    except BaseException:
        backend.close(cancel=True)
        raise
    return _execute(plan, folder, workers, dask, progress=progress, backend=backend)


def _remove_created(created: list[Path]) -> None:
    """Remove the folders a failed start created (newest first) and the files in them."""
    for made in reversed(created):
        with contextlib.suppress(OSError):
            for leftover in made.iterdir():
                leftover.unlink()
        with contextlib.suppress(OSError):
            made.rmdir()


def resume_sweep(
    folder: str | Path,
    *,
    workers: int = 1,
    dask: str | Client | None = None,
    progress: bool = True,
    retry_failed: bool = False,
) -> SweepSummary:
    """Run the runs of a sweep folder that are not recorded yet (see :func:`run_sweep`).

    The folder's ``sweep.json`` and tables are checked first (a damaged or edited folder is
    refused before anything is written); measure rows of runs without a complete
    ``runs.csv`` record are dropped, so no run is lost or duplicated. ``retry_failed`` also
    reruns runs recorded as failed.
    """
    check_workers(workers)
    check_dask_target(dask)
    folder = Path(folder)
    plan = load_plan(folder)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError("cannot write in this folder (permission denied)", option="resume",
                        value=folder)
    for name in ("runs.csv", "measures.csv", "status.json"):
        target = folder / name
        if target.exists() and (not target.is_file() or not os.access(target, os.R_OK
                                                                        | os.W_OK)):
            raise UserError(f"{target} is not a file this user can read and write",
                            option="resume", value=folder)
    return _execute(plan, folder, workers, dask, progress=progress, retry_failed=retry_failed)


def _execute(plan: Plan, folder: Path, workers: int, dask: str | Client | None, *,
             progress: bool, retry_failed: bool = False,
             backend: Backend | None = None) -> SweepSummary:
    """Run the unrecorded runs of ``folder``, holding its lock: check the tables, start the
    backend (unless given) with no more workers than runs to do, repair the tables, run,
    check that the tables hold every run of the design once, then write the sensitivity
    indices of a Sobol or Morris sweep and mark the folder complete."""
    state = SweepState(plan.total, 0, 0, 0, complete=False)
    # The state of the recorded runs as each is recorded: what an interrupt reports, also
    # one that lands while the first one's clean-up runs (a second Ctrl-C replaces the
    # first's SweepInterrupted with a bare KeyboardInterrupt).
    latest = [state]
    try:
        with locked(folder):
            scan = scan_store(folder, plan)  # a folder it refuses is left as it is
            latest[0] = SweepState(plan.total, len(scan.recorded), scan.recorded.done,
                                   scan.recorded.failed, complete=False)  # until repaired
            for path in remove_leftovers(folder, Path.is_file):  # files a kill left
                log.info("removed %s, left by an interrupted sweep", path)
            todo_count = plan.total - scan.kept + (scan.recorded.failed if retry_failed else 0)
            if backend is None:
                backend = make_backend(max(min(workers, todo_count), 1), dask)
            try:
                recorded = keep_recorded(folder, plan, retry_failed=retry_failed, scan=scan)
                state = SweepState(plan.total, len(recorded), recorded.done, recorded.failed,
                                   complete=False)
                latest[0] = state
                write_status(folder, state)
                state, ran = _run_loop(plan, folder, backend, recorded, state,
                                       progress=progress, latest=latest)
            finally:
                backend.close(cancel=True)
            final = scan_store(folder, plan)
            if not final.clean or len(final.recorded) != plan.total:
                missing = plan.total - len(final.recorded)
                detail = "; ".join([*final.problems,
                                    *([f"{missing:,} runs missing"] if missing else [])])
                raise UserError(f"{folder}: the sweep ended but its tables do not hold each "
                                f"run of the design once ({detail or 'torn records'}); "
                                f"nothing is marked complete: repair it with {RESUME}",
                                resume=Resume("sweep", folder))
            state = SweepState(plan.total, len(final.recorded), final.recorded.done,
                               final.recorded.failed, complete=False)
            if plan.spec.design.kind in ("sobol", "morris"):
                write_sensitivity(folder)
            state = SweepState(state.total, state.recorded, state.done, state.failed,
                               complete=True)
            write_status(folder, state)
    except SweepWriteFailed as err:
        with contextlib.suppress(UserError, KeyboardInterrupt):
            write_status(folder, err.state)  # the truth: not complete, this many recorded
        raise
    except WriteError as err:  # a full disk as the tables are repaired or begun
        with contextlib.suppress(UserError, KeyboardInterrupt):
            write_status(folder, latest[0])
        raise SweepWriteFailed(folder, latest[0], f"{err.path.name}: {err.reason}"
                               ) from None
    except KeyboardInterrupt as err:
        stop = err if isinstance(err, SweepInterrupted) else SweepInterrupted(
            folder, latest[0], err)
        with contextlib.suppress(UserError, KeyboardInterrupt):
            write_status(folder, stop.state)  # the truth: not complete, this many recorded
        raise stop from None
    return SweepSummary(folder, plan.total, state.done, state.failed, ran, complete=True)


def _run_loop(plan: Plan, folder: Path, backend: Backend, recorded: Any, state: SweepState,
              *, progress: bool, latest: list[SweepState] | None = None
              ) -> tuple[SweepState, int]:
    """Keep up to ``backend.capacity`` runs in flight and record each finished run (in
    run-id order among those finishing together); return the state and the runs made.
    ``latest[0]``, if given, is set to the state after each run recorded.

    A run whose future raises (a Dask worker lost for good, a result that cannot be sent
    back) is recorded as failed with that error. On an interrupt the state of the recorded
    runs is raised as :class:`SweepInterrupted`.
    """
    done, failed = state.done, state.failed
    todo = plan.tasks(skip=recorded)
    job = plan.job()
    ran = 0
    writer = SweepWriter(folder, plan)
    bar = None
    try:
        bar = tqdm(total=plan.total, initial=len(recorded), unit="run", desc=plan.spec.name,
                   disable=not progress, smoothing=0.1, dynamic_ncols=True)
        bar.set_postfix(failed=failed)
        pending: dict[RunFuture, RunTask] = {}
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
                try:
                    result = future.result()
                except Exception as err:  # the run's result never came back
                    result = RunResult(task.run_id, FAILED, f"{type(err).__name__}: {err} "
                                       "(the run's worker failed)", [], 0.0)
                try:
                    writer.write(task, result)
                except OSError as err:  # a full disk: say so once, keep what is recorded
                    with contextlib.suppress(OSError):
                        writer.close()
                    raise SweepWriteFailed(folder, SweepState(plan.total, done + failed, done,
                                                              failed, complete=False), err
                                           ) from None
                ran += 1
                if result.status == DONE:
                    done += 1
                else:
                    failed += 1
                if latest is not None:
                    latest[0] = SweepState(plan.total, done + failed, done, failed,
                                           complete=False)
                if result.status != DONE:
                    bar.set_postfix(failed=failed)
                bar.update(1)
    except KeyboardInterrupt as err:
        raise SweepInterrupted(folder, SweepState(plan.total, done + failed, done, failed,
                                                  complete=False), err) from None
    finally:
        if bar is not None:
            bar.close()
        writer.close()
    return SweepState(plan.total, done + failed, done, failed, complete=False), ran
