"""The replicate folder: N runs of one scenario, their summary, and paired comparisons.

A replicate folder holds ``manifest.json`` (the scenario, the root seed and each
replicate's seed), one run folder per replicate (``rep-000/``, ``rep-001/``, ...: each a
normal run folder) and ``summary.csv``: for every month and every numeric column of
``market.csv``, the mean over replicates, the standard deviation and the 95% confidence
interval of the mean (Student t with N-1 degrees of freedom). ``talentwar plot`` draws a
replicate folder's key market series and each firm's top-tier share as means with 95%
bands (:func:`plot_replicates`).

Two replicate folders are compared by pairing replicates of the same seed (common random
numbers): each key measure's difference is the mean of the per-seed differences, with a
paired t interval. Running the replicates is the sweep layer's job
(:mod:`sim.sweeps.replicates`); this module owns the format and the statistics.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim import columns as col
from sim.columns import pay_column, per_tier
from sim.errors import UserError, log
from sim.files import atomic_files
from sim.output.charts import RunTables, firm_labels, month_dates, top_shares
from sim.output.compare import key_measures, label_runs
from sim.output.effects import (
    EFFECT_PLOTS,
    EFFECTS,
    FINAL_MONTH,
    effect_series,
    multiple_comparison_note,
    place_colours,
    plot_market_effects,
    plot_percent_effects,
    plot_top_share_effects,
    summary_lines,
)
from sim.output.firm_effects import (
    DEAL_TEAM_DIFFERENCES,
    FIRM_DIFFERENCES,
    FIRM_SHARES_PLOT,
    FIRM_VALUE_COLUMNS,
    FIRM_VALUES,
    deal_team_differences,
    paired_firm_differences,
    place_order,
    plot_firm_shares,
)
from sim.output.manifest import NAME, check_scenario_parts
from sim.output.numbers import format_row, measure_kind
from sim.output.palette import FirmLabels
from sim.output.plotkit import (
    TOP_SHARE_NOTE,
    date_axis,
    figure,
    legend_outside,
    log_scale,
    money_axis,
    save,
)
from sim.output.plots import PLOTS_STAGE
from sim.output.rundir import (
    FIRMS,
    MANIFEST,
    MARKET,
    RunFolder,
    csv_cell,
    remove_leftovers,
)
from sim.output.stats import LEVEL, mean_interval, paired_row, with_fdr

SUMMARY = "summary.csv"
DIFFERENCES = "differences.csv"
KIND = "replicates"
"""``manifest.json``'s ``kind`` in a replicate folder."""
SUMMARY_COLUMNS = ["month", "measure", "replicates", "mean", "std", "ci_low", "ci_high"]
DIFFERENCE_COLUMNS = ["measure", "reference_mean", "other_mean", "mean_difference", "low",
                      "high", "percent_difference", "p_value", "distinguishable",
                      "distinguishable_fdr", "pairs"]


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
                        "same {option:seed} and {option:replicates})")
    ref = [key_measures(reference.runs[s]) for s in seeds]
    oth = [key_measures(other.runs[s]) for s in seeds]
    names: list[str] = []
    for measures in ref + oth:
        names.extend(k for k in measures if k not in names)
    rows = []
    for name in names:
        a = np.array([m.get(name, math.nan) for m in ref])
        b = np.array([m.get(name, math.nan) for m in oth])
        rows.append({"measure": name, **paired_row(a, b, level)})
    return with_fdr(pd.DataFrame(rows, columns=[c for c in DIFFERENCE_COLUMNS
                                                if c != "distinguishable_fdr"]),
                    level).set_index("measure")


def verdict(row: pd.Series) -> str:
    """A measure's verdict in words: ``differs`` (its interval excludes 0, also with the
    false discovery rate controlled), ``differs (not after BH)`` (its own interval excludes
    0, Benjamini–Hochberg over the table does not confirm it) or ``(≈ 0)``."""
    if not row["distinguishable"]:
        return "(≈ 0)"
    return "differs" if row.get("distinguishable_fdr", True) else "differs (not after BH)"


def format_differences(table: pd.DataFrame) -> str:
    """The paired differences as aligned text, each row formatted by the kind of its
    measure (:mod:`sim.output.numbers`): means, Δ, its 95% interval, Δ in % of the
    reference and the verdict (:func:`verdict`); measures not distinguishable from zero
    are marked ``(≈ 0)``."""
    def pct(v: float) -> str:
        return "n/a" if math.isnan(v) else f"{v:+.1f}%"

    rows = [["measure", "reference", "other", "Δ mean", "95% interval", "Δ % of ref",
             "verdict"]]
    for name, r in table.iterrows():
        ref, other, diff, low, high = format_row(
            [r["reference_mean"], r["other_mean"], r["mean_difference"], r["low"], r["high"]],
            measure_kind(str(name)), [False, False, True, False, False])
        rows.append([str(name), ref, other, diff, f"[{low}, {high}]",
                     pct(float(r.get("percent_difference", math.nan))), verdict(r)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for k, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in
                                             zip(row[1:-1], widths[1:-1], strict=True)]
        lines.append(("  ".join(cells) + "  " + row[-1]).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths[:-1]))
    return "\n".join(lines)


@dataclass
class Comparison:
    """One replicate folder compared with the reference, paired by seed."""

    label: str
    """The compared folder's label."""
    market: pd.DataFrame
    """The key measures' paired differences (:func:`paired_differences`)."""
    firms: pd.DataFrame
    """Each firm's, tier's and measure's paired difference
    (:func:`sim.output.firm_effects.paired_firm_differences`)."""
    firm_values: pd.DataFrame
    """Every paired replicate's firm-level values."""
    deal_teams: pd.DataFrame
    """Where deals' teams work at the end, paired
    (:func:`sim.output.firm_effects.deal_team_differences`)."""
    effects: pd.DataFrame
    """The paired difference over time (:func:`sim.output.effects.effect_series`)."""

    @property
    def summary(self) -> list[str]:
        """Three lines: what changed distinguishably, what did not
        (:func:`sim.output.effects.summary_lines`)."""
        return summary_lines(self.market, self.firms)


def open_folders(folders: Sequence[Path | str]) -> list[ReplicateFolder]:
    """Open replicate folders to compare and give them unique labels."""
    if len(folders) < 2:
        raise UserError(f"compare needs at least 2 folders, got {len(folders)}")
    opened = [ReplicateFolder.open(f) for f in folders]
    label_runs([r for f in opened for r in f.runs.values()])
    labels = [f.label for f in opened]
    for i, f in enumerate(opened):
        if labels.count(f.label) > 1:
            f.label = f"{f.label} #{i + 1}"
    return opened


def compare_folders(reference: ReplicateFolder, other: ReplicateFolder) -> Comparison:
    """Every paired comparison of ``other`` with ``reference``: key measures, firms, deal
    teams, effects over time."""
    market = paired_differences(reference, other)
    seeds = [s for s in reference.runs if s in other.runs]
    ref = {s: reference.runs[s] for s in seeds}
    oth = {s: other.runs[s] for s in seeds}
    firms, values = paired_firm_differences(ref, oth)
    values = values.assign(folder=values["side"].map({"reference": reference.label,
                                                      "other": other.label}))
    return Comparison(other.label, market, firms,
                      values[FIRM_VALUE_COLUMNS], deal_team_differences(ref, oth),
                      effect_series(ref, oth))


def _tidy(frames: Sequence[pd.DataFrame], labels: Sequence[str], text: Sequence[str],
          index: bool = False) -> pd.DataFrame:
    """Tables of several comparisons as one, with a ``run`` column first; text columns
    made safe for spreadsheets (:func:`csv_cell`)."""
    parts = []
    for frame, label in zip(frames, labels, strict=True):
        part = frame.reset_index() if index else frame.copy()
        if "run" not in part.columns:
            part.insert(0, "run", label)
        parts.append(part)
    combined = pd.concat(parts, ignore_index=True)
    for column in text:
        if column in combined.columns:
            combined[column] = combined[column].map(lambda v: csv_cell(str(v)))
    return combined


def compare_replicate_folders(folders: Sequence[Path | str], out_dir: Path | str,
                              plots: bool = True) -> list[Comparison]:
    """Compare replicate folders with the first (paired by seed) and write, as a set, into
    ``out_dir``:

    - ``differences.csv``: the key measures (one block of rows per compared folder, with a
      ``run`` column);
    - ``firm_differences.csv``, ``firm_measures.csv``: by firm and tier
      (:mod:`sim.output.firm_effects`), and every paired replicate's values;
    - ``deal_team_differences.csv``: where each deal's team works at the end;
    - ``effects_over_time.csv``: the paired difference month by month
      (:mod:`sim.output.effects`);
    - ``compare_replicate_bands.png`` (each folder's key series, mean with a 95% band),
      ``compare_firm_shares.png`` and the effect plots (:data:`EFFECT_PLOTS`), unless
      ``plots`` is false.

    Raises
    ------
    UserError
        Fewer than two folders, a folder that is not a replicate folder or is damaged, or
        folders sharing fewer than two seeds; nothing is written then.
    """
    opened = open_folders(folders)
    results = [compare_folders(opened[0], f) for f in opened[1:]]
    labels = [r.label for r in results]
    out = Path(out_dir)
    for path in remove_leftovers(out.parent):
        log.info("removed %s, left by an interrupted command", path)
    names = ("run", "measure", "firm", "tier", "folder", col.DEAL_BUYER, col.DEAL_TARGET,
             col.DEAL_TEAM_FIRM_AT_END)
    tables = {
        DIFFERENCES: _tidy([r.market for r in results], labels, names, index=True),
        FIRM_DIFFERENCES: _tidy([r.firms for r in results], labels, names),
        FIRM_VALUES: _tidy([r.firm_values for r in results], labels, names),
        DEAL_TEAM_DIFFERENCES: _tidy([r.deal_teams for r in results], labels, names),
        EFFECTS: _tidy([r.effects for r in results], labels, names),
    }
    tables[FIRM_VALUES] = tables[FIRM_VALUES].drop(columns="run").drop_duplicates(
        subset=["folder", "seed", "firm", "tier", "measure"])
    entries = [_entry(f, read_summary(f.dir)) for f in opened]
    first = next(iter(opened[0].runs.values()))
    dates = month_dates(first)
    places = place_order([next(iter(f.runs.values())) for f in opened])
    colours = place_colours(places)
    drawings = {
        COMPARE_BANDS: lambda: plot_market_bands(entries),
        FIRM_SHARES_PLOT: lambda: plot_firm_shares([(r.label, r.firms) for r in results],
                                                   opened[0].label, colours),
        EFFECT_PLOTS[0]: lambda: plot_market_effects([(r.label, r.effects) for r in results],
                                                     dates),
        EFFECT_PLOTS[1]: lambda: plot_top_share_effects(
            [(r.label, r.effects) for r in results], dates, first.tiers[0], colours),
        EFFECT_PLOTS[2]: lambda: plot_percent_effects([(r.label, r.market) for r in results]),
    }
    try:
        with atomic_files(out) as stage:
            for name, table in tables.items():
                table.to_csv(stage / name, index=False, lineterminator="\n")
            for name, draw in (drawings.items() if plots else ()):
                save(draw(), stage / f"{name}.png")
    except UserError as err:
        raise err.about("out") from None
    return results


def compare_replicates(folders: Sequence[Path | str], out_dir: Path | str
                       ) -> list[tuple[str, pd.DataFrame]]:
    """:func:`compare_replicate_folders`, returning ``[(label, key-measure table), ...]``."""
    return [(r.label, r.market) for r in compare_replicate_folders(folders, out_dir)]


def comparison_text(results: Sequence[Comparison], reference: str | Path,
                    out_dir: Path | str) -> str:
    """What ``talentwar compare`` prints for replicate folders: for each compared folder,
    the three-line summary, the key-measure table (:func:`format_differences`) and the
    note on testing many measures at once; then the files written."""
    blocks = []
    for r in results:
        pairs = int(r.market["pairs"].max()) if len(r.market) else 0
        blocks += [f"{r.label} minus {reference}, {pairs} replicates paired by seed:",
                   *(f"  {line}" for line in r.summary), "",
                   f"Key measures at the end of the horizon: {r.label} minus {reference}, "
                   f"mean over {pairs} replicates paired by seed, 95% interval; (≈ 0): not "
                   "distinguishable from zero",
                   format_differences(r.market),
                   multiple_comparison_note(int((r.market.index != FINAL_MONTH).sum())),
                   ""]
    out = Path(out_dir)
    written = [*(out / f"{name}.png" for name in (COMPARE_BANDS, FIRM_SHARES_PLOT,
                                                  *EFFECT_PLOTS)),
               *(out / name for name in COMPARE_FILES)]
    blocks += [str(p) for p in written if p.is_file()]
    return "\n".join(blocks)


COMPARE_FILES = (DIFFERENCES, FIRM_DIFFERENCES, FIRM_VALUES, DEAL_TEAM_DIFFERENCES, EFFECTS)
"""The tables a comparison of replicate folders writes."""


# --------------------------------------------------------------------------- plots

REPLICATE_PLOTS = ("replicate_market", "replicate_top_share")
"""The plots of a replicate folder (``<name>.png``)."""
COMPARE_BANDS = "compare_replicate_bands"
"""The plot of a comparison of replicate folders (``<name>.png``)."""


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


def _series(summary: pd.DataFrame, measure: str, scale: float = 1.0) -> pd.DataFrame:
    """Mean and 95% interval of one measure by month (index: month)."""
    rows = summary[summary["measure"] == measure].set_index(col.MONTH)
    return rows[["mean", "ci_low", "ci_high"]].astype(float) * scale


def _band(ax: plt.Axes, dates: pd.Index, table: pd.DataFrame, colour: str, label: str,
          bounds: tuple[float, float] | None = None) -> None:
    """A mean line with its 95% band (where the band is known), clipped to ``bounds``
    (a share cannot leave [0, 100]%, whatever the t interval of few replicates says)."""
    low, high = table["ci_low"], table["ci_high"]
    if bounds is not None:
        low, high = low.clip(*bounds), high.clip(*bounds)
    ax.plot(dates, table["mean"], color=colour, label=label, lw=1.4)
    ax.fill_between(dates, low, high, color=colour, alpha=0.22, linewidth=0)


def market_panels(tiers: Sequence[str], measures: set[str]) -> list[tuple[str, str, float]]:
    """The market series drawn with bands: ``(measure, title, scale)``, those recorded."""
    panels = [(pay_column("median", t), f"Median pay: {t}", 1.0) for t in tiers]
    panels += [(col.UNEMPLOYMENT_RATE, "Unemployment rate (%)", 100.0),
               (col.AI_PAY_RATIO, "AI / non-AI median pay (ratio)", 1.0)]
    return [p for p in panels if p[0] in measures]


def plot_market_bands(entries: Sequence[tuple[str, pd.DataFrame, dict[int, pd.Timestamp],
                                              list[str], int]]) -> plt.Figure:
    """Key market series of one or more replicate folders: the mean over replicates with
    its 95% interval (Student t) as a band. ``entries``: ``(label, summary, dates by month,
    tiers, replicates)`` per folder; one colour per folder."""
    tiers = list(dict.fromkeys(t for e in entries for t in e[3]))
    measures = set().union(*(set(e[1]["measure"]) for e in entries))
    panels = market_panels(tiers, measures)
    ncols = min(3, max(len(panels), 1))
    nrows = max(1, math.ceil(len(panels) / ncols))
    fig, axes = figure(nrows, ncols, (5.2 * ncols, 3.9 * nrows))
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (measure, title, scale) in zip(axes.flat, panels, strict=False):
        for k, (label, summary, dates, _, count) in enumerate(entries):
            table = _series(summary, measure, scale)
            if table.empty:
                continue
            _band(ax, table.index.map(dates), table, cycle[k % len(cycle)],
                  f"{label} (n={count})",
                  (0.0, scale) if measure in col.FRACTIONS else None)
        if measure.startswith("pay_"):
            log_scale(ax, "y", *(_series(e[1], measure).to_numpy() for e in entries))
            money_axis(ax)
        if measure == col.AI_PAY_RATIO:
            ax.axhline(1.0, color="grey", ls=":", lw=1)
        date_axis(ax)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("month")
    for ax in list(axes.flat)[len(panels):]:
        fig.delaxes(ax)
    fig.suptitle("Key market series: mean over replicates, band: 95% interval of the mean",
                 fontsize=11)
    legend_outside(fig, axes[0, 0], title="replicate folder (replicates)")
    return fig


def top_share_bands(folder: ReplicateFolder) -> tuple[FirmLabels, dict[str, pd.DataFrame]]:
    """Each label's share (%) of all top-tier engineers by month over the replicates:
    ``{label: table of mean, ci_low, ci_high by month}``, labels as the first replicate's
    plots name them (named firms, generated firms together, unemployment)."""
    runs = list(folder.runs.values())
    labels = firm_labels(runs[0])
    shares = [top_shares(RunTables.from_run(run, labels)) for run in runs]
    columns = list(dict.fromkeys(c for s in shares for c in s.columns))
    months = sorted(set().union(*(set(s.index) for s in shares)))
    out: dict[str, pd.DataFrame] = {}
    for column in columns:
        cube = np.column_stack([s[column].reindex(months).to_numpy(dtype=float)
                                if column in s.columns else np.full(len(months), np.nan)
                                for s in shares])
        stats_ = [mean_interval(row) for row in cube]
        out[str(column)] = pd.DataFrame(
            {"mean": [s[0] for s in stats_], "ci_low": [s[2] for s in stats_],
             "ci_high": [s[3] for s in stats_]}, index=months)
    return labels, out


def plot_top_share_bands(folder: ReplicateFolder) -> plt.Figure:
    """Each named firm's (and the generated firms', and the unemployed's) share of the top
    tier over time: mean over replicates with its 95% band, one small panel per firm, in
    the firm's colour."""
    labels, bands = top_share_bands(folder)
    first = next(iter(folder.runs.values()))
    dates = month_dates(first)
    ncols = min(4, len(bands))
    nrows = math.ceil(len(bands) / ncols)
    fig, axes = figure(nrows, ncols, (3.6 * ncols, 2.6 * nrows))
    for ax, (name, table) in zip(axes.flat, bands.items(), strict=False):
        colour = labels.colours.get(name, "black")
        _band(ax, table.index.map(dates), table, colour, name, (0.0, 100.0))
        ax.set_title(name, fontsize=9, color=colour)
        ax.set_ylim(bottom=0)
        date_axis(ax)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(bands):]:
        fig.delaxes(ax)
    fig.supylabel(f"% of the top tier ({first.tiers[0]}; {TOP_SHARE_NOTE})", fontsize=9)
    fig.suptitle(f"Each firm's share of the top tier: mean over {len(folder.runs)} "
                 "replicates, band: 95% interval of the mean", fontsize=11)
    return fig


def _entry(folder: ReplicateFolder, summary: pd.DataFrame
           ) -> tuple[str, pd.DataFrame, dict[int, pd.Timestamp], list[str], int]:
    first = next(iter(folder.runs.values()))
    return folder.label, summary, month_dates(first), first.tiers, len(folder.runs)


def check_replicates_plottable(folder: ReplicateFolder) -> pd.DataFrame:
    """Read and check what the replicate plots read: ``summary.csv``, and each
    replicate's tables and manifest; return the summary."""
    summary = read_summary(folder.dir)
    for run in folder.runs.values():
        top = run.tiers[0]
        run.require(FIRMS, [per_tier(col.HEADCOUNT, top)], "the plot of top-tier shares")
        run.require(MARKET, [per_tier(col.UNEMPLOYED, top)], "the plot of top-tier shares")
        check_scenario_parts(run.manifest["scenario"], run.dir / MANIFEST)
    return summary


def plot_replicates(folder: Path | str) -> list[Path]:
    """Draw a replicate folder's plots (:data:`REPLICATE_PLOTS`) into it, as a set; return
    their paths. Everything they read is checked first.

    Raises
    ------
    UserError
        If the folder is not a replicate folder or a file the plots read is damaged
        (nothing is written then).
    """
    replicates = ReplicateFolder.open(folder)
    summary = check_replicates_plottable(replicates)
    for path in remove_leftovers(replicates.dir):
        log.info("removed %s, left by an interrupted command", path)
    stage = replicates.dir / f"{PLOTS_STAGE}.incomplete-{os.getpid()}"
    with atomic_files(replicates.dir, stage) as out:
        save(plot_market_bands([_entry(replicates, summary)]), out / f"{REPLICATE_PLOTS[0]}.png")
        save(plot_top_share_bands(replicates), out / f"{REPLICATE_PLOTS[1]}.png")
    return [replicates.dir / f"{name}.png" for name in REPLICATE_PLOTS]
