"""Errors that reach the user as one clear message and an exit status, not a traceback."""

from __future__ import annotations

import contextlib
import difflib
import logging
import os
import re
import signal
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger("talentwar")
"""Where library code says what it did (level INFO: ``removed X, left by an interrupted
run``) and what looks wrong (WARNING). The command line installs the handler that prints
these on standard error as ``talentwar: ...`` and ``talentwar: warning: ...``; a program
using the library decides itself (Python's last-resort handler prints warnings)."""

RESUME = "{resume}"
"""The place in a :class:`UserError` message where the way to continue its
:attr:`~UserError.resume` folder goes."""

OTHER_OPTION = re.compile(r"\{option:([a-z_]+)\}")
"""How a :class:`UserError` message names another argument (``{option:dask}``), phrased
as its caller names it."""

RESUMERS = {"sweep": "resume_sweep", "calibrate": "resume_calibration"}
"""The library function that continues a folder of each command (for ``str(err)``)."""


@dataclass(frozen=True)
class Resume:
    """A folder that a command continues (``command`` is ``"sweep"`` or ``"calibrate"``):
    how the user continues it is for the caller to phrase."""

    command: str
    folder: Path | str


def _keyword(option: str) -> str:
    return option


def _call(resume: Resume) -> str:
    return f"{RESUMERS.get(resume.command, resume.command)}({str(resume.folder)!r})"


E = TypeVar("E", bound=BaseException)


def _restored(cls: type[E], args: tuple[Any, ...], fields: dict[str, Any]) -> E:
    """An error of class ``cls`` rebuilt from its ``args`` and attributes, without calling
    its ``__init__`` (whose parameters are the error's fields, not its message)."""
    err = cls.__new__(cls, *args)
    err.args = args
    err.__dict__.update(fields)
    return err


class KeepsFields:
    """Makes an exception class pickle with its fields (attributes), so that one raised in
    a worker process reaches the parent whole.

    Python pickles an exception as ``cls(*err.args)``: an error whose ``__init__`` takes
    its fields (``WriteError(path, reason, what)``) and passes one message up cannot be
    rebuilt that way. This one is rebuilt from its ``args`` and attributes instead. Put
    it first among the bases."""

    def __reduce__(self) -> tuple[Any, ...]:
        err: BaseException = self  # type: ignore[assignment]
        return (_restored, (type(self), err.args, dict(vars(err))))


class UserError(KeepsFields, Exception):
    """Bad input from the user: a scenario, sweep file or command-line value.

    The message names the file, the key and what was expected. The command line prints it
    and exits with status 2.

    ``option`` names the argument that was given the bad value, as the keyword argument of
    the library function (``"out"``, ``"workers"``, ``"dask"``), and ``value`` the value
    (None: the message names it). ``resume`` is a folder that can be continued, whose way to
    continue goes where the message has :data:`RESUME`; other arguments are named in the
    message as ``{option:NAME}``. ``str(err)`` phrases all these for a program
    (``out=results/x: exists already``); the command line with its own options
    (``--out results/x: exists already``), by :meth:`phrase`.
    """

    exit_status = 2

    def __init__(self, message: str = "", *, option: str | None = None,
                 value: object = None, resume: Resume | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.option = option
        self.value = value
        self.resume = resume

    def phrase(self, name: Callable[[str], str] = _keyword,
               resume: Callable[[Resume], str] = _call, joiner: str = " ") -> str:
        """The message for a reader who knows the arguments as ``name(option)`` and
        continues a folder with ``resume(folder)``: headed by the option and its value
        (joined by ``joiner``) if there is one."""
        text = OTHER_OPTION.sub(lambda m: name(m.group(1)), self.message)
        if self.resume is not None:
            text = text.replace(RESUME, resume(self.resume))
        if not self.option:
            return text
        head = name(self.option)
        if self.value is not None:
            head = f"{head}{joiner}{self.value}"
        return f"{head}: {text}" if text else head

    def __str__(self) -> str:
        return self.phrase(joiner="=")

    def about(self, option: str) -> UserError:
        """This error as one about the argument ``option`` (itself if it names one
        already): ``option`` heads its message."""
        if self.option:
            return self
        return UserError(self.message, option=option, resume=self.resume)


class InvariantError(KeepsFields, RuntimeError):
    """An invariant of the market broke (``run --check``): a bug in the model, never bad
    input. The command line prints the month and what broke and exits with status 3."""

    exit_status = 3

    def __init__(self, month: int, what: str) -> None:
        super().__init__(f"month {month}: {what}")
        self.month = month
        self.what = what


class Terminated(KeepsFields, KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C (by the command line's handler) so that every clean-up
    that handles Ctrl-C runs."""


_NOTED = False
"""Whether a Ctrl-C reached the command (:func:`interrupts_noted`), or a SIGTERM that the
command raises as :class:`Terminated` (:func:`note_termination`)."""

_TERMINATED = False
"""Whether what :data:`_NOTED` notes was a SIGTERM."""


def _note_interrupt(signum: int, frame: Any) -> None:
    """The Ctrl-C handler of :func:`interrupts_noted`: note it, then raise
    KeyboardInterrupt as Python's own handler does."""
    global _NOTED
    _NOTED = True
    signal.default_int_handler(signum, frame)


def note_termination() -> None:
    """Note a SIGTERM as :func:`interrupts_noted` notes a Ctrl-C: for a command's SIGTERM
    handler, before it raises :class:`Terminated`, so that a Terminated library code
    swallowed still stops the command (:func:`stop_if_interrupted`) and is said as a
    termination (:func:`terminated`)."""
    global _NOTED, _TERMINATED
    _NOTED = _TERMINATED = True


def forget_termination() -> None:
    """Drop a note of :func:`note_termination` (for the command's SIGTERM handler, as it
    is taken away: the note is the command's, whether or not :func:`interrupts_noted` put
    its own handler in place)."""
    global _NOTED, _TERMINATED
    if _TERMINATED:
        _NOTED = _TERMINATED = False


@contextlib.contextmanager
def interrupts_noted() -> Iterator[None]:
    """Note every Ctrl-C (SIGINT) that arrives while the block runs, besides raising
    KeyboardInterrupt as usual (:func:`interrupted` says whether one came).

    Library code can swallow the KeyboardInterrupt: a module that runs Python text from C
    while it is imported prints it and carries on, and Python 3.11 turns one raised while
    a class is created into a RuntimeError that a library may catch. The note outlives
    the exception, so that the command can still stop (:func:`stop_if_interrupted`)
    instead of finishing as if nothing had been pressed.

    The handler is put in place only where Ctrl-C has Python's own handler: a process that
    ignores it (started in the background of a script), a program that handles it itself
    and a thread other than the main one run the block without it (so does a block inside
    another: the outer block's note holds a Ctrl-C that reaches either). The note ends with
    the block; a process forked meanwhile starts without one.
    """
    global _NOTED
    try:
        if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            raise ValueError("Ctrl-C is handled otherwise")
        previous = signal.signal(signal.SIGINT, _note_interrupt)
    except (ValueError, OSError):  # not the main thread, or not Python's own handler
        yield
        return
    _NOTED = _TERMINATED = False
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _NOTED = _TERMINATED = False


def _forget_note() -> None:
    """In a process just forked: no Ctrl-C has reached it yet."""
    global _NOTED, _TERMINATED
    _NOTED = _TERMINATED = False


os.register_at_fork(after_in_child=_forget_note)


def interrupted() -> bool:
    """Whether a Ctrl-C (or a noted SIGTERM, :func:`note_termination`) has reached the
    block of :func:`interrupts_noted` now running (whatever became of its
    KeyboardInterrupt)."""
    return _NOTED


def terminated() -> bool:
    """Whether what :func:`interrupted` says came was a SIGTERM."""
    return _TERMINATED


def stop_if_interrupted() -> None:
    """Raise KeyboardInterrupt if a Ctrl-C reached the command (:func:`interrupted`):
    called before a result is made final, so that one whose KeyboardInterrupt library
    code swallowed still stops the command."""
    if _NOTED:
        raise Terminated if _TERMINATED else KeyboardInterrupt


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
