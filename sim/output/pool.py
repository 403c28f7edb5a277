"""Work shared out to forked processes that never outlive the command.

:func:`forked_each` calls one function on each of a few items in up to ``workers``
processes forked from this one, so they share what the command has read (a run's tables)
without sending it to them: the function reaches each process through the fork, and only
the items travel. Used to draw a run's plots in parallel.

A comparison's four or five plots are drawn in the command's own process. Drawn in two
forked processes, ``talentwar compare`` of two flagship runs took 0.80 of the wall time at
the same CPU; but forking a process that holds a large heap costs system time for every
page either side then writes, and in the test process (about 300 MB) the comparisons took
1.2 times the CPU, which the test suite, CPU-bound on two cores, pays in full.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from typing import Any

from sim.files.processes import die_with_parent

_WORK: Callable[[Any], object] | None = None
"""In a forked process: the function it applies (set by :func:`_start`)."""


def _start(work: Callable[[Any], object], command: int) -> None:
    """Set up a forked process: Ctrl-C is the command's to handle (it then terminates this
    process), SIGTERM ends it, and it dies with the command (pid ``command``) even if that
    is killed."""
    global _WORK
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(command)
    _WORK = work


def _apply(item: Any) -> object:
    if _WORK is None:
        raise RuntimeError("not a process of forked_each")
    return _WORK(item)


def forked_each(work: Callable[[Any], object], items: Sequence[Any], workers: int) -> None:
    """Call ``work(item)`` for each of ``items``: in this process if ``workers`` is 1 (or
    the system cannot fork), else in up to ``workers`` forked processes. The first failure
    ends the others at once and is raised; so is an interrupt (after ending them)."""
    if workers <= 1 or len(items) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for item in items:
            work(item)
        return
    # Under fork the initializer's arguments are inherited, not pickled.
    pool = multiprocessing.get_context("fork").Pool(min(workers, len(items)), initializer=_start,
                                                 initargs=(work, os.getpid()))
    try:  # results as they come, so that a failure stops the others at once
        for _ in pool.imap_unordered(_apply, items):
            pass
    except BaseException:
        pool.terminate()
        pool.join()
        raise
    pool.close()
    pool.join()
