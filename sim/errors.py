"""Errors that reach the user as one clear message and an exit status, not a traceback."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class UserError(Exception):
    """Bad input from the user: a scenario, sweep file or command-line value.

    The message names the file, the key and what was expected. The command line prints it
    and exits with status 2.
    """

    exit_status = 2


class InvariantError(RuntimeError):
    """An invariant of the market broke (``run --check``): a bug in the model, never bad
    input. The command line prints the month and what broke and exits with status 3."""

    exit_status = 3

    def __init__(self, month: int, what: str) -> None:
        super().__init__(f"month {month}: {what}")
        self.month = month
        self.what = what


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C (by the command line's handler) so that every clean-up
    that handles Ctrl-C runs."""


def forget_interrupt() -> None:
    """Make CPython forget a Ctrl-C that the command has handled.

    A Ctrl-C that arrives while C code runs Python text (Cython modules do so while they
    are imported) makes CPython remember it as unhandled, and at exit the process kills
    itself with SIGINT even though the command caught it (status -2 instead of 130).
    Running an empty text through the same C function clears that memory.
    """
    try:
        import ctypes

        ctypes.pythonapi.PyRun_SimpleString(b"")
    except (ImportError, AttributeError, OSError):
        pass


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A hint for a misspelt name: ``"; did you mean 'engineers'?"`` naming the closest
    candidates (:func:`difflib.get_close_matches`, similarity ratio at least 0.6, at most
    three), or ``""`` when none is close."""
    close = difflib.get_close_matches(str(word), sorted({str(c) for c in candidates}), n=3,
                                      cutoff=0.6)
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(c) for c in close) + "?"
