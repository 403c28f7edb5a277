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

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim import columns as col
from sim.errors import UserError, log
from sim.files import atomic_files
from sim.output.charts import month_dates
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
from sim.output.numbers import format_row, measure_kind
from sim.output.plotkit import save
from sim.output.replicate_folder import (
    KIND,
    SUMMARY,
    SUMMARY_COLUMNS,
    ReplicateFolder,
    is_replicate_folder,
    read_summary,
    replicate_name,
    summary_table,
    write_summary,
)
from sim.output.replicate_plots import (
    COMPARE_BANDS,
    REPLICATE_PLOTS,
    check_replicates_plottable,
    market_panels,
    plot_market_bands,
    plot_replicates,
    plot_top_share_bands,
    summary_entry,
    top_share_bands,
)
from sim.output.rundir import (
    csv_cell,
    remove_leftovers,
)
from sim.output.stats import LEVEL, mean_interval, paired_row, with_fdr

__all__ = [
    "COMPARE_BANDS", "COMPARE_FILES", "DIFFERENCES", "DIFFERENCE_COLUMNS", "KIND",
    "REPLICATE_PLOTS", "SUMMARY", "SUMMARY_COLUMNS", "Comparison", "ReplicateFolder",
    "check_replicates_plottable", "compare_folders", "compare_replicate_folders",
    "compare_replicates", "comparison_text", "format_differences", "is_replicate_folder",
    "market_panels", "mean_interval", "open_folders", "paired_differences",
    "plot_market_bands", "plot_replicates", "plot_top_share_bands", "read_summary",
    "replicate_name", "summary_table", "top_share_bands", "verdict", "write_summary",
]
"""The replicate folder's public names: its format (:mod:`sim.output.replicate_folder`),
its plots (:mod:`sim.output.replicate_plots`) and the comparisons defined here."""

DIFFERENCES = "differences.csv"


DIFFERENCE_COLUMNS = ["measure", "reference_mean", "other_mean", "mean_difference", "low",
                      "high", "percent_difference", "p_value", "distinguishable",
                      "distinguishable_fdr", "pairs"]


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
    table = pd.DataFrame(rows, columns=[c for c in DIFFERENCE_COLUMNS
                                        if c != "distinguishable_fdr"])
    # The final month is a fact of the two scenarios (their horizons), not an estimate:
    # outside the false-discovery family (a horizon that differs would enter it as p = 0).
    return with_fdr(table, level, family=(table["measure"] != FINAL_MONTH).to_numpy()
                    ).set_index("measure")


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
    entries = [summary_entry(f, read_summary(f.dir)) for f in opened]
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
