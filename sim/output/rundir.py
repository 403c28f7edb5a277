"""The run folder: its format, written atomically, and read back.

A run folder holds ``manifest.json``, ``market.csv``, ``firms.csv``, ``flows.csv``,
``deals.csv``, ``engineers.csv`` (or ``.parquet``) and the plots. This module is the one
owner of that format: the file names, the atomic writers (a run appears complete or not at
all), the manifest, and :class:`RunFolder`, the reader of a finished run that plots,
comparisons and reports share. The names of the tables' columns are declared in
:mod:`sim.columns`.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any, TypedDict, cast

import pandas as pd

from sim import columns as col
from sim.errors import UserError

MANIFEST = "manifest.json"
MARKET = "market.csv"
FIRMS = "firms.csv"
FLOWS = "flows.csv"
DEALS = "deals.csv"
ENGINEERS_CSV = "engineers.csv"
ENGINEERS_PARQUET = "engineers.parquet"

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    MARKET: (col.MONTH, col.DATE, col.UNEMPLOYMENT_RATE),
    FIRMS: (col.MONTH, col.FIRM, col.KIND, col.HEADCOUNT, col.GPUS),
}
"""Columns a run folder's tables must have to be read at all."""


class Manifest(TypedDict, total=False):
    """``manifest.json``: how a run was made (keys in the order they are written).

    ``total=False``: manifests of older runs may lack keys; readers use ``.get``.
    """

    scenario: dict[str, Any]
    seed: int
    months: int
    engineers: int
    firms: int
    versions: dict[str, str]
    git_commit: str | None
    command: list[str]
    started: str
    finished: str
    wall_time_seconds: float
    files: list[str]


# --------------------------------------------------------------------------- writing


def versions() -> dict[str, str]:
    """Versions of the package, Python and the libraries that shape results."""
    out = {"python": platform.python_version()}
    for dist in ("talentwar", "mesa", "numpy", "pandas", "pydantic", "matplotlib", "SALib"):
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


@contextmanager
def atomic_directory(final: Path) -> Iterator[Path]:
    """Yield a temporary folder that becomes ``final`` only if the block completes.

    The temporary folder sits beside ``final`` (same file system, so the rename is atomic)
    and is removed if the block raises or is interrupted.
    """
    tmp = final.parent / f".{final.name}.incomplete-{os.getpid()}"
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
    except OSError as err:
        raise UserError(f"{final}: cannot create the folder: {err.strerror}") from None
    try:
        yield tmp
        tmp.rename(final)
    except BaseException as err:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(err, OSError):
            raise UserError(f"{final}: cannot write the results: {err}") from None
        raise


def atomic_write_text(path: Path, text: str, what: str = "it") -> Path:
    """Write a text file (creating its folder) by writing a temporary file beside it and
    renaming it; a :class:`UserError` saying it cannot write ``what`` if that fails."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise UserError(f"{path}: cannot write {what}: {err.strerror or err}") from None
    return path


def new_run_dir(root: Path, stamp: str, seed: int) -> Path:
    """``root/<stamp>-seed<seed>``, with a numeric suffix if that folder exists already."""
    base = f"{stamp}-seed{seed}"
    candidate, k = root / base, 1
    while candidate.exists():
        k += 1
        candidate = root / f"{base}-{k}"
    return candidate


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Write ``manifest.json`` into ``folder`` (indented JSON, one trailing newline)."""
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


# --------------------------------------------------------------------------- reading


def load_manifest(run_dir: Path) -> Manifest:
    """Read a run folder's manifest, with a clear error if it is not a run folder."""
    path = Path(run_dir) / MANIFEST
    if not path.is_file():
        raise UserError(f"{run_dir}: not a run folder (no {MANIFEST})")
    try:
        return cast(Manifest, json.loads(path.read_text()))
    except json.JSONDecodeError as err:
        raise UserError(f"{path}: not valid JSON: {err}") from None


def _read_table(folder: Path, csv_name: str, parquet_name: str | None = None) -> pd.DataFrame:
    """A table of the run: its CSV file if it has content, else its Parquet file, else an
    empty table (a table the run did not record, or a CSV with no columns)."""
    csv = folder / csv_name
    if csv.is_file() and csv.stat().st_size > 1:
        try:
            return pd.read_csv(csv)
        except pd.errors.EmptyDataError:
            return pd.DataFrame()
    if parquet_name is not None and (folder / parquet_name).is_file():
        return pd.read_parquet(folder / parquet_name)
    return pd.DataFrame()


@dataclass
class RunFolder:
    """A run folder read back: its tables (read on first use), manifest and label.

    Open one with :meth:`open` (tables only; what plotting needs, also while the run is
    still being written) or :meth:`finished` (a complete run with a manifest; what
    comparisons and reports need).

    Parameters
    ----------
    dir : Path
        The run folder.
    label : str
        Name shown in legends and table headers (unique among compared runs).
    """

    dir: Path
    label: str = ""

    @classmethod
    def open(cls, run_dir: Path) -> RunFolder:
        """Open a run folder whose tables are written, with a clear :class:`UserError` if
        ``market.csv`` or ``firms.csv`` is missing, unreadable or lacks a required column."""
        run = cls(Path(run_dir))
        for name, required in REQUIRED_COLUMNS.items():
            if not (run.dir / name).is_file():
                raise UserError(f"{run_dir}: not a complete run folder (no {name})")
            try:
                table = run.market if name == MARKET else run.firms
            except (pd.errors.ParserError, UnicodeDecodeError) as err:
                raise UserError(f"{run.dir / name}: cannot be read: {err}") from None
            missing = [c for c in required if c not in table.columns]
            if missing:
                raise UserError(f"{run.dir / name}: missing column(s) {missing}")
        return run

    @classmethod
    def finished(cls, run_dir: Path | str) -> RunFolder:
        """Open a finished run folder, labelled ``"<scenario> seed <seed>"``.

        Raises
        ------
        UserError
            If the folder does not exist, has no readable manifest, fails :meth:`open`'s
            checks or has no monthly rows.
        """
        path = Path(run_dir)
        if not path.is_dir():
            raise UserError(f"{run_dir}: no such folder")
        manifest = load_manifest(path)
        run = cls.open(path)
        run.manifest = manifest
        if run.market.empty:
            raise UserError(f"{path / MARKET}: no monthly rows ({col.MONTH}, {col.DATE}); "
                            "not a finished run")
        run.label = f"{run.scenario_name} seed {run.seed}"
        return run

    # Tables, each read once on first use.

    @cached_property
    def market(self) -> pd.DataFrame:
        """``market.csv``: one row per month."""
        return _read_table(self.dir, MARKET)

    @cached_property
    def firms(self) -> pd.DataFrame:
        """``firms.csv``: one row per firm per month."""
        return _read_table(self.dir, FIRMS)

    @cached_property
    def flows(self) -> pd.DataFrame:
        """``flows.csv``: moves per month, tier, source and destination (empty if none)."""
        return _read_table(self.dir, FLOWS)

    @cached_property
    def deals(self) -> pd.DataFrame:
        """``deals.csv``: one row per deal (empty if the run recorded none)."""
        return _read_table(self.dir, DEALS)

    @cached_property
    def engineers(self) -> pd.DataFrame:
        """The final engineer table, from ``engineers.csv`` or ``engineers.parquet``
        (empty if the run wrote neither)."""
        return _read_table(self.dir, ENGINEERS_CSV, ENGINEERS_PARQUET)

    @cached_property
    def manifest(self) -> Manifest:
        """``manifest.json`` (a :class:`UserError` if the folder has none)."""
        return load_manifest(self.dir)

    # What the tables and the manifest tell.

    @property
    def tiers(self) -> list[str]:
        """Tier names, best first, read from the market table's ``employed_<tier>`` columns."""
        prefix = col.per_tier(col.EMPLOYED, "")
        return [str(c).removeprefix(prefix) for c in self.market.columns
                if str(c).startswith(prefix)]

    def dates(self) -> pd.Series:
        """Calendar months of the run, as dates."""
        return pd.to_datetime(self.market[col.DATE], format="%Y-%m")

    @property
    def scenario_name(self) -> str:
        """The scenario's name from the manifest."""
        return str(self.manifest.get("scenario", {}).get("name", "scenario"))

    @property
    def seed(self) -> Any:
        """The seed from the manifest (the scenario's, for manifests without one)."""
        return self.manifest.get("seed", self.manifest.get("scenario", {}).get("seed"))

    @property
    def gpu_threshold(self) -> float | None:
        """The scenario's GPU threshold, from the manifest (None without a manifest)."""
        if not (self.dir / MANIFEST).is_file():
            return None
        return cast(float, self.manifest["scenario"]["compute"]["threshold"])
