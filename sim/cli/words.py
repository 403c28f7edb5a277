"""What every ``talentwar`` command shares: its words for the library's arguments and
errors (``--out``, the command that continues a folder), the library's log on standard
error, the checks of command-line values, and reading a scenario file named on the
command line.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.errors import Resume, UserError, forget_interrupt, log


def flag(option: str) -> str:
    """The command-line option of a library argument: ``out`` -> ``--out``,
    ``save_dir`` -> ``--save-dir``."""
    return "--" + option.replace("_", "-")


def resume_command(resume: Resume) -> str:
    """The command that continues a folder: ``talentwar sweep --resume FOLDER``."""
    return f"talentwar {resume.command} --resume {resume.folder}"


def interrupted(terminated: bool, before: str, after: str) -> int:
    """End a command that handled its own interrupt: print ``before``, ``interrupted``
    (Ctrl-C) or ``terminated (SIGTERM)``, then ``after`` on standard error, make CPython
    forget the Ctrl-C (:func:`sim.errors.forget_interrupt`), and return the status, 130 or
    143."""
    forget_interrupt()
    what = "terminated (SIGTERM)" if terminated else "interrupted"
    print(f"{before}{what}{after}", file=sys.stderr)
    return 128 + (signal.SIGTERM if terminated else signal.SIGINT)


def say(err: UserError) -> str:
    """The message of ``err`` in the words of the command line: its option as ``--out``,
    and the command that continues its folder."""
    return err.phrase(flag, resume_command)


class _Stderr(logging.Handler):
    """Prints the library's log (:data:`sim.errors.log`) on standard error:
    ``talentwar: removed ...``, ``talentwar: warning: ...``."""

    def emit(self, record: logging.LogRecord) -> None:
        warning = "warning: " if record.levelno >= logging.WARNING else ""
        print(f"talentwar: {warning}{record.getMessage()}", file=sys.stderr)


@contextmanager
def library_log() -> Iterator[None]:
    """Print the library's log messages (INFO and above) on standard error in the block."""
    handler = _Stderr(logging.INFO)
    level, propagate = log.level, log.propagate
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
        log.propagate = propagate


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {value}")
    return value


def port_number(text: str) -> int:
    value = non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {value}")
    return value


def positive_int(text: str) -> int:
    value = non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a whole number >= 1, got 0")
    return value


def workers_of(text: str | None) -> int:
    """``--workers`` of ``run --replicates``, ``sweep`` and ``calibrate``: a whole number
    >= 1; by default :func:`sim.files.default_workers` (the CPUs this process may use). The
    command checks the upper limit and uses no more workers than it has runs to do."""
    if text is None:
        from sim.files import default_workers

        return default_workers()
    try:
        value = int(text)
    except ValueError:
        raise UserError(f"--workers: expected a whole number >= 1, got {text[:40]!r}") from None
    if value < 1:
        raise UserError(f"--workers: expected a whole number >= 1, got {value}")
    return value


WORKERS_HELP = ("local worker processes (default: the number of CPUs this process may "
                "use, as for run --replicates, sweep and calibrate; never more than the "
                "runs to do); with --dask local, the number of Dask workers")
"""The help of ``--workers``, one default for every command that has it."""


FILE_KINDS = (("calibrate", "a calibration file", ("moments", "estimator")),
              ("sweep", "a sweep file", ("measures", "design", "parameters", "replicates")))
"""Keys that only a calibration or a sweep file has (never a scenario), and the command
that takes such a file."""


def read_scenario(path: Path, overrides: Mapping[str, Any] | None = None) -> Any:
    """The scenario of ``path`` (with ``overrides``, from ``--set``); a calibration or sweep
    file given in its place is named as such, with the command that takes it."""
    from sim.scenario import OverrideError, load_scenario, parse_toml_file

    try:
        return load_scenario(path, overrides or {})
    except OverrideError as err:
        raise UserError(f"--set {err.key}: {err.reason}") from None
    except UserError:
        try:
            data = parse_toml_file(Path(path), "scenario")
        except UserError:
            data = {}
        for command, what, keys in FILE_KINDS:
            found = [k for k in keys if k in data]
            if found:
                raise UserError(f"{path}: {what} (it has {found[0]!r}), not a scenario; run "
                                f"it with talentwar {command} {path}") from None
        raise


def next_line(folder: Path) -> str:
    """What to do with a new run or replicate folder: the command that puts it on one page
    (on standard error, so that standard output stays the folder's path alone)."""
    return f"next: talentwar report {folder}"


def warn_if_leftover(folder: Path) -> None:
    """Warn that ``folder`` is the hidden folder an interrupted command was writing (its
    contents may be incomplete), naming the folder it was to become."""
    from sim.files import LEFTOVER, writer_alive

    found = LEFTOVER.match(folder.name)
    if found is None:
        return
    try:
        written = folder.stat().st_mtime
    except OSError:
        return
    pid = int(found["pid"])
    state = ("is still writing it" if writer_alive(pid, written)
             else "was interrupted before it finished")
    print(f"talentwar: warning: {folder} is the hidden folder in which process {pid} was "
          f"writing {found['name']}; that process {state}, so what it holds may be "
          "incomplete", file=sys.stderr)
