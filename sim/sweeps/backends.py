"""Where a sweep's runs execute: in the sweep process, a pool of local worker processes,
or a Dask distributed cluster.

Every backend has the same small interface (:class:`Backend`): ``capacity`` (runs to keep
in flight), ``submit`` (start a run, return a future of its :class:`RunResult`),
``wait_any`` (block until at least one future is finished) and ``close``.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from typing import TYPE_CHECKING, Protocol, cast

from sim.errors import UserError
from sim.sweeps.worker import Job, RunResult, RunTask, execute_run

if TYPE_CHECKING:
    from distributed import Client

class RunFuture(Protocol):
    """A run in flight: a ``concurrent.futures.Future`` or a ``distributed.Future``."""

    def result(self) -> RunResult:
        """The run's result (waits for it)."""
        ...


class Backend(Protocol):
    """What the execution loop needs of a backend."""

    capacity: int

    def submit(self, task: RunTask, job: Job) -> RunFuture:
        """Start one run."""
        ...

    def wait_any(self, futures: set[RunFuture]) -> tuple[set[RunFuture], set[RunFuture]]:
        """Wait until at least one of ``futures`` is finished: ``(done, pending)``."""
        ...

    def close(self, cancel: bool) -> None:
        """Release the backend's workers (``cancel``: drop runs not started); idempotent."""
        ...


class SerialBackend:
    """Runs each task in this process when it is submitted."""

    capacity = 1

    def submit(self, task: RunTask, job: Job) -> RunFuture:
        future: Future[RunResult] = Future()
        future.set_result(execute_run(task, job))
        return future

    def wait_any(self, futures: set[RunFuture]) -> tuple[set[RunFuture], set[RunFuture]]:
        return set(futures), set()

    def close(self, cancel: bool) -> None:
        pass


class LocalBackend:
    """A pool of local worker processes (forked where possible: no re-import per worker)."""

    def __init__(self, workers: int) -> None:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))
        self.capacity = 2 * workers

    def submit(self, task: RunTask, job: Job) -> RunFuture:
        return self.pool.submit(execute_run, task, job)

    def wait_any(self, futures: set[RunFuture]) -> tuple[set[RunFuture], set[RunFuture]]:
        # this backend's futures are the pool's concurrent.futures.Future objects
        done, pending = wait_futures(cast(set[Future[RunResult]], futures),
                                     return_when=FIRST_COMPLETED)
        return set(done), set(pending)

    def close(self, cancel: bool) -> None:
        self.pool.shutdown(wait=not cancel, cancel_futures=cancel)  # a second call is a no-op


class DaskBackend:
    """A Dask distributed cluster: an address, ``local`` (a new LocalCluster), or a Client."""

    def __init__(self, target: str | Client, workers: int) -> None:
        try:
            import distributed  # heavy and optional: only when --dask is given
        except ImportError:
            raise UserError("--dask needs Dask: pip install 'talentwar[dask]'") from None
        self._distributed = distributed
        self.cluster: distributed.LocalCluster | None = None
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

    def submit(self, task: RunTask, job: Job) -> RunFuture:
        future: RunFuture = self.client.submit(execute_run, task, job, pure=False)
        return future

    def wait_any(self, futures: set[RunFuture]) -> tuple[set[RunFuture], set[RunFuture]]:
        done, pending = self._distributed.wait(list(futures), return_when="FIRST_COMPLETED")
        return set(done), set(pending)

    def close(self, cancel: bool) -> None:
        if self.own_client:
            self.client.close()
            self.own_client = False
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None


def make_backend(workers: int, dask: str | Client | None) -> Backend:
    """The backend for ``--workers N`` and ``--dask TARGET``: Dask if a target is given (a
    scheduler address ``tcp://host:8786``, ``"local"`` to start a LocalCluster, or a
    ``distributed.Client``), else serial for one worker, else a local process pool."""
    if dask is not None:
        return DaskBackend(dask, workers)
    return SerialBackend() if workers == 1 else LocalBackend(workers)
