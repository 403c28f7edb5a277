"""The ``talentwar`` command line.

Every command turns bad input (scenario files, command-line values, damaged result
folders) into one clear message on standard error and exit status 2, never a traceback.
Ctrl-C is one line and exit status 130; SIGTERM is handled like Ctrl-C by every command
(the same clean-up, one line, exit status 143).
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sim.cli.parser import build_parser
from sim.cli.words import library_log, say
from sim.errors import (
    InvariantError,
    Terminated,
    UserError,
    forget_interrupt,
    forget_termination,
    interrupted,
    interrupts_noted,
    note_termination,
    terminated,
)
from sim.files.processes import keep_freed_memory

__all__ = ["SIGTERM_AS_INTERRUPT", "UserError", "build_parser", "main", "say"]

SIGTERM_AS_INTERRUPT = frozenset({"run", "plot", "compare", "report", "validate", "schema",
                                  "sweep", "calibrate", "explore"})
"""Commands for which SIGTERM is handled like Ctrl-C: clean up, one line, exit 143."""


def _sigterm_as_interrupt() -> Any:
    """Make SIGTERM raise :class:`Terminated` in this process (not in processes it forks,
    which keep the default: end); return the handler it replaces (None if it cannot)."""
    main_pid = os.getpid()

    def on_sigterm(signum: int, frame: object) -> None:
        if os.getpid() != main_pid:  # a forked process: end, as by default
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        note_termination()  # kept, should library code swallow the exception
        raise Terminated

    try:
        return signal.signal(signal.SIGTERM, on_sigterm)
    except (ValueError, OSError):  # not the main thread
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Bad input is one line and status 2; a broken invariant status 3; Ctrl-C one line and
    status 130, and SIGTERM (for the commands of :data:`SIGTERM_AS_INTERRUPT`) one line and
    status 143, after the command has removed what it had not finished.
    """
    with interrupts_noted():
        return _main(argv)


def console() -> int:
    """The ``talentwar`` command (``python -m sim`` too): :func:`main`, then every object
    of the process left out of the collector's passes at its exit (``gc.freeze``).

    Python's shutdown runs full collections, each walking every object of the libraries
    loaded (pandas, numpy, pydantic, Mesa...): 0.15 s at the end of every command
    (``benchmarks/bench_exit.py``: 173 ms, 21 ms frozen). What the command wrote is
    closed by then; cyclic garbage left at the end is not finalized (nothing of the
    command's needs it). Not in :func:`main`, which tests call in their own process.

    A command that ends interrupted (status 130 or 143) ignores Ctrl-C and SIGTERM from
    then on: a second one during the interpreter's shutdown would otherwise kill the
    process by the signal (status -2 or -15 to a caller) after its message was printed.

    The process's allocator keeps freed memory for the next arrays
    (:func:`sim.files.processes.keep_freed_memory`: a sixth of a month's time at 100,000
    engineers went to page faults); the processes it forks inherit it."""
    keep_freed_memory()
    status = main()
    if status in (128 + signal.SIGINT, 128 + signal.SIGTERM):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    gc.freeze()
    return status


def _main(argv: Sequence[str] | None) -> int:
    """:func:`main` within :func:`sim.errors.interrupts_noted`: a Ctrl-C whose
    KeyboardInterrupt library code turned into another exception, or swallowed while the
    command went on to finish, still ends it as interrupted (status 130)."""
    previous: Any = None
    try:
        args = build_parser().parse_args(argv)
        if args.command in SIGTERM_AS_INTERRUPT:
            previous = _sigterm_as_interrupt()
        with library_log():
            status = int(args.func(args))
        if status == 0 and interrupted():  # as it finished: what it wrote is whole
            return _interrupted(terminated=terminated(), finished=True)
        return status
    except KeyboardInterrupt as err:
        return _interrupted(isinstance(err, Terminated))
    except Exception as err:
        if interrupted():  # e.g. Python 3.11's RuntimeError around one in a class's creation
            return _interrupted(terminated=terminated())
        if isinstance(err, UserError):
            print(f"talentwar: error: {say(err)}", file=sys.stderr)
            return UserError.exit_status
        if isinstance(err, InvariantError):
            print(f"talentwar: invariant broken in {err} (a bug in the model: please report "
                  "it with the scenario and seed); nothing was written", file=sys.stderr)
            return InvariantError.exit_status
        raise
    finally:
        if previous is not None:
            with _quiet_interrupts():
                signal.signal(signal.SIGTERM, previous)
            forget_termination()


def _interrupted(terminated: bool, finished: bool = False) -> int:
    """Say that the command was interrupted (Ctrl-C) or terminated (SIGTERM), or that a
    Ctrl-C reached it as it ``finished`` (library code had swallowed it); its status."""
    forget_interrupt()
    with _quiet_interrupts():
        what = "terminated (SIGTERM)" if terminated else "interrupted"
        print(f"talentwar: {what}; " + ("it had finished: what it wrote is complete"
                                        if finished else "nothing incomplete was left behind"),
              file=sys.stderr)
    return 128 + (signal.SIGTERM if terminated else signal.SIGINT)


@contextmanager
def _quiet_interrupts() -> Iterator[None]:
    """Ignore a further Ctrl-C while the block (a one-line message) runs."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except (ValueError, OSError):  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
