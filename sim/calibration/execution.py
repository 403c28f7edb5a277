"""Evaluating points: each point's R runs on a sweep backend, streamed to the store.

The sweep backends (:mod:`sim.sweeps.backends`) submit the sweep's own worker function.
:func:`submit` is the calibration's hook beside them: it hands :func:`evaluate_run` to the
same pools (the process pool of a ``LocalBackend``, the client of a ``DaskBackend``, or
this process for a ``SerialBackend``), and the backend's ``wait_any``, ``capacity`` and
``close`` are used as they are. (A ``submit_call(fn, ...)`` on the Backend protocol would
make this hook unnecessary; sim/sweeps is being changed in parallel, so it lives here.)

:class:`Evaluator` keeps the cache of recorded runs, assigns point ids in the order points
are first asked for (the estimation asks in a deterministic order), submits the runs not
recorded yet, records each as it finishes (in run-id order among those finishing together),
and returns each point's moments as an R x M array once all its runs are in. Results are
keyed by run id, so the answer does not depend on the number of workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from sim.calibration.spec import CalibrationSpec
from sim.calibration.store import Cache, run_row
from sim.calibration.worker import MomentJob, moment_result
from sim.files.progress import tqdm
from sim.files.table import Appender
from sim.sweeps.backends import Backend, RunFuture
from sim.sweeps.designs import point_overrides, run_seed
from sim.sweeps.worker import DONE, RunTask, TaskJob


def submit(backend: Backend, task: RunTask, job: MomentJob) -> RunFuture:
    """Start one calibration run on ``backend``: the sweep backends run any job with an
    ``execute(task)`` method (:func:`sim.sweeps.worker.run_task`), here
    :meth:`MomentJob.execute`, whose result is a :class:`MomentResult` (or, for a run whose
    worker died, the backend's failed :class:`sim.sweeps.worker.RunResult`: see
    :func:`sim.calibration.worker.moment_result`)."""
    return backend.submit(task, cast(TaskJob, job))


class Evaluator:
    """Runs points (R replicates each, common random numbers) and records them."""

    def __init__(self, spec: CalibrationSpec, job: MomentJob, backend: Backend,
                 cache: Cache, runs: Appender, bar: tqdm[Any]) -> None:
        self.spec, self.job, self.backend = spec, job, backend
        self.cache, self.runs, self.bar = cache, runs, bar
        self.replicates = spec.estimator.replicates
        self.seeds = [run_seed(spec.seed, r) for r in range(self.replicates)]
        self.points: dict[tuple[float, ...], int] = {}
        self.ran = 0
        self.failed = 0

    def point_id(self, values: tuple[float, ...]) -> int:
        """The id of a point: the order in which it was first asked for."""
        return self.points.setdefault(values, len(self.points))

    def overrides(self, values: Sequence[float]) -> tuple[tuple[str, Any], ...]:
        """The scenario overrides of a point, ``(key path, value)`` pairs."""
        keys = [p.key for p in self.spec.parameters]
        return tuple(point_overrides(dict(zip(keys, values, strict=True))).items())

    def evaluate(self, points: Sequence[Sequence[float]]) -> list[np.ndarray]:
        """The moments of each point as an R x M array (NaN rows for failed runs)."""
        keyed = [tuple(float(v) for v in p) for p in points]
        todo: list[tuple[RunTask, tuple[float, ...]]] = []
        for values in keyed:
            pid = self.point_id(values)
            for r in range(self.replicates):
                if (values, r) not in self.cache:
                    task = RunTask(pid * self.replicates + r, pid, r, self.seeds[r],
                                      self.overrides(values))
                    if all(t.run_id != task.run_id for t, _ in todo):
                        todo.append((task, values))
        self._run(todo)
        out = []
        width = len(self.spec.moments)
        for values in keyed:
            rows = []
            for r in range(self.replicates):
                status, moments = self.cache[(values, r)]
                rows.append(moments if status == DONE and len(moments) == width
                            else (np.nan,) * width)
            out.append(np.array(rows, dtype=float))
        return out

    def _run(self, todo: list[tuple[RunTask, tuple[float, ...]]]) -> None:
        """Submit ``todo``, keeping up to ``capacity`` runs in flight; record each."""
        queue = iter(todo)
        pending: dict[RunFuture, tuple[RunTask, tuple[float, ...]]] = {}
        exhausted = False
        while pending or not exhausted:
            while not exhausted and len(pending) < self.backend.capacity:
                item = next(queue, None)
                if item is None:
                    exhausted = True
                else:
                    pending[submit(self.backend, item[0], self.job)] = item
            if not pending:
                break
            finished, _ = self.backend.wait_any(set(pending))
            for future in sorted(finished, key=lambda f: pending[f][0].run_id):
                task, values = pending.pop(future)
                result = moment_result(future.result())
                self.runs.append(run_row(task, values, result))
                self.cache[(values, task.replicate)] = (result.status, result.values)
                self.ran += 1
                if result.status != DONE:
                    self.failed += 1
                    self.bar.set_postfix(failed=self.failed)
                self.bar.update(1)

