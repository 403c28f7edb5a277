"""The replicate folder: N runs of one scenario, their summary, and paired comparisons.

A replicate folder holds ``manifest.json`` (the scenario, the root seed and each
replicate's seed), one run folder per replicate (``rep-000/``, ``rep-001/``, ...: each a
normal run folder) and ``summary.csv``: for every month and every numeric column of
``market.csv``, the mean over replicates, the standard deviation and the 95% confidence
interval of the mean (Student t with N-1 degrees of freedom).

Two replicate folders are compared by pairing replicates of the same seed (common random
numbers): each key measure's difference is the mean of the per-seed differences, with a
paired t interval. Running the replicates is the sweep layer's job
(:mod:`sim.sweeps.replicates`); this module owns the format and the statistics.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim import columns as col
from sim.errors import UserError
from sim.output.compare import key_measures, label_runs
from sim.output.rundir import (
    MANIFEST,
    MARKET,
    RunFolder,
    atomic_files,
    csv_cell,
    remove_leftovers,
)

SUMMARY = "summary.csv"
DIFFERENCES = "differences.csv"
KIND = "replicates"
"""``manifest.json``'s ``kind`` in a replicate folder."""
LEVEL = 0.95
SUMMARY_COLUMNS = ["month", "measure", "replicates", "mean", "std", "ci_low", "ci_high"]
DIFFERENCE_COLUMNS = ["measure", "reference_mean", "other_mean", "mean_difference", "low",
                      "high", "distinguishable", "pairs"]


def replicate_name(index: int) -> str:
    """The folder of replicate ``index``: ``rep-000``."""
    return f"rep-{index:03d}"


def mean_interval(values: Sequence[float] | np.ndarray, level: float = LEVEL
                  ) -> tuple[float, float, float, float]:
    """``(mean, standard deviation, low, high)`` of ``values``: the Student t interval of
    the mean, ``mean ± t_{(1+level)/2, n-1} s / sqrt(n)`` (NaN values dropped).

    With fewer than two values the deviation and the interval are NaN; with zero spread
    the interval is the mean itself.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan, math.nan
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf((1 + level) / 2, n - 1)) * sd / math.sqrt(n)
    return mean, sd, mean - half, mean + half


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


def paired_differences(reference: ReplicateFolder, other: ReplicateFolder,
                       level: float = LEVEL) -> pd.DataFrame:
    """Each key measure's difference ``other - reference`` over replicates paired by seed.

    Returns a table indexed by measure with the two means over the paired replicates, the
    mean difference, its paired t interval (``low``, ``high``), ``distinguishable`` (the
    interval excludes 0) and the number of pairs.

    Raises
    ------
    UserError
        If the folders share fewer than two seeds.
    """
    seeds = [s for s in reference.runs if s in other.runs]
    if len(seeds) < 2:
        raise UserError(f"{reference.dir} and {other.dir} share {len(seeds)} replicate "
                        "seed(s); a paired comparison needs at least 2 (run both with the "
                        "same --seed and --replicates)")
    ref = [key_measures(reference.runs[s]) for s in seeds]
    oth = [key_measures(other.runs[s]) for s in seeds]
    names: list[str] = []
    for measures in ref + oth:
        names.extend(k for k in measures if k not in names)
    rows = []
    for name in names:
        a = np.array([m.get(name, math.nan) for m in ref])
        b = np.array([m.get(name, math.nan) for m in oth])
        diff = b - a
        mean, _, low, high = mean_interval(diff, level)
        if not math.isnan(mean) and np.nanstd(diff) == 0:
            low = high = mean  # identical differences: no spread
        known = not (math.isnan(low) or math.isnan(high))
        distinguishable = bool(known and (low > 0 or high < 0))
        pairs = int(np.sum(~np.isnan(diff)))
        rows.append([name, float(np.nanmean(a)) if np.any(~np.isnan(a)) else math.nan,
                     float(np.nanmean(b)) if np.any(~np.isnan(b)) else math.nan,
                     mean, low, high, distinguishable, pairs])
    table = pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS).set_index("measure")
    return table


def format_differences(table: pd.DataFrame) -> str:
    """The paired differences as aligned text; measures not distinguishable from zero are
    marked ``(≈ 0)``."""
    def num(v: float) -> str:
        if math.isnan(v):
            return "n/a"
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3f}"

    rows = [["measure", "reference", "other", "Δ mean", "95% interval", ""]]
    for name, r in table.iterrows():
        mark = "" if r["distinguishable"] else "(≈ 0)"
        rows.append([str(name), num(r["reference_mean"]), num(r["other_mean"]),
                     num(r["mean_difference"]), f"[{num(r['low'])}, {num(r['high'])}]",
                     mark])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for k, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in
                                             zip(row[1:-1], widths[1:-1], strict=True)]
        lines.append(("  ".join(cells) + "  " + row[-1]).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths[:-1]))
    return "\n".join(lines)


def compare_replicates(folders: Sequence[Path | str], out_dir: Path | str
                       ) -> list[tuple[str, pd.DataFrame]]:
    """Compare replicate folders with the first (paired by seed): write
    ``differences.csv`` into ``out_dir`` (one block of rows per compared folder, with a
    ``run`` column) and return ``[(label, table), ...]``."""
    if len(folders) < 2:
        raise UserError(f"compare needs at least 2 folders, got {len(folders)}")
    opened = [ReplicateFolder.open(f) for f in folders]
    label_runs([r for f in opened for r in f.runs.values()])
    labels = [f.label for f in opened]
    for i, f in enumerate(opened):
        if labels.count(f.label) > 1:
            f.label = f"{f.label} #{i + 1}"
    results = [(f.label, paired_differences(opened[0], f)) for f in opened[1:]]
    frames = []
    for label, table in results:
        frame = table.reset_index()
        frame.insert(0, "run", label)
        frames.append(frame)
    out = Path(out_dir)
    for path in remove_leftovers(out.parent):
        print(f"talentwar: removed {path}, left by an interrupted command",
              file=sys.stderr)
    combined = pd.concat(frames, ignore_index=True)
    for column in ("run", "measure"):
        combined[column] = combined[column].map(lambda v: csv_cell(str(v)))
    try:
        with atomic_files(out) as stage:
            combined.to_csv(stage / DIFFERENCES, index=False, lineterminator="\n")
    except UserError as err:
        raise UserError(f"--out {err}") from None
    return results
