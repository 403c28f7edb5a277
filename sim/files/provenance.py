"""Where a result came from, and where it goes by default.

:func:`versions` and :func:`git_commit` say which code made a result (the manifests of
runs, sweeps and calibrations record them); :func:`stamp` and :func:`claim_folder` give a
command's default folder a name from the time it started that never collides with another
folder, even for commands started in the same second.
"""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path

SHAPING = ("talentwar", "mesa", "numpy", "pandas", "pydantic", "matplotlib", "SALib")
"""The distributions whose versions shape results."""


def versions(extra: Iterable[str] = ()) -> dict[str, str]:
    """Versions of Python, the package and the libraries that shape results (and of the
    distributions ``extra``; ``"not installed"`` for one that is not)."""
    out = {"python": platform.python_version()}
    for dist in (*SHAPING, *extra):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def git_commit() -> str | None:
    """The commit of the source tree the package runs from, if it is a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def now() -> dt.datetime:
    """The current time in UTC."""
    return dt.datetime.now(dt.UTC)


def stamp(when: dt.datetime | None = None) -> str:
    """``YYYYmmdd-HHMMSS`` (UTC), the time part of a default folder's name."""
    return (when or now()).strftime("%Y%m%d-%H%M%S")


def candidates(path: Path) -> Iterator[Path]:
    """``path``, then ``path-2``, ``path-3``...: the names a default folder may take."""
    yield path
    k = 2
    while True:
        yield path.with_name(f"{path.name}-{k}")
        k += 1


def free_name(path: Path) -> Path:
    """The first of :func:`candidates` that does not exist (nor is a dangling link)."""
    return next(p for p in candidates(path) if not (p.exists() or p.is_symlink()))


def claim_folder(path: Path) -> Path:
    """Create the first of :func:`candidates` that does not exist yet and return it.

    ``mkdir`` either creates a folder or fails, so two commands started in the same
    second never get the same folder: the second gets ``path-2``. Parent folders are
    created as needed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    for candidate in candidates(path):
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise AssertionError("unreachable")  # candidates() never ends
