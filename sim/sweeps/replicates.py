"""Replicates: N runs of one scenario on the sweep engine's backends.

Replicate ``i`` of a scenario with root seed ``R`` has the seed
:func:`sim.sweeps.designs.run_seed` ``(R, i)`` (``SeedSequence(R, spawn_key=(i,))``), so
its numbers depend neither on the number of workers nor on where it runs. Each replicate
is a normal run folder ``rep-NNN/`` written by a worker (a local process or a Dask worker,
which must see the same file system) into the hidden folder of the replicate folder; when
all are done, ``summary.csv`` and ``manifest.json`` are added and the folder is renamed
into place (:mod:`sim.output.replicates` owns the format).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import UserError, log
from sim.files import (
    WriteError,
    atomic_directory,
    check_new_folder,
    check_workers,
    git_commit,
    reserved,
    versions,
)
from sim.files.progress import tqdm
from sim.files.provenance import now, stamp
from sim.output.replicates import KIND, replicate_name, write_summary
from sim.output.run import EngineerFormat
from sim.output.rundir import (
    MANIFEST,
    remove_leftovers,
)
from sim.scenario import Scenario, validate
from sim.sweeps.backends import RunFuture, check_dask_target, make_backend
from sim.sweeps.designs import run_seed
from sim.sweeps.worker import DONE, FAILED, RunResult, RunTask

if TYPE_CHECKING:
    from distributed import Client

MAX_REPLICATES = 10_000


@dataclass(frozen=True)
class ReplicateJob:
    """What every replicate shares: the resolved scenario, where to write, and how."""

    scenario: dict[str, Any]
    folder: str
    engineers: EngineerFormat
    plots: bool
    command: tuple[str, ...]

    def execute(self, task: RunTask) -> RunResult:
        """Run replicate ``task.replicate`` into ``<folder>/rep-NNN`` (never raises, except
        on interruption)."""
        clock = time.perf_counter()
        try:
            from sim.output.run import run_scenario  # the model: imported when a run starts

            scenario = validate(self.scenario, "replicate scenario")
            run_scenario(scenario, seed=task.seed,
                         out=Path(self.folder) / replicate_name(task.replicate),
                         engineers=self.engineers, plots=self.plots, progress=False,
                         command=list(self.command))
        except Exception as err:
            if isinstance(err, WriteError):  # a full disk: the system's reason, not the
                error = f"cannot write its run folder: {err.reason}"  # hidden path
            elif isinstance(err, UserError):
                error = str(err)
            else:  # a bug: where it happened
                error = f"{type(err).__name__}: {err}"
                last = traceback.extract_tb(err.__traceback__)[-1:]
                if last:
                    error += f" (at {Path(last[0].filename).name}:{last[0].lineno})"
            return RunResult(task.run_id, FAILED, error, [], time.perf_counter() - clock)
        return RunResult(task.run_id, DONE, "", [], time.perf_counter() - clock)


def replicate_seeds(root: int, count: int) -> list[int]:
    """The seeds of replicates ``0..count-1`` of root seed ``root``."""
    return [run_seed(root, i) for i in range(count)]


def run_replicates(
    scenario: Scenario,
    replicates: int,
    *,
    seed: int | None = None,
    out: Path | None = None,
    workers: int = 1,
    dask: str | Client | None = None,
    engineers: EngineerFormat = "none",
    plots: bool = False,
    progress: bool = True,
    command: list[str] | None = None,
) -> Path:
    """Run ``replicates`` replicates of ``scenario`` and write a replicate folder; return it.

    ``seed`` is the root seed (default: the scenario's); ``out`` the folder to create (by
    default ``results/<scenario>/<time>-seed<seed>-x<N>``). Each replicate keeps the final
    engineer table only if ``engineers`` names a format (it is the largest file of a run,
    and no comparison reads it). Any failed replicate fails the whole: nothing is written,
    and the error names it.
    """
    if not isinstance(replicates, int) or not 2 <= replicates <= MAX_REPLICATES:
        raise UserError(f"expected a whole number from 2 to {MAX_REPLICATES:,}, got "
                        f"{replicates!r}", option="replicates")
    check_workers(workers)
    check_dask_target(dask)
    root = scenario.seed if seed is None else seed
    started = now()
    if out is None:  # a default folder takes a free name: -2, -3... if it is taken
        final = Path("results") / scenario.name / f"{stamp(started)}-seed{root}-x{replicates}"
    else:
        final = Path(out)
        check_new_folder(final, "replicate folder", empty_ok=False)
    for path in remove_leftovers(final.parent):
        log.info("removed %s, left by an interrupted run", path)
    with reserved(final, unique=out is None) as final:
        _replicate_into(scenario, final, root, replicates, started, workers, dask,
                        engineers, plots, progress, command)
    return final


def _replicate_into(scenario: Scenario, final: Path, root: int, replicates: int,
                    started: dt.datetime, workers: int, dask: str | Client | None,
                    engineers: EngineerFormat, plots: bool, progress: bool,
                    command: list[str] | None) -> None:
    """Run the replicates and write their folder ``final`` (whose name is reserved)."""
    seeds = replicate_seeds(root, replicates)
    command = command if command is not None else sys.argv
    clock = time.perf_counter()
    with atomic_directory(final) as folder:
        job = ReplicateJob(scenario.to_dict(), str(folder.resolve()), engineers, plots,
                           tuple(command))
        tasks = [RunTask(i, 0, i, s, ()) for i, s in enumerate(seeds)]
        _execute(tasks, job, min(workers, replicates), dask, progress, scenario.name)
        write_summary(folder, replicates)
        manifest = {
            "kind": KIND,
            "scenario": scenario.to_dict(),
            "seed": root,
            "replicates": replicates,
            "seeds": seeds,
            "folders": [replicate_name(i) for i in range(replicates)],
            "months": scenario.months,
            "versions": versions(),
            "git_commit": git_commit(),
            "command": command,
            "started": started.isoformat(timespec="seconds"),
            "finished": now().isoformat(timespec="seconds"),
            "wall_time_seconds": round(time.perf_counter() - clock, 3),
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def _execute(tasks: list[RunTask], job: ReplicateJob, workers: int,
             dask: str | Client | None, progress: bool, name: str) -> None:
    """Run every task on a backend; a :class:`UserError` naming the first failure."""
    backend = make_backend(max(min(workers, len(tasks)), 1), dask)
    failures: list[tuple[int, str]] = []
    try:
        queue = list(tasks)
        pending: set[RunFuture] = set()
        with tqdm(total=len(tasks), desc=f"{name} replicates", unit="run",
                  disable=not progress, leave=False) as bar:
            while queue or pending:
                while queue and len(pending) < backend.capacity:
                    pending.add(backend.submit(queue.pop(0), job))
                done, pending = backend.wait_any(pending)
                for future in done:
                    result = future.result()
                    if result.status != DONE:
                        failures.append((result.run_id, result.error))
                    bar.update(1)
    except BaseException:
        backend.close(cancel=True)
        raise
    backend.close(cancel=False)
    if failures:
        run_id, error = min(failures)
        raise UserError(f"replicate {run_id} (seed {tasks[run_id].seed}) failed: {error}"
                        + (f"; {len(failures) - 1} more failed" if len(failures) > 1 else ""))
