"""Running a sweep: plan it (read the sweep file, build the design, check every point
before any run), then run every run not yet recorded in its sweep folder.

:func:`run_sweep` plans a sweep file and runs it into a new folder; :func:`resume_sweep`
continues a folder from its ``sweep.json`` alone. Runs execute on a backend
(:mod:`sim.sweeps.backends`) and are recorded as they finish (:mod:`sim.sweeps.store`);
Sobol and Morris sweeps end with their sensitivity indices
(:func:`sim.sweeps.analysis.write_sensitivity`).
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from tqdm import tqdm

from sim.errors import UserError
from sim.model import TalentMarket
from sim.scenario import apply_overrides, load_scenario, validate
from sim.sweeps.analysis import write_sensitivity
from sim.sweeps.backends import Backend, RunFuture, make_backend
from sim.sweeps.designs import Point, design_matrix, design_points, point_overrides
from sim.sweeps.spec import SweepSpec, read_sweep_file
from sim.sweeps.store import (
    Plan,
    SweepWriter,
    keep_recorded,
    load_plan,
    locked,
    write_manifest,
)
from sim.sweeps.worker import DONE, RunTask

if TYPE_CHECKING:
    from distributed import Client

MAX_POINTS_CHECKED = 2000


@dataclass
class SweepSummary:
    """What a sweep call did."""

    folder: Path
    total: int
    done: int
    failed: int
    ran: int


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
                    point: Point) -> None:
    """Check the measures' columns against a tiny model of ``point`` (50 engineers, one
    month) and their windows against the shortest run of the sweep."""
    data = apply_overrides(base, point_overrides(point))
    scenario = validate(data, str(path))
    small = apply_overrides(data, ["market.engineers=50", "months=1"])
    model = TalentMarket(validate(small, str(path)), seed=0)
    columns = list(model.market_row)
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
    backend = make_backend(workers, dask)  # a bad --dask address fails before anything is written
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_manifest(folder, plan)
    except BaseException:
        backend.close(cancel=True)
        raise
    return _execute(plan, folder, backend, progress=progress)


def resume_sweep(
    folder: str | Path,
    *,
    workers: int = 1,
    dask: str | Client | None = None,
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
    return _execute(plan, folder, make_backend(workers, dask), progress=progress,
                    retry_failed=retry_failed)


def _check_workers(workers: object) -> None:
    """``workers`` must be a whole number >= 1 (a bool is not)."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise UserError(f"--workers: expected a whole number >= 1, got {workers!r}")


def _execute(plan: Plan, folder: Path, backend: Backend, *, progress: bool,
             retry_failed: bool = False) -> SweepSummary:
    """Run the unrecorded runs of ``folder`` on ``backend`` (closed at the end)."""
    try:
        return _execute_locked(plan, folder, backend, progress=progress,
                               retry_failed=retry_failed)
    finally:
        backend.close(cancel=True)


def _execute_locked(plan: Plan, folder: Path, backend: Backend, *, progress: bool,
                    retry_failed: bool) -> SweepSummary:
    """The execution loop, holding the folder's lock: keep the recorded runs, keep up to
    ``backend.capacity`` runs in flight, record each finished run (in run-id order among
    those finishing together), then write the sensitivity indices of a complete Sobol or
    Morris sweep."""
    with locked(folder):
        recorded = keep_recorded(folder, plan, retry_failed=retry_failed)
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
                    result = future.result()
                    writer.write(task, result)
                    ran += 1
                    if result.status == DONE:
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
        write_sensitivity(folder)
    return SweepSummary(folder, plan.total, done, failed, ran)
