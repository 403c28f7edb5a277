"""Running a calibration: plan it, search, then infer, and write the calibration folder.

:func:`run_calibration` plans a calibration file (every check before any run, nothing
written on a bad file) and runs it into a new folder; :func:`resume_calibration` continues a
folder from its ``calibration.json`` alone, re-using every recorded run.

The estimation is :func:`sim.calibration.estimate.smm`, a pure function of the calibration
and of a way to evaluate points; this module only wires it to the store (every run recorded
in ``runs.csv`` as it finishes, every evaluated point in ``points.csv``), the backend (local
workers or Dask) and the progress bar. The search is deterministic given the seed, so a
resume replays it from the recorded runs and runs only what is missing.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import tomli_w

from sim.calibration.estimate import smm
from sim.calibration.execution import Evaluator
from sim.calibration.inference import Inference, on_bound, predict
from sim.calibration.objective import objective_kind
from sim.calibration.spec import CalibrationSpec, parse_calibration, read_calibration_file
from sim.calibration.store import (
    MANIFEST_FILE,
    POINTS_FILE,
    RUNS_FILE,
    Cache,
    cell,
    locked,
    read_runs,
    run_header,
)
from sim.calibration.worker import MomentJob
from sim.errors import RESUME, KeepsFields, Resume, Terminated, UserError
from sim.files import (
    RunTable,
    WriteError,
    check_new_folder,
    check_workers,
    claim_folder,
    git_commit,
    killed_files,
    left_by_a_kill,
    remove_leftovers,
    versions,
    write_text,
)
from sim.files.progress import tqdm
from sim.files.provenance import now, stamp
from sim.market.measures import market_columns
from sim.scenario import apply_overrides, parse_overrides, read_toml, validate
from sim.sweeps.backends import Backend, make_backend
from sim.sweeps.designs import plain_data, point_overrides
from sim.sweeps.spec import SpecPlan, load_base

if TYPE_CHECKING:
    from distributed import Client

    from sim.calibration.run_measures import Measure
    from sim.scenario import Scenario

FITTED_SCENARIO = "fitted.toml"
PARAMETERS_FILE = "parameters.csv"
MOMENTS_FILE = "moments.csv"
JACOBIAN_FILE = "jacobian.csv"
PROFILES_FILE = "profiles.csv"
IDENTIFICATION_FILE = "identification.json"


@dataclass
class Plan(SpecPlan[CalibrationSpec]):
    """A validated calibration ready to run (the calibration file's parts,
    :class:`~sim.sweeps.spec.SpecPlan`)."""

    @property
    def names(self) -> list[str]:
        """Moment names, in file order."""
        return [m.name for m in self.spec.moments]

    def job(self) -> MomentJob:
        """What every run shares."""
        return MomentJob(self.base, self.source, tuple(self.spec.moments))


class CalibrationInterrupted(KeepsFields, KeyboardInterrupt):
    """Ctrl-C (or SIGTERM: ``terminated``) stopped a calibration; its folder holds
    ``recorded`` runs and continues with :func:`resume_calibration`."""

    def __init__(self, folder: Path, recorded: int, cause: BaseException | None = None
                 ) -> None:
        super().__init__(f"{recorded} runs recorded in {folder}; continue it with "
                         f"resume_calibration({str(folder)!r})")
        self.terminated = isinstance(cause, Terminated)
        self.folder = folder
        self.recorded = recorded


@dataclass
class CalibrationSummary:
    """What a calibration call did."""

    folder: Path
    estimate: dict[str, float]
    objective: float
    runs: int
    ran: int
    failed: int
    warnings: list[str]


def plan_calibration(path: str | Path) -> Plan:
    """Read a calibration file and check it before any run: the file; the base scenario
    with the fixed overrides; each parameter at its bounds; the moments' tiers, columns and
    windows against a tiny model (50 engineers) of the base. Raises :class:`UserError`."""
    path = Path(path)
    spec, raw = read_calibration_file(path)
    base_path = path.parent / spec.base
    base = load_base(path, spec.base, spec.overrides, spec.months, "calibration")
    plan = Plan(spec, raw, str(path), str(base_path.resolve()), base)
    check_plan(plan)
    return plan


def check_plan(plan: Plan) -> None:
    """Every parameter at its bounds and every moment against the scenario (its
    ``market.csv`` columns: :func:`sim.market.measures.market_columns`)."""
    spec, path = plan.spec, plan.source
    for k, p in enumerate(spec.parameters):
        for value in p.bounds:
            try:
                validate(apply_overrides(plan.base, point_overrides({p.key: value})),
                         f"base scenario with {p.key} = {value!r}")
            except UserError as err:
                raise UserError(f"{path}: parameters[{k}] (key {p.key!r}): value {value!r} "
                                f"does not fit the scenario:\n{err}") from None
    scenario = validate(plan.base, path)
    columns = market_columns(list(scenario.tiers))
    tiers = set(scenario.tiers) | {"ai", "non_ai"}
    for k, m in enumerate(spec.moments):
        where = f"{path}: moments[{k}] ({m.name}).measure"
        for column in m.measure.columns():
            if column not in columns:
                raise UserError(f"{where}: needs the market.csv column {column!r}, which this "
                                f"scenario does not have (tiers: {', '.join(scenario.tiers)})")
        for tier in m.measure.tiers_used():
            if tier not in tiers:
                raise UserError(f"{where}: no tier {tier!r}; expected one of "
                                f"{', '.join(sorted(tiers))}")
        for firm in m.measure.firms_used():
            if firm not in scenario.firms:
                raise UserError(f"{where}: no firm {firm!r}; expected a named firm: "
                                f"{', '.join(sorted(scenario.firms))}")
        for leaf in m.measure.leaves():  # each part of a composite with its own windows
            _check_months(scenario, where, leaf)


def _check_months(scenario: Scenario, where: str, measure: Measure) -> None:
    """A measure's months: each a month of the runs and not before the first the measure
    can read (:meth:`earliest_month`), its window [first, last] in order."""
    for when in measure.windows():
        try:
            month = scenario.month_of(when)
        except (ValueError, AttributeError):
            raise UserError(f"{where}: month {when!r}: expected a month number or "
                            "'YYYY-MM'") from None
        if not 0 <= month <= scenario.months:
            raise UserError(f"{where}: month {when!r} (model month {month}) is outside "
                            f"the runs' months 0-{scenario.months}")
        earliest = measure.earliest_month()
        if month < earliest:
            raise UserError(f"{where}: month {when!r} (model month {month}) is before "
                            f"model month {earliest}, the first this measure can read "
                            f"(a retention's cohort joins 24 months before, in month 1 "
                            f"or later)")
    window = getattr(measure, "window", None)
    if window and scenario.month_of(window[0]) > scenario.month_of(window[1]):
        raise UserError(f"{where}.window: expected [first, last] with first <= last")


def run_calibration(calibration_file: str | Path, *, out: str | Path | None = None,
                    workers: int = 1, dask: str | Client | None = None,
                    progress: bool = True, plots: bool = True) -> CalibrationSummary:
    """Plan a calibration, create its folder and run it (see the module docstring).

    ``out`` defaults to ``results/calibrations/<name>-<YYYYmmdd-HHMMSS>`` and must not exist
    or be empty; ``workers`` local processes (1: this process) or Dask workers with
    ``dask="local"``; ``dask`` a scheduler address, ``"local"`` or a Client.
    """
    check_workers(workers)
    plan = plan_calibration(calibration_file)
    if out is not None:
        # The temporary file of a calibration.json a killed process was writing leaves a
        # folder that is not a calibration yet: taken as empty (the file removed below).
        check_new_folder(Path(out), "calibration folder", resume="calibrate",
                         ignore=killed_files(Path(out)))
    backend = make_backend(workers, dask)
    try:
        if out is None:  # a default folder takes a free name: -2, -3... if it is taken
            folder = claim_folder(Path("results") / "calibrations" / f"{plan.spec.name}-"
                                  f"{stamp()}")
        else:
            folder = Path(out)
            folder.mkdir(parents=True, exist_ok=True)
            remove_leftovers(folder, Path.is_file)
        manifest = {"calibration_file": plan.source, "calibration": plan.raw,
                    "base_path": plan.base_path, "base": plan.base, "versions": versions(),
                    "git_commit": git_commit(), "created": now().isoformat(timespec="seconds")}
        write_text(folder / MANIFEST_FILE, json.dumps(manifest, indent=2, default=str) + "\n")
    except BaseException:
        backend.close(cancel=True)
        raise
    return _execute(plan, folder, backend, progress=progress, plots=plots)


def load_plan(folder: Path) -> Plan:
    """The plan of a calibration folder, from its ``calibration.json`` alone."""
    path = folder / MANIFEST_FILE
    if not path.is_file():
        raise UserError(f"{folder}: not a calibration folder (no {MANIFEST_FILE})" + (
            "; it holds only the temporary files of a calibration stopped as it started: "
            "run the calibration again with this folder as its output"
            if left_by_a_kill(folder) else ""))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        spec = parse_calibration(manifest["calibration"], str(path))
        return Plan(spec, manifest["calibration"], manifest["calibration_file"],
                    manifest["base_path"], manifest["base"])
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise UserError(f"{path}: not a readable calibration manifest: {err}") from None


def resume_calibration(folder: str | Path, *, workers: int = 1,
                       dask: str | Client | None = None, progress: bool = True,
                       plots: bool = True) -> CalibrationSummary:
    """Continue a calibration folder: recorded runs are re-used, the rest run."""
    check_workers(workers)
    folder = Path(folder)
    plan = load_plan(folder)
    return _execute(plan, folder, make_backend(workers, dask), progress=progress, plots=plots)


def planned_runs(spec: CalibrationSpec) -> int:
    """Runs of a calibration at most: the budget, the Jacobian and the profiles."""
    k, est = len(spec.parameters), spec.estimator
    return est.budget + est.replicates * k * (2 + est.profile_points)


DISK_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO})
"""The system errors of a table that cannot be written (a full disk, a quota, a folder gone
read-only): said with the runs recorded and the way to continue; other errors are not
about the disk and are not dressed as such."""


def _execute(plan: Plan, folder: Path, backend: Backend, *, progress: bool,
             plots: bool) -> CalibrationSummary:
    """Run the calibration in ``folder`` holding its lock, then stop the backend. An
    interrupt, also a second one during the first one's clean-up (closing the tables,
    stopping the workers), is raised as :class:`CalibrationInterrupted` with the runs
    recorded; a table the disk refuses (a full disk) is one :class:`UserError` with them
    and the way to continue."""
    cache: list[Cache] = []  # the folder's runs, once read: recorded runs are added to it
    try:
        try:
            with locked(folder):
                return _execute_locked(plan, folder, backend, progress=progress,
                                       plots=plots, cache_out=cache)
        finally:
            backend.close(cancel=True)
    except CalibrationInterrupted:
        raise
    except KeyboardInterrupt as err:
        raise CalibrationInterrupted(folder, _recorded(plan, folder, cache), err) from err
    except (OSError, WriteError) as err:
        if isinstance(err, OSError) and err.errno not in DISK_ERRORS:
            raise
        reason = (f"{err.path.name}: {err.reason}" if isinstance(err, WriteError)
                  else err.strerror or str(err))
        raise UserError(f"{folder}: cannot write the calibration's tables: {reason}; "
                        f"{_recorded(plan, folder, cache)} runs recorded; make room and "
                        f"continue with {RESUME}", resume=Resume("calibrate", folder)
                        ) from None


def _recorded(plan: Plan, folder: Path, cache: list[Cache]) -> int:
    """The runs the folder holds: those of the cache read (and added to) by this call, else
    read from its table (0 if it cannot be read)."""
    if cache:
        return len(cache[0])
    with contextlib.suppress(UserError, OSError, KeyboardInterrupt):
        return len(read_runs(folder, plan.keys, plan.names))
    return 0


def _execute_locked(plan: Plan, folder: Path, backend: Backend, *, progress: bool,
                    plots: bool, cache_out: list[Cache] | None = None) -> CalibrationSummary:
    spec = plan.spec
    cache = read_runs(folder, plan.keys, plan.names)
    if cache_out is not None:
        cache_out.append(cache)
    runs = RunTable(folder / RUNS_FILE, run_header(plan.keys, plan.names)).appender()
    (folder / POINTS_FILE).unlink(missing_ok=True)  # rebuilt as the search replays
    points = RunTable(folder / POINTS_FILE, ["point", "stage", *plan.keys, "objective",
                                             "runs_complete"]).appender()
    bar = tqdm(total=planned_runs(spec), initial=0, unit="run", desc=spec.name,
               disable=not progress, smoothing=0.1, dynamic_ncols=True)
    evaluator = Evaluator(spec, plan.job(), backend, cache, runs, bar)

    def observe(stage: str, values: list[float], moments: np.ndarray, j: float) -> None:
        done = int(np.sum(np.all(np.isfinite(moments), axis=1)))
        points.append([str(evaluator.point_id(tuple(values))), stage,
                       *(cell(v) for v in values),
                       *((cell(j), str(done)) if stage != "jacobian" else ("", ""))])

    try:
        fit = smm(spec, lambda batch: evaluator.evaluate(batch), observe)
    except KeyboardInterrupt as err:
        raise CalibrationInterrupted(folder, len(cache), err) from err
    finally:
        bar.close()
        runs.close()
        points.close()
    estimate, j_best, info = fit.values, fit.objective, fit.inference
    write_results(plan, folder, estimate, j_best, fit.moments, fit.jacobian, info,
                  fit.profiles)
    if plots:
        from sim.calibration.plots import plot_calibration

        plot_calibration(folder)
    return CalibrationSummary(folder, dict(zip(plan.keys, estimate, strict=True)), j_best,
                              len(cache), evaluator.ran, evaluator.failed, info.warnings)


def _nested(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1, "a.c": 2}`` as nested tables, ``{"a": {"b": 1, "c": 2}}``."""
    out: dict[str, Any] = {}
    for key, value in overrides.items():
        *parents, last = key.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def fitted_scenario_text(plan: Plan, folder: Path, estimate: list[float],
                         not_identified: Mapping[str, float] | None = None) -> str:
    """The fitted scenario: ``extends`` the base, the fixed overrides, the estimates and the
    parameters fixed as not identified (``not_identified``, key: value; TOML written by
    ``tomli_w``).

    A key through a list (``generated_firms.0.policy.layoff_rate``) cannot be merged by
    ``extends`` (lists are replaced), so the whole list is written, as the base file has it
    with the overrides applied."""
    base = os.path.relpath(plan.base_path, folder.resolve())
    fixed = parse_overrides(plan.spec.overrides)
    if plan.spec.months:
        fixed.pop("months", None)
        fixed["months"] = plan.spec.months
    changes = {**fixed, **point_overrides(dict(zip(plan.keys, estimate, strict=True)))}
    through_lists = {key.split(".")[0] for key in changes
                     if any(part.isdigit() for part in key.split("."))}
    document: dict[str, Any] = {"extends": base, "name": plan.spec.name + "_fitted"}
    document.update(_nested({k: v for k, v in changes.items()
                             if k.split(".")[0] not in through_lists}))
    if through_lists:
        raw = apply_overrides(read_toml(Path(plan.base_path)), changes)
        for top in sorted(through_lists):
            document[top] = raw[top]
    header = (f"# Fitted by talentwar calibrate from {plan.source}\n"
              f"# ({plan.spec.name}; seed {plan.spec.seed}, {plan.spec.estimator.replicates} "
              f"replicates a point). Run it with: talentwar run {folder / FITTED_SCENARIO}\n"
              "# The calibration's fixed overrides: "
              + (", ".join(f"{k} = {v!r}" for k, v in fixed.items()) or "none")
              + "\n# The estimates: "
              + ", ".join(f"{k} = {v!r}" for k, v in zip(plan.keys, estimate, strict=True)
                          if k not in (not_identified or {}))
              + ("\n# Fixed (not identified by the moments): "
                 + ", ".join(f"{k} = {v!r}" for k, v in not_identified.items())
                 if not_identified else "")
              + "\n\n")
    return header + tomli_w.dumps(plain_data(document))


def _csv_text(header: list[str], rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if isinstance(x, float) and math.isnan(x) else x for x in row])
    return buffer.getvalue()


def write_results(plan: Plan, folder: Path, estimate: list[float], j_best: float,
                  moments: np.ndarray, g_all: np.ndarray, info: Inference,
                  profiles: list[tuple[str, float, float]]) -> None:
    """Write the fitted scenario, parameters.csv, moments.csv, jacobian.csv,
    profiles.csv and identification.json (atomically)."""
    spec = plan.spec
    fixed = {p.key: estimate[i] for i, p in enumerate(spec.parameters)
             if info.fixed.size and info.fixed[i]}
    write_text(folder / FITTED_SCENARIO, fitted_scenario_text(plan, folder, estimate, fixed))
    rows: list[list[Any]] = []
    for i, p in enumerate(spec.parameters):
        low, high = p.bounds
        if info.fixed.size and info.fixed[i]:
            label = "fixed (not identified)"
        else:
            label = "yes" if not info.identified.size or info.identified[i] else "no"
        rows.append([p.key, repr(estimate[i]), float(info.se[i]), low, high, p.scale,
                     float(info.interval[i, 0]), float(info.interval[i, 1]),
                     "yes" if on_bound(spec, p, estimate[i]) else "no", label,
                     info.interval_method[i]])
    write_text(folder / PARAMETERS_FILE, _csv_text(
        ["parameter", "estimate", "se", "min", "max", "scale", "ci95_low", "ci95_high",
         "on_bound", "identified", "ci95_method"], rows))
    held = info.fixed if info.fixed.size else None
    pred = predict(spec, moments, g_all, info.covariance, held)
    rows = []
    for j, m in enumerate(spec.moments):
        rows.append([m.name, m.target, m.bound, float(pred.mean[j]), float(pred.sd_seed[j]),
                     m.sd, m.se_basis, float(m.deviation(pred.mean[j]) / m.sd),
                     "held out" if m.held_out else "fitted", m.measure.kind,
                     m.published or "", float(pred.sd_parameters[j]), float(pred.sd[j]),
                     float(pred.low[j]), float(pred.high[j]), float(pred.z[j]), m.source])
    write_text(folder / MOMENTS_FILE, _csv_text(
        ["moment", "target", "bound", "fitted_mean", "fitted_sd", "se", "se_basis", "t_ratio",
         "role", "measure", "published", "sd_parameters", "predicted_sd", "pi95_low",
         "pi95_high", "z_prediction", "source"], rows))
    write_text(folder / JACOBIAN_FILE, _csv_text(
        ["moment", *plan.keys],
        [[m.name, *map(float, g_all[j])] for j, m in enumerate(spec.moments)]))
    write_text(folder / PROFILES_FILE, _csv_text(
        ["parameter", "value", "objective"], [list(r) for r in profiles]))
    ident = {"objective": j_best, "objective_is": objective_kind(spec),
             "estimate": dict(zip(plan.keys, estimate, strict=True)),
             "replicates": spec.estimator.replicates, "rank": info.rank,
             "parameters": len(plan.keys),
             "free_parameters": int(len(plan.keys) - int(np.sum(info.fixed))),
             "fixed_not_identified": fixed,
             "condition_number": info.condition if math.isfinite(info.condition) else None,
             "column_norms_in_se": dict(zip(plan.keys, map(float, info.column_norms),
                                            strict=True)),
             "not_identified": info.not_identified,
             "collinear": [list(c) for c in info.collinear], "warnings": info.warnings,
             "covariance": [[None if math.isnan(x) else float(x) for x in row]
                            for row in info.covariance]}
    write_text(folder / IDENTIFICATION_FILE, json.dumps(ident, indent=2) + "\n")
