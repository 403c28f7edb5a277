"""One run of a sweep, as a worker process (or the sweep process itself) executes it.

A :class:`RunTask` (id, design point, replicate, seed, overrides) and the :class:`Job` every
run shares (the resolved base scenario and the kept measures) go to :func:`execute_run`,
which builds and runs the model and returns a :class:`RunResult`: the status, the error, the
kept measure rows and the wall time. Both are small, picklable records, sent to worker
processes or Dask workers; the model is imported only when a run starts.
"""

from __future__ import annotations

import gc
import math
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

import numpy as np

from sim.scenario import apply_overrides, validate
from sim.sweeps.spec import Measure

if TYPE_CHECKING:
    import pandas as pd

    from sim.model import TalentMarket

#: Status of a finished run, as recorded in ``runs.csv``.
Status = Literal["done", "failed"]
DONE: Final = "done"
FAILED: Final = "failed"

#: A row of kept measures: ``[month, value_1, ..., value_m]`` (None for an empty cell).
MeasureRow = list[Any]


@dataclass(frozen=True)
class RunTask:
    """One run: its id, design point, replicate, seed and scenario overrides."""

    run_id: int
    point: int
    replicate: int
    seed: int
    overrides: tuple[tuple[str, Any], ...]
    """The scenario overrides of the run's design point: ``(key path, value)`` pairs."""


@dataclass(frozen=True)
class Job:
    """What every run of a sweep shares: the resolved base scenario and the measures."""

    base: dict[str, Any]
    source: str
    measures: tuple[Measure, ...]


@dataclass(frozen=True)
class RunResult:
    """What one run gives back: its status, error text (empty when done), kept measure rows
    and wall time in seconds."""

    run_id: int
    status: Status
    error: str
    rows: list[MeasureRow]
    wall_time: float


def extract_measures(market: pd.DataFrame, measures: Sequence[Measure]) -> list[MeasureRow]:
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
            first, last = m.span
            inside = (months >= first) & (months <= last)
            cell(last, k, column[inside].mean())
    return [[month, *rows[month]] for month in sorted(rows)]


def _plain(value: Any) -> Any:
    """A cell value as a plain Python value: numpy scalars unwrapped, NaN as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def forget_model(model: TalentMarket) -> None:
    """Drop Mesa's class-level reference to a finished model.

    Mesa < 3.4 keeps every model ever built as a key of ``mesa.Agent._ids`` (Mesa issue
    #3179, fixed by PR #3180), so a worker that runs many models would grow by the size of
    each model (about 1.5 MB for 10,000 engineers). Removing the key lets it be collected.
    """
    import mesa  # the model's library: imported when a run starts, not with this module

    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)


def release_memory() -> None:
    """Free what the last run left, as a worker process does after each run: a collection
    of the cyclic garbage (``gc.collect()``), then ``gc.freeze()`` of what survives it.

    A finished model is a cycle (Mesa's agents and the model refer to each other), so
    reference counting does not free it. Python's collector frees it only at its next full
    collection, which comes when the objects that survived the last one have grown by a
    quarter: in a worker, after a hundred runs or more, so that its memory grew with the
    number of runs (standard run: +10% from run 50 to run 500). Collecting after each run
    frees each model at once; freezing moves what is left (modules, the worker's own
    state) out of the collector's view, so that the next collection looks at the next
    run's objects only (0.3 ms a run instead of ~70 ms for the whole heap). What is frozen
    is never collected: call it where nothing but a run's garbage comes and goes (a worker
    process between runs), not in a program that holds other cyclic structures.
    """
    gc.collect()
    gc.freeze()


def execute_run(task: RunTask, job: Job) -> RunResult:
    """Run one sweep run and return its record (never raises, except on interruption).

    A run that raises is returned with status ``failed`` and its error as text.
    """
    clock = time.perf_counter()
    rows: list[MeasureRow]
    status: Status
    try:
        from sim.model import TalentMarket  # the model: imported when a run starts

        scenario = validate(apply_overrides(job.base, dict(task.overrides), share=True),
                            job.source)
        kept = list(dict.fromkeys(["month", *(m.column for m in job.measures)]))
        model = TalentMarket(scenario, seed=task.seed, records="market", keep=kept)
        try:
            model.run()
            rows = extract_measures(model.market_columns(kept), job.measures)
        finally:
            forget_model(model)
        status, error = DONE, ""
    except Exception as err:
        rows, status = [], FAILED
        error = f"{type(err).__name__}: {err}"
        last = traceback.extract_tb(err.__traceback__)[-1:]
        if last:
            error += f" (at {Path(last[0].filename).name}:{last[0].lineno})"
    return RunResult(task.run_id, status, error, rows, time.perf_counter() - clock)


class TaskJob(Protocol):
    """A job that runs its own tasks (as replicates do): ``job.execute(task)``."""

    def execute(self, task: RunTask) -> RunResult:
        """Run one task and return its record (never raises, except on interruption)."""
        ...


def run_task(task: RunTask, job: Job | TaskJob) -> RunResult:
    """Run ``task``: a sweep run for a :class:`Job`, else the job's own ``execute``."""
    if isinstance(job, Job):
        return execute_run(task, job)
    return job.execute(task)
