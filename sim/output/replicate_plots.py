"""The plots of a replicate folder (its key market series and each firm's top-tier share,
as means with 95% bands: :func:`plot_replicates`) and the bands of a comparison of
replicate folders (:func:`plot_market_bands`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim import columns as col
from sim.columns import pay_column, per_tier
from sim.errors import log
from sim.files import atomic_files
from sim.output.charts import (
    TOP_SHARE_NOTE,
    RunTables,
    firm_labels,
    month_dates,
    top_shares,
)
from sim.output.drawing import PLOTS_STAGE
from sim.output.formats import FIRMS, MARKET
from sim.output.manifest import MANIFEST, check_scenario_parts
from sim.output.palette import FirmLabels
from sim.output.plotkit import (
    date_axis,
    figure,
    fit_lines,
    legend_outside,
    log_scale,
    money_axis,
    save,
)
from sim.output.replicate_folder import ReplicateFolder, read_summary
from sim.output.rundir import remove_leftovers
from sim.output.stats import mean_interval

REPLICATE_PLOTS = ("replicate_market", "replicate_top_share")
"""The plots of a replicate folder (``<name>.png``)."""


COMPARE_BANDS = "compare_replicate_bands"
"""The plot of a comparison of replicate folders (``<name>.png``)."""


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
    fig.supylabel(fit_lines(f"% of the top tier ({first.tiers[0]}; {TOP_SHARE_NOTE})",
                            fig.get_figheight() - 0.6, 9), fontsize=9)
    fig.suptitle(f"Each firm's share of the top tier: mean over {len(folder.runs)} "
                 "replicates, band: 95% interval of the mean", fontsize=11)
    return fig


def summary_entry(folder: ReplicateFolder, summary: pd.DataFrame
                  ) -> tuple[str, pd.DataFrame, dict[int, pd.Timestamp], list[str], int]:
    """What :func:`plot_market_bands` draws of a folder: its label, ``summary``, the dates
    of its months, its tiers and its number of replicates."""
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
        save(plot_market_bands([summary_entry(replicates, summary)]),
             out / f"{REPLICATE_PLOTS[0]}.png")
        save(plot_top_share_bands(replicates), out / f"{REPLICATE_PLOTS[1]}.png")
    return [replicates.dir / f"{name}.png" for name in REPLICATE_PLOTS]
