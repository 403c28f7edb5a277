"""One run in a worker: finished models are not kept, and a worker process frees each
run's memory before the next."""


from __future__ import annotations

import gc
import multiprocessing
import subprocess
import sys
import weakref
from pathlib import Path
from typing import ClassVar

import pytest

from sim.model import TalentMarket
from sim.sweeps.backends import LocalBackend
from sim.sweeps.run import plan_sweep
from sim.sweeps.worker import DONE, RunResult, RunTask, execute_run
from tests.sweeps.common import (
    GRID,
    write,
)

ROOT = Path(__file__).resolve().parents[2]


def test_workers_do_not_keep_finished_models(tmp_path: Path) -> None:
    """Mesa 3.3 keeps every model in ``mesa.Agent._ids`` (Mesa #3179); a worker running
    thousands of runs must not, so ``execute_run`` drops it."""
    import gc

    import mesa

    def live_models() -> int:
        gc.collect()
        return sum(isinstance(o, TalentMarket) for o in gc.get_objects())

    plan = plan_sweep(write(tmp_path, GRID))
    job = plan.job()
    before, registered = live_models(), len(getattr(mesa.Agent, "_ids", {}))
    for task in list(plan.tasks())[:5]:
        assert execute_run(task, job).status == "done"
    assert live_models() == before
    assert len(getattr(mesa.Agent, "_ids", {})) == registered


class Cycle:
    """An object in a reference cycle (it refers to itself), counted while alive."""

    alive: ClassVar[weakref.WeakSet[Cycle]] = weakref.WeakSet()

    def __init__(self) -> None:
        self.me = self
        Cycle.alive.add(self)


class CycleJob:
    """A job whose runs each leave one cycle behind, as a finished model does, and report
    in their error text how many earlier runs' cycles are still alive. The automatic
    collector is switched off in the worker process (it has its own): in a worker with a
    large heap it comes only every hundred runs or so, and here it must not come at all,
    so that what frees a run's cycles is the worker's own collection."""

    def execute(self, task: RunTask) -> RunResult:
        gc.disable()
        alive = len(Cycle.alive)
        Cycle()
        return RunResult(task.run_id, DONE, str(alive), [], 0.0)


class FrozenJob:
    """A job whose runs report, in their error text, how many objects the worker's garbage
    collector leaves out of its view (``gc.get_freeze_count()``) as the run starts."""

    def execute(self, task: RunTask) -> RunResult:
        return RunResult(task.run_id, DONE, str(gc.get_freeze_count()), [], 0.0)


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                    reason="workers inherit objects only where they are forked")
def test_a_worker_process_collects_its_own_objects_not_those_it_inherits() -> None:
    """A forked worker inherits every object of the sweep process (here, pytest's: about
    800,000); its first collection would walk and copy them all (0.25 s and 110 MB here).
    They come to it frozen: its first run starts with at least as many objects out of its
    collector's view as the sweep process held, and the sweep process's own are back in
    view once the workers are forked."""
    gc.collect()  # what is left is held, not garbage a collection could take meanwhile
    held = len(gc.get_objects())
    backend = LocalBackend(2)
    try:
        assert gc.get_freeze_count() < 0.01 * held  # (Python 3.12 starts with ~400)
        pending = {backend.submit(RunTask(k, 0, k, k, ()), FrozenJob()) for k in range(2)}
        reports = []
        while pending:
            done, pending = backend.wait_any(pending)
            reports += [int(future.result().error) for future in done]
    finally:
        backend.close(cancel=False)
    assert len(reports) == 2 and min(reports) >= 0.9 * held


def test_a_worker_process_frees_each_run_before_the_next() -> None:
    """A finished model is a reference cycle, freed only by a full collection, which in a
    worker process came after a hundred runs or more (its memory grew with the number of
    runs): each worker process frees each run's cycles before it takes the next run."""
    backend = LocalBackend(1)
    try:
        reports = []
        for k in range(4):  # one run at a time, as a worker takes them
            pending = {backend.submit(RunTask(k, 0, k, k, ()), CycleJob())}
            while pending:
                done, pending = backend.wait_any(pending)
            reports.append(done.pop().result().error)
    finally:
        backend.close(cancel=False)
    assert reports == ["0", "0", "0", "0"]


def test_release_memory_frees_a_finished_model_and_later_ones(tmp_path: Path) -> None:
    """After :func:`release_memory`, no finished model is alive, the first one (whose
    collection is the whole heap's) and the next (in the frozen heap), checked in a
    process of its own, as freezing the heap is for a worker process, not for pytest's."""
    script = f"""
import sys, weakref
sys.path.insert(0, {str(ROOT)!r})
from sim.model import TalentMarket
from sim.sweeps.run import plan_sweep
from sim.sweeps.worker import execute_run, release_memory
models = weakref.WeakSet()
init = TalentMarket.__init__
def tracked(self, *args, **kwargs):
    init(self, *args, **kwargs)
    models.add(self)
TalentMarket.__init__ = tracked
plan = plan_sweep(sys.argv[1])
job = plan.job()
alive = []
for task in list(plan.tasks())[:3]:
    assert execute_run(task, job).status == "done"
    before = len(models)
    release_memory()
    alive.append((before, len(models)))
print(alive)
"""
    done = subprocess.run([sys.executable, "-c", script, str(write(tmp_path, GRID))],
                          capture_output=True, text=True, check=True)
    # each finished model is alive (a cycle) until release_memory frees it
    assert done.stdout.strip() == "[(1, 0), (1, 0), (1, 0)]"


def test_a_worker_gets_its_next_run_before_the_caller_hears_of_the_last() -> None:
    """When a worker's result comes in, the worker is handed the next queued run at once,
    before ``wait_any`` returns: it does not stand idle while the sweep process stores the
    result (a pause a run, about 1% of a sweep's time at 10,000 engineers)."""
    backend = LocalBackend(1)
    try:
        futures = [backend.submit(RunTask(k, 0, k, k, ()), CycleJob()) for k in range(3)]
        done, pending = backend.wait_any(set(futures))
        assert done == {futures[0]}
        worker = backend._workers[0]
        assert worker.task is not None and worker.task.run_id == 1
        while pending:
            done, pending = backend.wait_any(pending)
        assert [f.result().run_id for f in futures] == [0, 1, 2]
    finally:
        backend.close(cancel=False)
