"""Work shared out to forked processes that never outlive the command.

:func:`forked_each` calls one function on each of a few items in up to ``workers``
processes forked from this one, so they share what the command has read (a run's tables)
without sending it to them: the function reaches each process through the fork, and only
the items travel. Used to draw the plots of a run folder (``talentwar plot``) in parallel.

:class:`EarlyProcess` forks a process at once, while the command is still small, has it
import a module (matplotlib, say) while the command goes on, and gives it one call later,
named by ``"module:function"``. ``talentwar run`` draws its plots so: the process loads the
plotting modules while the model runs; once the tables are written, it reads them and
has the plots drawn by processes it forks with :func:`forked_each` (which share what it
has loaded and read).

A comparison's four or five plots are drawn in the command's own process. Drawn in two
forked processes, ``talentwar compare`` of two flagship runs took 0.80 of the wall time at
the same CPU; but forking a process that holds a large heap costs system time for every
page either side then writes, and in the test process (about 300 MB) the comparisons took
1.2 times the CPU, which the test suite, CPU-bound on two cores, pays in full.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from sim.errors import UserError
from sim.files import signals_held
from sim.files.processes import die_with_parent, heap_frozen

_HELD = {signal.SIGINT, signal.SIGTERM}
"""The signals held back while this module forks a process (before its set-up,
:func:`_set_up`, it would run the command's handlers)."""

STOP_SECONDS = 10.0
"""How long :func:`_end` waits for the process to end on SIGTERM before it
kills it."""


def _set_up(command: int) -> None:
    """Set up a forked process: Ctrl-C is the command's to handle (it then terminates this
    process), SIGTERM ends it, and it dies with the command (pid ``command``) even if that
    is killed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Forked with both blocked (_HELD): a SIGTERM that came meanwhile ends it now.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)
    die_with_parent(command)


def forked_each(work: Callable[[Any], object], items: Sequence[Any], workers: int) -> None:
    """Call ``work(item)`` for each of ``items``: in this process if ``workers`` or the
    number of items is 1 (or this process may not fork, :func:`may_fork`), else in up to
    ``workers`` forked processes, each taking the next item (in the order given) when
    free. The first failure ends the others at once and is raised; so is an interrupt
    (after ending them); a process that ends without a word (killed) is a
    :class:`ProcessLost`."""
    if workers <= 1 or len(items) <= 1 or not may_fork():
        for item in items:
            work(item)
        return
    context = multiprocessing.get_context("fork")
    taken = context.Value("q", 0)  # how many items the processes have taken
    processes: list[BaseProcess] = []
    reports: list[Connection] = []
    writers: list[Connection] = []
    try:
        for _ in range(min(workers, len(items))):
            report, writer = context.Pipe(duplex=False)
            # Under fork the arguments are inherited, not pickled.
            processes.append(context.Process(target=_each_main, daemon=True,
                                             args=(work, items, taken, writer, os.getpid())))
            reports.append(report)
            writers.append(writer)
        try:
            _start_held(processes)
        finally:
            for writer in writers:  # the processes hold theirs
                writer.close()
        _collect(processes, reports, len(items))
    except BaseException:
        _end(processes)
        raise
    finally:
        for report in reports:
            report.close()
    for ended in processes:
        ended.join()


def _start_held(processes: Sequence[BaseProcess]) -> None:
    """Start (fork) ``processes`` with Ctrl-C and SIGTERM held back (:data:`_HELD`): one
    that comes meanwhile reaches this process as they are let through again, the last
    step here (so the caller, which ends them on any exception, sees it). This process's
    objects are out of their collector's view (:func:`heap_frozen`)."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        with heap_frozen():
            for process in processes:
                process.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _each_main(work: Callable[[Any], object], items: Sequence[Any], taken: Any,
               report: Connection, command: int) -> None:
    """A process of :func:`forked_each`: take the next item (under the shared counter's
    lock) and call ``work`` on it, until none is left; report each done (None), or the
    first failure, then stop."""
    _set_up(command)
    while True:
        with taken.get_lock():
            k = taken.value
            taken.value = k + 1
        if k >= len(items):
            return
        try:
            work(items[k])
        except BaseException as err:  # SystemExit too: every item is reported
            _send_failure(report, err)
            return
        report.send(None)


def _send_failure(conn: Connection, err: BaseException) -> None:
    """Send ``err`` on ``conn``: as it is if it is an ``Exception`` that pickles, else as a
    ``RuntimeError`` naming it."""
    if isinstance(err, Exception):
        try:
            conn.send(err)
            return
        except Exception:  # an error that does not pickle
            pass
    conn.send(RuntimeError(f"{type(err).__name__}: {err}"))


def _collect(processes: list[BaseProcess], reports: list[Connection], count: int) -> None:
    """Wait until ``processes`` (each reporting on its connection of ``reports``) have
    done ``count`` items; raise the first failure at once, or :class:`ProcessLost` for a
    process that ended without a word."""
    done = 0
    unread = dict(zip(reports, processes, strict=True))
    running = {process.sentinel: process for process in processes}
    while done < count:
        if not unread and not running:  # all ended, items undone (os._exit in work, say)
            raise ProcessLost(0)
        ready = wait([*unread, *running])
        for conn in [r for r in ready if isinstance(r, Connection)]:  # reports first
            try:
                failure = conn.recv()
            except EOFError:  # its process has ended: its sentinel says how
                del unread[conn]
                continue
            if failure is not None:
                raise failure
            done += 1
        for sentinel in [r for r in ready if isinstance(r, int)]:
            if any(p is running[sentinel] for p in unread.values()):
                continue  # reports of it still to read
            process = running.pop(sentinel)
            process.join()
            if process.exitcode != 0 and done < count:
                raise ProcessLost(process.exitcode)


def _end(processes: list[BaseProcess]) -> None:
    """End ``processes`` at once (SIGTERM, then SIGKILL after :data:`STOP_SECONDS`) and
    wait for them (those never started are skipped), Ctrl-C and SIGTERM held back
    meanwhile: a second Ctrl-C does not let the command go on while one still runs."""
    started = [process for process in processes if process.pid is not None]
    with signals_held():
        for process in started:
            if process.is_alive():
                process.terminate()
        for process in started:
            process.join(STOP_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()


def _early_main(conn: Connection, theirs: Connection,
                prepare: str | Callable[[], object] | None, command: int) -> None:
    """The life of an :class:`EarlyProcess`: set up (:func:`_set_up`; SIGTERM then ends
    it through ``SystemExit``, so that the processes it forked are ended and waited for
    first), import ``prepare`` (a module) or call it (a function), wait for its one call,
    make it and send back None or its failure. A failed import is left for the call to
    raise; a failed ``prepare()`` is sent back instead of making the call. ``theirs``,
    the command's end of the pipe, is closed at once: the pipe reaches its end when the
    command's end closes."""
    theirs.close()
    _set_up(command)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    failed: Exception | None = None
    if callable(prepare):
        try:
            prepare()
        except Exception as err:
            failed = err
    elif prepare is not None:
        with contextlib.suppress(Exception):
            importlib.import_module(prepare)
    try:
        target, args = conn.recv()
    except EOFError:  # the command went on without it
        return
    if failed is not None:
        _send_failure(conn, failed)
        return
    try:
        module, _, name = target.partition(":")
        getattr(importlib.import_module(module), name)(*args)
    except Exception as err:
        _send_failure(conn, err)
    else:
        conn.send(None)


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


class EarlyProcess:
    """A process forked as the ``with`` block begins, while the command is still small,
    that imports ``prepare`` (a module), or calls it (a function: it reaches the process
    through the fork, with what it refers to), while the command goes on, then makes the
    one call :meth:`start` gives it (``"module:function"`` and picklable arguments);
    :meth:`wait` raises its failure (or that of ``prepare()``). It may fork processes of
    its own (:func:`forked_each`), which share what it has loaded.

    Use it as a context manager: leaving the block ends the process, at once if the
    block raised or was interrupted or the call has not returned (:meth:`stop`). It
    ignores Ctrl-C (the command's to handle), ends on SIGTERM (after ending and waiting for
    the processes it forked), and dies with the command however that ends
    (:func:`sim.files.processes.die_with_parent`). ``what`` and ``work`` name it and what
    it does in the :class:`ProcessLost` raised if it is killed (a drawing process, which
    drew, by default).
    """

    def __init__(self, prepare: str | Callable[[], object] | None = None, *,
                 what: str = "a drawing process", work: str = "drew") -> None:
        self._prepare = prepare
        self._what, self._work = what, work  # named by ProcessLost

    def _fork(self) -> None:
        """Fork the process (:func:`_start_held`); a Ctrl-C or SIGTERM that came
        meanwhile ends it before the exception leaves (so it cannot outlive a ``with``
        block that was never entered)."""
        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_early_main, args=(child, self._conn, self._prepare, os.getpid()),
            daemon=False)
        try:
            _start_held([self._process])
        except BaseException:
            self.stop()
            self._conn.close()
            raise
        finally:
            child.close()

    def start(self, target: str, *args: Any) -> None:
        """Have the process call ``target`` (``"module:function"``) with ``args``.

        Raises
        ------
        ProcessLost
            If the process has ended (killed before it was given the call).
        """
        try:
            self._conn.send((target, args))
        except OSError:
            raise self._lost() from None

    def wait(self) -> None:
        """Wait until the call has returned; raise its failure, or :class:`ProcessLost`
        if the process ended without a word (killed)."""
        try:
            failure = self._conn.recv()
        except (EOFError, ConnectionResetError):
            # Killed before it read its call: its end of the connection, closed with data
            # unread, reads as reset rather than ended.
            raise self._lost() from None
        self._process.join()
        if failure is not None:
            raise failure

    def _lost(self) -> ProcessLost:
        self._process.join()
        return ProcessLost(self._process.exitcode, self._what, self._work)

    def stop(self) -> None:
        """End the process at once, whatever it is doing, and wait for it (and so for those
        it forked): :func:`_end`. A process already ended is only waited for."""
        _end([self._process])

    def __enter__(self) -> EarlyProcess:
        self._fork()
        return self

    def __exit__(self, *_: object) -> None:
        try:
            self.stop()  # after wait() it has ended: only waited for
        finally:
            self._conn.close()


def early_process(prepare: str | Callable[[], object] | None = None
                  ) -> EarlyProcess | None:
    """:class:`EarlyProcess` importing or calling ``prepare``, or None where this process
    may not fork one (:func:`may_fork`)."""
    return EarlyProcess(prepare) if may_fork() else None


def may_fork() -> bool:
    """Whether this process may fork processes of its own: the system can fork, and this
    is not a daemonic process (a worker of a sweep or of replicates run in parallel, which
    ``multiprocessing`` does not let have children; it works alone)."""
    return ("fork" in multiprocessing.get_all_start_methods()
            and not multiprocessing.current_process().daemon)


class ProcessLost(UserError):
    """A process the command forked (to draw plots, or to write the engineer table) ended
    without a word: killed (by the system short of memory, say). Nothing of what it was
    doing is kept. ``what`` names the process, ``work`` what it did (``"drew"``)."""

    def __init__(self, status: int | None, what: str = "a drawing process",
                 work: str = "drew") -> None:
        super().__init__(f"{what} ended unexpectedly (exit status {status}: killed, by the "
                         f"system short of memory perhaps); nothing it {work} was kept")
        self.status = status
