"""The replicate folder's format: N runs of one scenario (``rep-000/``, ``rep-001/``, ...:
each a normal run folder), ``manifest.json`` (the scenario, the root seed and each
replicate's seed) and ``summary.csv`` (for every month and numeric column of
``market.csv``: the mean over replicates, the standard deviation and the 95% interval of
the mean, Student t with N-1 degrees of freedom); written by the sweep layer
(:mod:`sim.sweeps.replicates`), read back here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import columns as col
from sim.errors import UserError
from sim.output.formats import MARKET
from sim.output.manifest import MANIFEST, NAME
from sim.output.rundir import RunFolder
from sim.output.stats import mean_interval

SUMMARY = "summary.csv"


KIND = "replicates"
"""``manifest.json``'s ``kind`` in a replicate folder."""


SUMMARY_COLUMNS = ["month", "measure", "replicates", "mean", "std", "ci_low", "ci_high"]


def replicate_name(index: int) -> str:
    """The folder of replicate ``index``: ``rep-000``."""
    return f"rep-{index:03d}"


def summary_table(markets: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The summary of replicates' ``market.csv`` tables: one row per month and numeric
    measure (in the order of the first table's columns), with the number of replicates
    that have a value, the mean, the standard deviation and the 95% interval."""
    columns = [c for c in markets[0].columns
               if c != col.MONTH and pd.api.types.is_numeric_dtype(markets[0][c])]
    months = sorted(set().union(*(set(m[col.MONTH].astype(int)) for m in markets)))
    indexed = [m.set_index(m[col.MONTH].astype(int)).reindex(months) for m in markets]
    cube = {c: np.column_stack([pd.to_numeric(m[c], errors="coerce").to_numpy(dtype=float)
                                if c in m.columns else np.full(len(months), math.nan)
                                for m in indexed]) for c in columns}
    rows: list[list[Any]] = []
    for k, month in enumerate(months):
        for column in columns:
            values = cube[column][k]
            rows.append([month, column, int(np.sum(~np.isnan(values))),
                         *mean_interval(values)])
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def write_summary(folder: Path, count: int) -> pd.DataFrame:
    """Read the ``market.csv`` of replicates ``0..count-1`` in ``folder``, write
    ``summary.csv`` and return it."""
    markets = [pd.read_csv(Path(folder) / replicate_name(i) / MARKET) for i in range(count)]
    table = summary_table(markets)
    table.to_csv(Path(folder) / SUMMARY, index=False, lineterminator="\n")
    return table


def is_replicate_folder(folder: Path | str) -> bool:
    """Whether ``folder`` is a replicate folder (its manifest says ``kind: replicates``)."""
    path = Path(folder) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and data.get("kind") == KIND


@dataclass
class ReplicateFolder:
    """A finished replicate folder: its manifest and its replicates' run folders by seed."""

    dir: Path
    manifest: dict[str, Any]
    runs: dict[int, RunFolder]
    label: str = ""

    @classmethod
    def open(cls, folder: Path | str) -> ReplicateFolder:
        """Open a replicate folder; a :class:`UserError` if it is not one or is damaged."""
        folder = Path(folder)
        if not is_replicate_folder(folder):
            raise UserError(f"{folder}: not a replicate folder (no manifest.json with "
                            f"kind {KIND!r})")
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        seeds = manifest.get("seeds")
        if not isinstance(seeds, list) or not all(
                isinstance(s, int) and not isinstance(s, bool) for s in seeds):
            raise UserError(f"{folder / MANIFEST}: seeds: expected an array of whole numbers")
        runs = {seed: RunFolder.finished(folder / replicate_name(i))
                for i, seed in enumerate(seeds)}
        name = manifest.get("scenario", {}).get("name", folder.name)
        return cls(folder, manifest, runs, f"{name} ({folder.name})")


def read_summary(folder: Path | str) -> pd.DataFrame:
    """A replicate folder's ``summary.csv``, read and checked (:data:`SUMMARY_COLUMNS`;
    whole months >= 0, numbers in the statistics, a name in ``measure``).

    Raises
    ------
    UserError
        Naming the file and what is wrong.
    """
    path = Path(folder) / SUMMARY
    if not path.is_file():
        raise UserError(f"{folder}: not a complete replicate folder (no {SUMMARY})")
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as err:
        raise UserError(f"{path}: not a readable CSV table: "
                        f"{' '.join(str(err).split())}") from None
    missing = [c for c in SUMMARY_COLUMNS if c not in table.columns]
    if missing:
        raise UserError(f"{path}: missing column(s) {', '.join(missing)}")
    month = pd.to_numeric(table[col.MONTH], errors="coerce")
    if month.isna().any() or (month < 0).any() or (month != month.round()).any():
        raise UserError(f"{path}: column month: expected whole numbers >= 0 in every row")
    for column in SUMMARY_COLUMNS[2:]:
        values = pd.to_numeric(table[column], errors="coerce")
        if (values.isna() & table[column].notna()).any() or np.isinf(values).any():
            raise UserError(f"{path}: column {column}: expected finite numbers")
        table[column] = values
    if not table["measure"].astype(str).str.fullmatch(NAME.pattern).all():
        raise UserError(f"{path}: column measure: expected column names of market.csv")
    return table
