"""Where a sweep's runs execute: in the sweep process, a pool of local worker processes,
or a Dask distributed cluster.

Every backend has the same small interface (:class:`Backend`): ``capacity`` (runs to keep
in flight), ``submit`` (start a run, return a future of its :class:`RunResult`),
``wait_any`` (block until at least one future is finished) and ``close``.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_connections
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any, Protocol, cast

from sim.errors import UserError, log
from sim.files.processes import die_with_parent, heap_frozen, keep_freed_memory
from sim.sweeps.worker import (
    FAILED,
    Job,
    RunResult,
    RunTask,
    TaskJob,
    release_memory,
    run_task,
)

if TYPE_CHECKING:
    from distributed import Client
    from distributed import Future as DaskFuture

class RunFuture(Protocol):
    """A run in flight: a ``concurrent.futures.Future`` or a ``distributed.Future``."""

    def result(self) -> RunResult:
        """The run's result (waits for it)."""
        ...


class Backend(Protocol):
    """What the execution loop needs of a backend."""

    capacity: int

    def submit(self, task: RunTask, job: Job | TaskJob) -> RunFuture:
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

    def submit(self, task: RunTask, job: Job | TaskJob) -> RunFuture:
        future: Future[RunResult] = Future()
        future.set_result(run_task(task, job))
        return future

    def wait_any(self, futures: set[RunFuture]) -> tuple[set[RunFuture], set[RunFuture]]:
        return set(futures), set()

    def close(self, cancel: bool) -> None:
        pass


def _worker_main(conn: Connection, inherited: list[Connection], parent: int) -> None:
    """A local worker process: run each ``(task, job)`` received, send back its result; stop
    at ``None`` or when the sweep process (pid ``parent``) goes away. Ctrl-C is left to the
    sweep process, which ends its workers, and so is SIGTERM (sent to the whole process
    group, it must not cost the runs in flight).

    A forked worker closes the sweep process's ends of the pipes it inherited (its own and
    the other workers'), so that its ``recv`` sees the end of the file when the sweep
    process ends, and dies with the sweep process even while it runs
    (:func:`sim.files.processes.die_with_parent`). After each run it frees what the run
    left (:func:`sim.sweeps.worker.release_memory`), so that its memory does not grow with
    the number of runs. Its allocator keeps freed memory for the next arrays
    (:func:`sim.files.processes.keep_freed_memory`; inherited from the sweep process if
    forked).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    keep_freed_memory()
    for end in inherited:
        end.close()
    die_with_parent(parent)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        task, job = message
        try:
            conn.send(run_task(task, job))
        except (BrokenPipeError, OSError):
            return
        del message, task, job  # the run's own objects: garbage before the collection
        release_memory()


def _death(exitcode: int | None) -> str:
    """How a process ended, in words."""
    if exitcode is None:
        return "it stopped answering"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (the out-of-memory killer sends SIGKILL)" if name == "SIGKILL" else ""
        return f"it was killed by {name}{hint}"
    return f"it exited with status {exitcode}"


@dataclass
class _Worker:
    """One worker process, its end of the pipe, and the run it is doing (if any)."""

    process: BaseProcess
    conn: Connection
    task: RunTask | None = None
    future: Future[RunResult] | None = None


class LocalBackend:
    """Local worker processes (forked where possible: no re-import per worker), each fed
    one run at a time through its own pipe.

    The sweep process knows which run each worker is doing, so a worker that dies (killed
    by a signal, the out-of-memory killer, a crash in native code) costs that run only: it
    is returned as ``failed`` with the cause, a fresh worker takes the dead one's place,
    and the other workers go on.
    """

    def __init__(self, workers: int) -> None:
        self._context = (multiprocessing.get_context("fork")
                         if "fork" in multiprocessing.get_all_start_methods()
                         else multiprocessing.get_context("spawn"))
        self.capacity = 2 * workers
        self._queue: deque[tuple[RunTask, Job | TaskJob, Future[RunResult]]] = deque()
        self._workers: list[_Worker] = []
        self._closed = False
        try:
            for _ in range(workers):
                self._workers.append(self._start())
        except OSError as err:
            self.close(cancel=True)
            raise UserError(f"cannot start the worker processes: {err.strerror or err}",
                            option="workers", value=workers) from None

    def _start(self) -> _Worker:
        parent, child = self._context.Pipe()
        forked = self._context.get_start_method() == "fork"
        inherited = [parent, *(w.conn for w in self._workers)] if forked else []
        process = self._context.Process(target=_worker_main,
                                        args=(child, inherited, os.getpid()), daemon=True)
        with heap_frozen():  # forked, its collections skip what it inherits
            process.start()
        child.close()
        return _Worker(process, parent)

    def submit(self, task: RunTask, job: Job | TaskJob) -> RunFuture:
        future: Future[RunResult] = Future()
        self._queue.append((task, job, future))
        self._dispatch()
        return future

    def _dispatch(self) -> None:
        """Hand queued runs to idle workers."""
        for k, worker in enumerate(self._workers):
            if not self._queue:
                return
            if worker.task is None:
                task, job, future = self._queue.popleft()
                try:
                    worker.conn.send((task, job))
                except OSError:  # the worker died while idle: replace it, send again
                    worker.process.join(timeout=5)
                    worker.conn.close()
                    worker = self._workers[k] = self._start()
                    worker.conn.send((task, job))
                worker.task, worker.future = task, future

    def _finish(self, worker: _Worker, result: RunResult) -> None:
        if worker.future is not None:
            worker.future.set_result(result)
        worker.task, worker.future = None, None

    def _collect(self) -> None:
        """Wait until a busy worker answers or dies, settle its run, and hand the next
        queued run to each worker now idle (before the caller is told: the worker then
        runs it while the caller stores the result it was sent)."""
        busy = [w for w in self._workers if w.task is not None]
        if not busy:
            return
        ready = set(wait_connections([w.conn for w in busy] + [w.process.sentinel
                                                               for w in busy]))
        for k, worker in enumerate(list(self._workers)):
            if worker.task is None:
                continue
            result: RunResult | None = None
            if worker.conn in ready:
                with contextlib.suppress(EOFError, OSError):
                    result = worker.conn.recv()
            elif worker.process.sentinel not in ready:
                continue
            if result is not None:
                self._finish(worker, result)
                continue
            # no result: the worker died while running this run
            worker.process.join(timeout=5)
            task = worker.task
            error = (f"WorkerDied: the worker process running run {task.run_id} ended "
                     f"without a result: {_death(worker.process.exitcode)}")
            self._finish(worker, RunResult(task.run_id, FAILED, error, [], 0.0))
            worker.conn.close()
            self._workers[k] = self._start()
        self._dispatch()

    def wait_any(self, futures: set[RunFuture]) -> tuple[set[RunFuture], set[RunFuture]]:
        # this backend's futures are concurrent.futures.Future objects it settles itself
        while True:
            done = {f for f in futures if cast(Future[RunResult], f).done()}
            if done:
                return done, set(futures) - done
            self._dispatch()
            self._collect()

    def close(self, cancel: bool) -> None:
        if self._closed:
            return
        self._closed = True
        for worker in self._workers:
            with contextlib.suppress(OSError):
                if cancel or worker.task is not None:
                    worker.process.kill()
                else:
                    worker.conn.send(None)
        for worker in self._workers:
            worker.process.join(timeout=10)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        for _, _, future in self._queue:
            future.cancel()
        self._queue.clear()


class _Notices(logging.Handler):
    """Keeps the records of the library's logger made by one thread (a task's)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.thread = threading.get_ident()
        self.records: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            attributes = dict(vars(record))
            attributes.update(msg=record.getMessage(), args=None, exc_info=None)
            attributes.pop("message", None)
            self.records.append(attributes)


def with_notices(parent: int, fn: Callable[..., Any], *args: Any
                 ) -> tuple[Any, list[dict[str, Any]]]:
    """``fn(*args)`` in a Dask worker, and the notices of the library's logger
    (:data:`sim.errors.log`, INFO and above) it made, as the attributes of their log
    records, to be handled again in the process that submitted it (pid ``parent``).

    A worker process has no handler for that logger, so its notices would be lost. They
    are kept only where they would be: in another process than ``parent`` whose logger
    has no handler (a worker thread of the submitting process, or a forked process that
    inherited its handler, prints them itself).

    A worker process other than ``parent`` has its allocator keep freed memory for the
    next runs' arrays (:func:`sim.files.processes.keep_freed_memory`).
    """
    if os.getpid() != parent:
        keep_freed_memory()
    if os.getpid() == parent or log.handlers:
        return fn(*args), []
    if log.getEffectiveLevel() > logging.INFO:
        log.setLevel(logging.INFO)
    notices = _Notices()
    log.addHandler(notices)
    try:
        return fn(*args), notices.records
    finally:
        log.removeHandler(notices)


class DaskRun:
    """A call running on a Dask worker (:meth:`DaskBackend.run`): its ``result()`` first
    hands the notices the call logged there to this process's logger (once)."""

    def __init__(self, future: DaskFuture) -> None:
        self.future = future
        self._told = False

    def result(self) -> Any:
        value, notices = self.future.result()
        if not self._told:
            self._told = True
            for attributes in notices:
                log.handle(logging.makeLogRecord(attributes))
        return value


def dask_setup(worker: object) -> None:
    """Dask's preload hook, in each worker process of a local cluster
    (:class:`DaskBackend` with ``local``): ignore Ctrl-C (SIGINT), which the terminal sends
    to the whole process group, so that an interrupted sweep stops its workers itself
    (closing the cluster) instead of each printing a KeyboardInterrupt traceback."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


DASK_CONNECT_TIMEOUT = "5s"
"""How long a sweep tries to reach a Dask scheduler at an address before it gives up (a
Dask duration)."""


class DaskBackend:
    """A Dask distributed cluster: an address, ``local`` (a new LocalCluster), or a Client.

    The library's notices logged in a worker (a run's ``log.info`` or ``log.warning``)
    reach this process's logger with the run's result (:func:`with_notices`)."""

    def __init__(self, target: str | Client, workers: int) -> None:
        try:
            import distributed  # heavy and optional: only for a Dask backend
        except ImportError:
            raise UserError("needs Dask: pip install 'talentwar[dask]'", option="dask"
                            ) from None
        self._distributed = distributed
        self.cluster: distributed.LocalCluster | None = None
        self.own_client = True
        if isinstance(target, distributed.Client):
            self.client, self.own_client = target, False
        elif target == "local":
            # Ctrl-C reaches the workers too (they share the terminal's process group):
            # they ignore it (dask_setup) and are closed by this process, which reports
            # the interrupt once; their own notices below errors stay quiet.
            self.cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=logging.ERROR,
                preload=[__name__])
            self.client = distributed.Client(self.cluster)
        else:
            try:
                self.client = distributed.Client(target, timeout=DASK_CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError, TypeError) as err:
                raise UserError(f"cannot reach a Dask scheduler there: {err}", option="dask",
                                value=target) from None
        n = len(self.client.nthreads())
        self.capacity = max(2 * max(n, 1), 2)

    def run(self, fn: Callable[..., Any], *args: Any) -> DaskRun:
        """Start ``fn(*args)`` on a worker (:func:`with_notices`)."""
        return DaskRun(self.client.submit(with_notices, os.getpid(), fn, *args, pure=False))

    def submit(self, task: RunTask, job: Job | TaskJob) -> RunFuture:
        return self.run(run_task, task, job)

    def wait_any(self, futures: set[RunFuture]) -> tuple[set[RunFuture], set[RunFuture]]:
        runs = {cast(DaskRun, f).future: f for f in futures}
        done, pending = self._distributed.wait(list(runs), return_when="FIRST_COMPLETED")
        return {runs[f] for f in done}, {runs[f] for f in pending}

    def close(self, cancel: bool) -> None:
        if self.own_client:
            self.client.close()
            self.own_client = False
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None


def check_dask_target(target: object) -> None:
    """``dask``: ``local``, a ``tcp://host:port`` (or ``host:port``) scheduler address, or
    a ``distributed.Client``; anything else is a :class:`UserError` (before anything is
    written or started)."""
    if target is None or target == "local" or not isinstance(target, str):
        return
    scheme, sep, rest = target.partition("://")
    if not sep:
        scheme, rest = "tcp", target
    if scheme != "tcp":
        raise UserError(f"{scheme}:// addresses are not supported; give 'local' or a "
                        "tcp://HOST:PORT scheduler address (a TLS or UCX cluster needs security or "
                        "transport settings: create a distributed.Client in Python and pass it "
                        "to run_sweep)", option="dask", value=target[:100])
    host, colon, port = rest.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536 or any(
            c.isspace() or not c.isprintable() for c in host):
        raise UserError("expected 'local' or a scheduler address tcp://HOST:PORT (a port "
                        "from 1 to 65535)", option="dask", value=target[:100])


def make_backend(workers: int, dask: str | Client | None) -> Backend:
    """The backend for ``workers`` and ``dask``: Dask if a target is given (a
    scheduler address ``tcp://host:8786``, ``"local"`` to start a LocalCluster, or a
    ``distributed.Client``), else serial for one worker, else a local process pool."""
    if dask is not None:
        return DaskBackend(dask, workers)
    return SerialBackend() if workers == 1 else LocalBackend(workers)
