"""Checks of the folders a command writes, made before anything runs, and their locks.

Paths are checked as the system will see them: a symbolic link is followed (a link to a
folder that does not exist is refused up front, not after the run), and the first existing
parent must be a folder this user can write in.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Collection, Iterator
from pathlib import Path

from sim.errors import RESUME, Resume, UserError

LOCK_FILE = ".lock"
MAX_WORKERS = 1024
"""The most local worker processes (``workers``); more machines: use Dask."""


class FolderError(UserError):
    """A folder cannot be used: ``key`` (the argument that named it, the error's
    :attr:`~UserError.option`; "" for none), ``path`` and ``reason``."""

    def __init__(self, key: str, path: Path, reason: str, resume: Resume | None = None
                 ) -> None:
        if key:
            super().__init__(reason, option=key, value=path, resume=resume)
        else:
            super().__init__(f"{path}: {reason}", resume=resume)
        self.key = key
        self.path = path
        self.reason = reason


def _writable_parent(folder: Path, key: str, what: str) -> None:
    """The first existing parent of ``folder`` (links followed) must be a folder this user
    can write in."""
    existing = next(p for p in [folder, *folder.parents] if p.exists())
    if not existing.is_dir():
        raise FolderError(key, folder, f"cannot create the {what}: {existing} is a file, "
                          "not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise FolderError(key, folder, f"cannot create the {what}: {existing} is not a "
                          "folder this user can write in")


def not_a_folder(path: Path) -> str | None:
    """What ``path`` is instead of a folder: ``"not a folder (a file)"`` or ``"no such
    folder"``; None if it is one."""
    if path.is_dir():
        return None
    return "not a folder (a file)" if path.exists() else "no such folder"


def require_folder(folder: Path | str) -> Path:
    """``folder`` as a path, if it is a folder; else a :class:`UserError` saying what it is
    instead (:func:`not_a_folder`): ``<folder>: not a folder (a file)``, say."""
    path = Path(folder)
    problem = not_a_folder(path)
    if problem is not None:
        raise UserError(f"{folder}: {problem}")
    return path


def check_new_folder(folder: Path, what: str = "folder", *, key: str = "out",
                     empty_ok: bool = True, resume: str = "",
                     ignore: Collection[str] = ()) -> None:
    """``folder`` must not exist (or, with ``empty_ok``, be an empty folder, files named in
    ``ignore`` aside) and must be creatable. A symbolic link counts as what it points to; a
    dangling one is refused. ``resume`` is the command that continues an existing folder
    (``"sweep"``), whose way to continue it the message names
    (:class:`~sim.errors.Resume`); ``key`` the argument that named the folder."""
    try:
        if folder.is_symlink() and not folder.exists():
            raise FolderError(key, folder, f"a symbolic link to {os.readlink(folder)}, "
                              "which does not exist; give a real folder")
        if folder.exists() and not (empty_ok and folder.is_dir()
                                    and not any(p.name not in ignore
                                                for p in folder.iterdir())):
            hint = f"; choose a new folder or continue it with {RESUME}" if resume else (
                "; choose a new one")
            state = "exists and is not empty" if empty_ok else "exists already"
            raise FolderError(key, folder, f"{state}{hint}",
                              Resume(resume, folder) if resume else None)
        _writable_parent(folder.resolve(), key, what)
    except OSError as err:
        raise FolderError(key, folder, f"cannot use this folder: {err.strerror or err}"
                          ) from None
    except ValueError as err:  # e.g. a NUL byte in the path
        raise FolderError(key, folder, f"not a usable folder name: {err}") from None


def default_workers() -> int:
    """The default number of local worker processes of every command that runs several
    runs (``run --replicates``, ``sweep``, ``calibrate``): the CPUs this process may use
    (``os.sched_getaffinity``, which a container or ``taskset`` limits; ``os.cpu_count()``
    where that is not available), at least 1 and at most :data:`MAX_WORKERS`. A command
    never starts more workers than it has runs to do."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return min(max(cpus, 1), MAX_WORKERS)


def check_workers(workers: object, key: str = "workers") -> None:
    """``workers`` must be a whole number from 1 to :data:`MAX_WORKERS` (a bool is not);
    ``key`` is the argument that gave it (the error's :attr:`~UserError.option`)."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise UserError(f"expected a whole number >= 1, got {workers!r}", option=key)
    if workers > MAX_WORKERS:
        raise UserError(f"{workers:,} is more than {MAX_WORKERS:,} worker processes; use "
                        "fewer (never more workers than runs are used), or a Dask cluster "
                        "({option:dask}) for more machines", option=key)


def _try_lock(path: Path) -> int | None:
    """A descriptor of ``path`` holding its exclusive lock, or None if another process
    holds it. A lock taken on a file its holder removed meanwhile is retried on the new
    file, so two processes never both hold the lock of one name."""
    while True:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return None
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


def _release(path: Path, fd: int) -> None:
    """Remove the lock file (while still holding it), then release it."""
    with contextlib.suppress(OSError):
        path.unlink()
    os.close(fd)


@contextlib.contextmanager
def locked(path: Path, busy: str) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (a POSIX record lock: released when this
    process ends, however it ends, and not inherited by forked workers); ``busy`` is the
    message of the :class:`UserError` raised if another process holds it. The file is
    removed when the block ends."""
    try:
        fd = _try_lock(path)
    except OSError as err:
        raise UserError(f"{path.parent}: cannot write in this folder: "
                        f"{err.strerror or err}") from None
    if fd is None:
        raise UserError(busy)
    try:
        yield
    finally:
        _release(path, fd)


def lock_folder(folder: Path, what: str) -> contextlib.AbstractContextManager[None]:
    """Lock a sweep or calibration folder (``what``) for one writing process."""
    return locked(folder / LOCK_FILE, f"{folder}: another {what} process is writing this "
                  "folder")


def remove_stale_locks(parent: Path) -> list[Path]:
    """Remove the reservation files (``.<name>.lock``) in ``parent`` that no process holds
    (their process was killed outright); return those removed."""
    removed: list[Path] = []
    try:
        entries = sorted(Path(parent).glob(".?*.lock"))
    except OSError:
        return removed
    for path in entries:
        if path.is_symlink() or not path.is_file():
            continue
        try:
            fd = _try_lock(path)
        except OSError:
            continue
        if fd is not None:
            _release(path, fd)
            removed.append(path)
    return removed


def _reservation(final: Path) -> Path:
    """The hidden lock file that reserves the name ``final`` while it is being written."""
    return final.parent / f".{final.name}.lock"


@contextlib.contextmanager
def reserved(final: Path, *, unique: bool, key: str = "out") -> Iterator[Path]:
    """Reserve a folder's name while it is written (a lock on ``.<name>.lock`` beside it)
    and yield the name reserved.

    With ``unique`` (a default folder), a name that exists or that another process holds
    is passed over for the next of ``name-2``, ``name-3``...; otherwise (a folder the user
    named) it is refused before anything runs. The lock goes when the block ends or the
    process dies.
    """
    final = Path(final)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise FolderError(key, final, f"cannot create its parent folder: "
                          f"{err.strerror or err}") from None
    k = 1
    while True:
        name = final if k == 1 else final.with_name(f"{final.name}-{k}")
        k += 1
        lock = _reservation(name)
        try:
            fd = _try_lock(lock)
        except OSError as err:
            raise FolderError(key, name, f"cannot write in {name.parent}: "
                              f"{err.strerror or err}") from None
        if fd is None:
            if unique:
                continue
            raise FolderError(key, name, "another process is writing this folder; choose "
                              "another one")
        if name.exists() or name.is_symlink():
            _release(lock, fd)
            if unique:
                continue
            raise FolderError(key, name, "exists already; choose a new one")
        try:
            yield name
        finally:
            _release(lock, fd)
        return
