"""One run of a calibration, in a worker: run the model, return its moments only.

A :class:`RunTask` (run id, point, replicate, seed, overrides) and the :class:`MomentJob`
every run shares (the resolved base scenario and the moments) go to :func:`evaluate_run`,
which builds and runs the model and returns a :class:`MomentResult`: the status, the error
and the value of every moment (fitted and held out), never the tables. Both are small,
picklable records; the model is imported only when a run starts. A run whose worker died
comes back from the sweep backend as its failed :class:`RunResult`; :func:`moment_result`
makes it the failed :class:`MomentResult` it stands for.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.calibration.moments import measure_value
from sim.calibration.run_measures import RunOutputs
from sim.calibration.spec import Moment
from sim.scenario import apply_overrides, validate
from sim.sweeps.worker import DONE, FAILED, RunResult, RunTask, Status, forget_model


@dataclass(frozen=True)
class MomentJob:
    """What every run of a calibration shares: the resolved base scenario and the moments."""

    base: dict[str, Any]
    source: str
    moments: tuple[Moment, ...]

    def execute(self, task: RunTask) -> MomentResult:
        """Run ``task`` (how the sweep backends run a job that is not a sweep's)."""
        return evaluate_run(task, self)


@dataclass(frozen=True)
class MomentResult:
    """What one run gives back: status, error text, one value per moment (NaN where the
    measure is undefined), wall time in seconds."""

    run_id: int
    status: Status
    error: str
    values: tuple[float, ...]
    wall_time: float


def evaluate_run(task: RunTask, job: MomentJob) -> MomentResult:
    """Run one calibration run and return its moments (never raises, except on
    interruption); a run that raises is returned with status ``failed``."""
    clock = time.perf_counter()
    try:
        from sim.model import TalentMarket  # the model: imported when a run starts

        scenario = validate(apply_overrides(job.base, dict(task.overrides)), job.source)
        model = TalentMarket(scenario, seed=task.seed)
        try:
            model.run()
            out = RunOutputs(scenario, model.market, model.firm_records, model.deals,
                             model.flows)
            values = tuple(measure_value(m.measure, out) for m in job.moments)
        finally:
            forget_model(model)
        status: Status = DONE
        error = ""
    except Exception as err:
        values, status = (), FAILED
        error = f"{type(err).__name__}: {err}"
        last = traceback.extract_tb(err.__traceback__)[-1:]
        if last:
            error += f" (at {Path(last[0].filename).name}:{last[0].lineno})"
    return MomentResult(task.run_id, status, error, values, time.perf_counter() - clock)


def moment_result(result: MomentResult | RunResult) -> MomentResult:
    """What a backend gave back for a calibration run, as a :class:`MomentResult`.

    A local worker that dies during a run (killed, out of memory, a crash in native code)
    never returns the job's result: the sweep backend records the run as a failed
    :class:`RunResult` with the cause (:class:`sim.sweeps.backends.LocalBackend`). That is a
    failed run with no moment values, recorded like any failed run.
    """
    if isinstance(result, MomentResult):
        return result
    return MomentResult(result.run_id, FAILED, result.error, (), result.wall_time)
