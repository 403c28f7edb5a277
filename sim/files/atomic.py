"""One way to write a file or a folder: completely or not at all.

Everything is written under a hidden temporary name beside its destination (same file
system, so the final ``rename`` is atomic), flushed to disk (``fsync``) and renamed into
place; if the block raises or is interrupted the temporary is removed, with Ctrl-C and
SIGTERM held back (:func:`signals_held`) so the clean-up itself is not cut short. A process
killed outright (SIGKILL, a power cut) cannot clean up: what it left is named
``.<final name>.incomplete-<pid>`` (folders) or ``.<final name>.tmp-<pid>`` (files), and
:func:`remove_leftovers` removes it once that process no longer runs.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.errors import UserError

INCOMPLETE = ".incomplete-"
"""A folder being written is hidden and named ``.<final name>.incomplete-<pid>``."""
LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?:incomplete|tmp)-(?P<pid>[0-9]{1,10})$")
"""The name of a temporary folder or file: what it will become and the writer's pid."""


class WriteError(UserError):
    """A file or folder could not be written: ``path``, the system's ``reason`` and
    ``what`` was being written (for the message)."""

    def __init__(self, path: Path, reason: str, what: str = "it") -> None:
        super().__init__(f"{path}: cannot write {what}: {reason}")
        self.path = path
        self.reason = reason
        self.what = what

    def about(self, option: str) -> UserError:
        """This error as one about the argument ``option`` that named the path."""
        return UserError(f"cannot write {self.what}: {self.reason}", option=option,
                         value=self.path)


def _reason(err: OSError) -> str:
    return err.strerror or str(err)


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) and SIGTERM back while the block runs (a clean-up that must
    finish); a signal that arrives meanwhile is delivered when the block ends."""
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, OSError, ValueError):  # no POSIX signal masks here
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def incomplete(final: Path) -> Path:
    """The hidden folder in which ``final`` is written: ``.<name>.incomplete-<pid>``."""
    return final.parent / f".{final.name}{INCOMPLETE}{os.getpid()}"


def temporary(final: Path) -> Path:
    """The hidden file in which ``final`` is written: ``.<name>.tmp-<pid>``."""
    return final.parent / f".{final.name}.tmp-{os.getpid()}"


def _fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename in it) to disk, where the system allows."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_tree(folder: Path) -> None:
    """Flush every file of a folder, and the folder, to disk."""
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with contextlib.suppress(OSError):
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
    _fsync_folder(folder)


def _remove(path: Path) -> None:
    """Remove a temporary file or folder, with signals held (a clean-up that must finish)."""
    with signals_held(), contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


@contextmanager
def atomic_file(final: Path, what: str = "it") -> Iterator[Path]:
    """Yield the temporary path (``.<name>.tmp-<pid>`` beside ``final``) to write a file
    into; when the block completes it is flushed to disk and renamed to ``final``.

    Raises :class:`WriteError` naming ``final`` if the system refuses (a full disk, a
    read-only folder); the temporary is removed whenever the block does not complete.
    """
    final = Path(final)
    tmp = temporary(final)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        yield tmp
        with open(tmp, "rb") as written:
            os.fsync(written.fileno())
        with signals_held():
            tmp.replace(final)
        _fsync_folder(final.parent)
    except OSError as err:
        _remove(tmp)
        raise WriteError(final, _reason(err), what) from None
    except BaseException:
        _remove(tmp)
        raise


def write_text(path: Path, text: str, what: str = "it") -> Path:
    """Write a UTF-8 text file atomically (:func:`atomic_file`); return its path."""
    with atomic_file(path, what) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(path: Path, data: bytes, what: str = "it") -> Path:
    """Write a binary file atomically (:func:`atomic_file`); return its path."""
    with atomic_file(path, what) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def _fresh_folder(folder: Path, final: Path) -> None:
    """Create ``folder`` empty (removing one left by an earlier process with our pid)."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir()
    except OSError as err:
        raise WriteError(final, f"cannot create the folder: {_reason(err)}") from None


@contextmanager
def atomic_directory(final: Path) -> Iterator[Path]:
    """Yield a temporary folder that becomes ``final`` only if the block completes.

    The temporary folder (``.<name>.incomplete-<pid>``) sits beside ``final``; its files
    are flushed to disk before the rename. It is removed if the block raises or is
    interrupted, or if ``final`` cannot take its place (it appeared meanwhile: a
    :class:`WriteError`, never a half-merged folder). A write error in the block names
    ``final`` (or the path inside it), not the temporary folder the user never sees: an
    ``OSError``, or a :class:`WriteError` about the temporary folder or a path in it (as
    :func:`atomic_files` inside the block raises).
    """
    final = Path(final)
    tmp = incomplete(final)
    _fresh_folder(tmp, final)
    try:
        yield tmp
        _fsync_tree(tmp)
        with signals_held():
            if final.exists() or final.is_symlink():
                raise FileExistsError(17, "another process created it meanwhile")
            tmp.rename(final)
        _fsync_folder(final.parent)
    except OSError as err:
        _remove(tmp)
        raise WriteError(final, _reason(err)) from None
    except WriteError as err:
        _remove(tmp)
        if err.path != tmp and tmp not in Path(err.path).parents:
            raise
        raise WriteError(final / Path(err.path).relative_to(tmp), err.reason,
                         err.what) from None
    except BaseException:
        _remove(tmp)
        raise


@contextmanager
def atomic_files(final: Path, stage: Path | None = None) -> Iterator[Path]:
    """Yield a temporary folder whose files are added to ``final`` only if the block
    completes, as a set; if it raises or is interrupted, ``final`` is left as it was.

    ``stage`` is the temporary folder: by default ``.<name>.incomplete-<pid>`` beside
    ``final``. When the block completes, a ``final`` that does not exist yet is the stage
    renamed (atomic); into an existing ``final`` each file is moved by a rename (files of
    the same names are replaced), with Ctrl-C and SIGTERM held back until all are moved.
    """
    final = Path(final)
    if final.exists() and not final.is_dir():
        raise UserError(f"{final}: not a folder")
    stage = incomplete(final) if stage is None else stage
    _fresh_folder(stage, final)
    try:
        yield stage
        _fsync_tree(stage)
        with signals_held():
            if not final.exists():
                stage.rename(final)
            else:
                for path in sorted(stage.iterdir()):
                    path.replace(final / path.name)
                stage.rmdir()
        _fsync_folder(final)
    except OSError as err:
        _remove(stage)
        raise WriteError(final, _reason(err)) from None
    except BaseException:
        _remove(stage)
        raise


# --------------------------------------------------------------------------- leftovers


def _process_start(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), where ``/proc`` tells."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(line for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
        ticks = int(stat.rsplit(")", 1)[1].split()[19])
        return int(boot.split()[1]) + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def writer_alive(pid: int, written: float) -> bool:
    """Whether the process that last wrote a leftover at time ``written`` may still run.

    Process ``pid`` must exist, and (where ``/proc`` tells when it started) have started
    before the leftover was written: a process started later only reuses the number.
    """
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, run by someone else
    except (OverflowError, OSError):
        return False
    started = _process_start(pid)
    return started is None or started <= written + 2.0


def leftovers(parent: Path) -> list[Path]:
    """The temporary folders and files in ``parent`` (named as :data:`LEFTOVER`) whose
    writer no longer runs: what a process killed while writing left behind."""
    found: list[Path] = []
    try:
        entries = sorted(Path(parent).iterdir())
    except OSError:
        return found
    for path in entries:
        match = LEFTOVER.match(path.name)
        if match is None or path.is_symlink():
            continue
        try:
            written = path.stat().st_mtime
        except OSError:
            continue
        if not writer_alive(int(match["pid"]), written):
            found.append(path)
    return found


def killed_files(folder: Path) -> set[str]:
    """The names of the temporary files in ``folder`` whose writer no longer runs
    (:func:`leftovers`, files only)."""
    return {path.name for path in leftovers(folder) if path.is_file()}


def left_by_a_kill(folder: Path, *expected: str) -> bool:
    """Whether ``folder`` holds something, and nothing but the files ``expected`` (each
    there: a lock file, say) and temporary files whose writer no longer runs: what a
    command killed as it started leaves, a folder a new command may take as empty."""
    try:
        names = {path.name for path in Path(folder).iterdir()}
    except OSError:
        return False
    return bool(names) and names - killed_files(folder) == set(expected)


def remove_leftovers(parent: Path, removable: Callable[[Path], bool]) -> list[Path]:
    """Remove the leftovers (:func:`leftovers`) of ``parent`` that ``removable`` accepts
    (it holds only what the caller writes); return those removed."""
    removed: list[Path] = []
    for path in leftovers(parent):
        if not removable(path):
            continue
        _remove(path)
        if not path.exists():
            removed.append(path)
    return removed
