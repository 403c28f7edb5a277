"""The run plots of firms: headcount, pay, shares of the top tier, GPUs, cash and moves.

Each plot draws the frames of :mod:`sim.output.charts` (computed there once, for every
renderer) from a run folder's records: the scenario's named firms by name, each in its own
colour, the generated firms together as one dashed line.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.colors import LogNorm
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from sim import columns as col
from sim.output import charts
from sim.output.charts import LABEL, TOP_SHARE_NOTE, RunTables, month_dates
from sim.output.plotkit import (
    date_axis,
    figure,
    firm_line,
    legend_outside,
    log_scale,
    money_axis,
    no_data,
)
from sim.output.rundir import RunFolder

KIND_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def plot_headcount(run: RunFolder) -> plt.Figure:
    """Headcount of every named firm and of the generated firms together, over time: all
    engineers, and the top tier (:func:`charts.headcount_by_firm`)."""
    tables = RunTables.from_run(run)
    labels = tables.labels
    dates = month_dates(run)
    top = tables.tiers[0]
    frame = charts.headcount_by_firm(tables)
    order = labels.order(tables.firms[col.FIRM].astype(str))
    fig, axes = figure(1, 2, (13, 5), sharex=True)
    for ax, tier, title in (
        (axes[0, 0], charts.ALL_ENGINEERS, "All engineers"),
        (axes[0, 1], top, f"Top tier ({top})"),
    ):
        table = charts.wide(frame[frame[col.FLOW_TIER] == tier], charts.HEADCOUNT, order)
        shown = table.where(table > 0)  # a firm with nobody (exited) is not drawn at 0
        for label in table.columns:
            firm_line(ax, table.index.map(dates), shown[label], label, labels)
        log_scale(ax, "y", shown.to_numpy())
        date_axis(ax)
        ax.set_title(f"Headcount by firm: {title}")
        ax.set_xlabel("month")
        ax.set_ylabel("engineers employed (log scale)")
    legend_outside(fig, axes[0, 0], title=labels.note)
    return fig


def plot_gpu_share(run: RunFolder) -> plt.Figure:
    """GPU stock of each firm against its share of the top tier, in the final month
    (:func:`charts.gpu_and_top_share`): named firms in their colours and labelled,
    generated firms grey; marker shape: kind of firm."""
    tables = RunTables.from_run(run)
    labels = tables.labels
    top = tables.tiers[0]
    frame = charts.gpu_and_top_share(tables)
    share = frame[charts.TOP_SHARE]
    gpus = frame[col.GPUS].clip(lower=1)
    label = frame[LABEL]
    fig, axes = figure(1, 1, (9.5, 6))
    ax = axes[0, 0]
    kinds = sorted(pd.unique(frame[col.KIND]))
    markers = {k: KIND_MARKERS[i % len(KIND_MARKERS)] for i, k in enumerate(kinds)}
    kind = frame[col.KIND]
    for name in kinds:  # one scatter per kind: each firm in its colour, named ones edged
        mask = kind == name
        ax.scatter(gpus[mask], share[mask], s=45, alpha=0.85, marker=markers[name],
                   c=[labels.colours[n] for n in label[mask]],
                   edgecolors=[labels.colours[n] if n == labels.rest else "black"
                               for n in label[mask]],
                   linewidths=0.4)
    for idx in frame.index[(label != labels.rest).to_numpy()]:
        ax.annotate(label[idx], (gpus[idx], share[idx]), fontsize=7, xytext=(3, 3),
                    textcoords="offset points", color=labels.colours[label[idx]])
    threshold = tables.threshold
    extra: list[Artist] = []
    if threshold:
        extra.append(ax.axvline(threshold, color="grey", ls=":",
                                label=f"GPU threshold ({threshold:,.0f})"))
    log_scale(ax, "x", gpus)
    ax.set_title(f"GPU stock against share of top-tier engineers ({top}), final month")
    ax.set_xlabel("GPU stock (H100 equivalents, log scale; 0 shown as 1)")
    ax.set_ylabel(f"share of employed {top} (%)")
    drawn = labels.order(frame[col.FIRM])
    firm_handles = [Line2D([], [], ls="", marker="o", color=labels.colours[n]) for n in drawn]
    legend_outside(fig, title=labels.note, handles=firm_handles, labels=drawn)
    kind_handles = [Line2D([], [], ls="", marker=markers[k], color="black") for k in kinds]
    legend_outside(fig, title="kind of firm (marker)", handles=[*kind_handles, *extra],
                   labels=[*kinds, *(str(h.get_label()) for h in extra)], where="lower")
    return fig


def plot_moves(run: RunFolder) -> plt.Figure:
    """Moves over the run between named firms, the generated firms together and
    unemployment (:func:`charts.move_matrices`): one heat map per tier (best first), each
    cell annotated with its count; cells with engineers moved by deals are outlined
    (``d``: how many)."""
    tables = RunTables.from_run(run)
    matrices = charts.move_matrices(tables, run.flows)
    ncols = min(2, len(matrices))
    nrows = math.ceil(len(matrices) / ncols)
    side = 0.42 * (len(charts.move_places(tables, run.flows)) + 1) + 2.5
    # No layout engine (it would cost a second on this large figure): the gaps leave room
    # for the rotated labels, and save() keeps whatever lies outside the panels.
    fig, axes = plt.subplots(nrows, ncols, figsize=(side * ncols + 1.5, side * nrows),
                             squeeze=False,
                             gridspec_kw={"hspace": 0.22, "wspace": 0.12, "left": 0.06,
                                          "right": 0.99, "top": 0.93, "bottom": 0.07})
    for ax, (tier, (moves, deals)) in zip(axes.flat, matrices.items(), strict=False):
        data, by_deal = moves.to_numpy(), deals.to_numpy()
        shown = np.where(data > 0, data, np.nan)
        top = float(np.nanmax(shown)) if np.isfinite(shown).any() else 1.0
        image = ax.imshow(shown, norm=LogNorm(vmin=1, vmax=max(top, 1.0)), cmap="viridis")
        places = list(moves.index)
        ax.set_xticks(range(len(places)), places, rotation=90, fontsize=7)
        ax.set_yticks(range(len(places)), places, fontsize=7)
        for i, j in zip(*np.nonzero(data), strict=True):
            value, by_deals = int(data[i, j]), int(by_deal[i, j])
            light = np.log(max(value, 1)) < 0.6 * np.log(max(top, 2.0))
            text = f"{value:,}" + (f"\nd {by_deals:,}" if by_deals else "")
            # A count lies in its cell: the box save() cuts to need not measure it.
            ax.text(j, i, text, ha="center", va="center", fontsize=6.5,
                    color="white" if light else "black", in_layout=False)
            if by_deals:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=1.2))
        ax.set_xlabel("destination")
        ax.set_ylabel("source")
        ax.set_title(f"{tier}: {int(data.sum()):,} moves")
        fig.colorbar(image, ax=ax, label="engineers moved (log colour scale)", shrink=0.8)
    for ax in list(axes.flat)[len(matrices):]:
        fig.delaxes(ax)
    fig.suptitle("Moves over the run by tier (all kinds: job-to-job and deal transfers "
                 "between firms,\nhires from and separations, layoffs, exits and deal "
                 "departures to unemployment;\nred outline: a cell with deal transfers, "
                 "'d N': N of them moved by deals)", fontsize=10, y=0.985)
    return fig


def plot_pay_by_firm(run: RunFolder) -> plt.Figure:
    """Median pay of each tier by firm over time (:func:`charts.pay_by_firm`), one panel
    per tier (best first): each named firm's median; for the generated firms, the mean of
    their medians weighted by their headcount of the tier. Tiers whose medians
    ``firms.csv`` does not record (non-AI tiers) show the mean pay instead (the group's:
    its pooled mean)."""
    tables = RunTables.from_run(run)
    labels = tables.labels
    dates = month_dates(run)
    tiers = tables.tiers
    frame = charts.pay_by_firm(tables)
    firms = tables.firms
    months = pd.Index(np.unique(firms[col.MONTH]), name=col.MONTH)
    order = labels.order(firms[col.FIRM].astype(str))
    ncols = min(3, len(tiers))
    nrows = math.ceil(len(tiers) / ncols)
    fig, axes = figure(nrows, ncols, (5.4 * ncols, 4.4 * nrows))
    for ax, tier in zip(axes.flat, tiers, strict=False):
        rows = frame[frame[col.FLOW_TIER] == tier]
        if rows.empty:
            no_data(ax, f"no firm pay recorded for {tier}")
            ax.set_title(f"{tier}")
            continue
        statistic = str(rows[charts.STATISTIC].iloc[0])
        table = charts.wide(rows, charts.PAY, order, months)
        for label in table.columns:
            firm_line(ax, table.index.map(dates), table[label], label, labels, lw=1.2)
        log_scale(ax, "y", table.to_numpy())
        money_axis(ax)
        date_axis(ax)
        ax.set_title(f"{tier}: {statistic} pay by firm")
        ax.set_xlabel("month")
        ax.set_ylabel(f"{statistic} pay ($ a year, log scale)")
    for ax in list(axes.flat)[len(tiers):]:
        fig.delaxes(ax)
    group = (f"{labels.rest}: headcount-weighted mean of the firms' medians "
             "(of their means where the mean is shown)")
    fig.suptitle(f"Pay of each tier by firm over time (employed engineers; {group})",
                 fontsize=10)
    legend_outside(fig, axes[0, 0], title=labels.note)
    return fig


def plot_top_share_by_firm(run: RunFolder) -> plt.Figure:
    """Each firm's share of the top tier over time, stacked (:func:`charts.top_shares`):
    named firms (scenario order), the generated firms together, and the unemployed of the
    tier on top."""
    tables = RunTables.from_run(run)
    labels = tables.labels
    dates = month_dates(run)
    shares = charts.top_shares(tables).fillna(0.0)
    fig, axes = figure(1, 1, (11, 5.5))
    ax = axes[0, 0]
    ax.stackplot(shares.index.map(dates), shares.to_numpy().T, labels=list(shares.columns),
                 colors=[labels.colours[c] for c in shares.columns], alpha=0.9,
                 edgecolor="white", linewidth=0.3)
    ax.set_ylim(0, 100)
    ax.margins(x=0)
    date_axis(ax)
    top = tables.tiers[0]
    ax.set_title(f"Each firm's share of the top tier ({top}) over time")
    ax.set_xlabel("month")
    ax.set_ylabel(f"% of {top} ({TOP_SHARE_NOTE})")
    handles, texts = ax.get_legend_handles_labels()
    legend_outside(fig, title=f"{labels.note}; top of the stack first",
                   handles=handles[::-1], labels=texts[::-1])
    return fig


def plot_cash_gpus(run: RunFolder) -> plt.Figure:
    """Cash and GPU stock of every named firm and of the generated firms together (their
    sum, :func:`charts.by_label`), over time; the GPU threshold (per firm) on the GPU
    panel."""
    tables = RunTables.from_run(run)
    labels = tables.labels
    dates = month_dates(run)
    fig, axes = figure(1, 2, (13, 5), sharex=True)
    for ax, column, scale, label in (
        (axes[0, 0], col.CASH, 1e9, "cash ($ billion, symmetric log scale)"),
        (axes[0, 1], col.GPUS, 1e3, "GPU stock (thousand H100, symmetric log scale)"),
    ):
        table = charts.by_label(tables, column) / scale
        for name in table.columns:
            firm_line(ax, table.index.map(dates), table[name], name, labels)
        ax.set_yscale("symlog", linthresh=0.01)
        date_axis(ax)
        ax.set_xlabel("month")
        ax.set_ylabel(label)
    threshold = tables.threshold
    if threshold:
        axes[0, 1].axhline(threshold / 1e3, color="grey", ls=":",
                           label=f"GPU threshold, per firm ({threshold:,.0f})")
    axes[0, 0].set_title("Cash by firm")
    axes[0, 1].set_title("GPUs by firm")
    handles, texts = axes[0, 1].get_legend_handles_labels()
    legend_outside(fig, title=labels.note, handles=handles, labels=texts)
    return fig
