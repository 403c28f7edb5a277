"""Plots of a finished run, drawn from its result files alone.

Plotting never reaches into a model: every figure reads ``market.csv``, ``firms.csv``,
``flows.csv``, ``engineers.csv`` and ``manifest.json`` from a run folder, so
``talentwar plot RUN_DIR`` redraws any finished run. Before drawing, every file the plots
read is checked (:func:`check_plottable`), so a damaged folder is refused with one message
and nothing written. The figures are drawn into a hidden folder inside the run folder and
moved into place as a set when all are drawn: a failure or an interruption leaves the run
folder as it was. The processes that draw them end with the command (they are terminated
when it is interrupted, and die with it if it is killed).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.colors import LogNorm
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, NullFormatter

from sim import columns as col
from sim.columns import pay_column, per_tier
from sim.errors import UserError, log
from sim.files import atomic_file, atomic_files
from sim.output.palette import (
    GENERATED,
    OTHER_FIRMS,
    UNEMPLOYMENT_LABEL,
    firm_colours,
    named_firms,
)
from sim.output.pool import forked_each
from sim.output.rundir import (
    DEALS,
    ENGINEER_PAY,
    ENGINEER_TIER,
    FIRMS,
    FLOWS,
    MANIFEST,
    MARKET,
    MONTH_DATE,
    NAME,
    RunFolder,
    remove_leftovers,
)

MAX_FIRMS_SHOWN = 12
"""Without a manifest (so without the scenario's named firms), a run's firms are all shown
by name if there are at most this many, else the largest this many (by peak headcount)."""
PLOTS_STAGE = ".plots"
"""The hidden folder (``.plots.incomplete-<pid>``) in which a run's plots are drawn."""
LEGEND_FONT = 8
DEAL_KINDS = ("deal_transfer",)
"""Kinds of move (``flows.csv``) that a deal made: outlined in the moves matrix."""
PAY_PLOT_COLUMNS = (ENGINEER_PAY, ENGINEER_TIER)
"""The columns of the engineer table the plot of pay reads (only these are read)."""
PAY_PLOT = "the plot of pay"
TOP_SHARE_NOTE = "share of all engineers of the tier, employed or not"


def plain_text(fig: plt.Figure) -> None:
    """Make every text of ``fig`` plain text, never matplotlib mathtext: labels hold free
    text (scenario, folder and firm names, sweep labels), in which ``$`` is a dollar sign,
    and a pair of them must neither turn the words between into maths nor, if they are not
    valid mathtext, stop the drawing. A dollar escaped for mathtext (``\\$``) becomes ``$``.
    (Tick labels made while drawing copy the plain setting of the first tick.)"""
    for text in fig.findobj(Text):
        content = text.get_text()
        if "$" in content:
            text.set_text(content.replace("\\$", "$"))
        text.set_parse_math(False)


def save(fig: plt.Figure, path: Path) -> Path:
    """Save a figure as PNG atomically (:func:`sim.files.atomic_file`; ``bbox_inches``
    ``"tight"``: nothing drawn outside the axes, such as a legend, is cut off), with every
    text as plain text (:func:`plain_text`)."""
    try:
        with atomic_file(path, "the plot") as tmp:
            plain_text(fig)
            fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight",
                        metadata={"Software": None})
    finally:
        plt.close(fig)
    return path


def log_scale(ax: plt.Axes, axis: str, *values: object) -> None:
    """Put ``axis`` (``"x"`` or ``"y"``) of ``ax`` on a log scale if any of ``values`` is
    finite and positive; leave it linear otherwise (matplotlib cannot log-scale data that
    is all missing or <= 0, which a readable but damaged table can hold)."""
    arrays = [np.asarray(v, dtype=float).ravel() for v in values]
    data = np.concatenate(arrays) if arrays else np.array([])
    if np.any(np.isfinite(data) & (data > 0)):
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log")


def money(value: float, _pos: int | None = None) -> str:
    """Tick label for pay: $950k, $1.2M."""
    if value >= 1e6:
        return f"${value / 1e6:.4g}M"
    if value >= 1e3:
        return f"${value / 1e3:.4g}k"
    return f"${value:.4g}"


def money_text(value: float) -> str:
    """A price in a label: ``$1.3B``, ``$650M`` (the dollar escaped from mathtext)."""
    for scale, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return rf"\${value / scale:.3g}{unit}"
    return rf"\${value:.3g}"


def money_axis(ax: plt.Axes) -> None:
    """Label the y axis of ``ax`` in dollars ($950k, $1.2M); minor ticks too if the data
    span less than a decade or so (call it once the data are drawn)."""
    ax.yaxis.set_major_formatter(FuncFormatter(money))
    low, high = ax.get_ylim()
    if ax.get_yscale() == "log" and low > 0 and high / low < 15:
        ax.yaxis.set_minor_formatter(FuncFormatter(money))
        ax.tick_params(axis="y", which="minor", labelsize=7)
    else:
        ax.yaxis.set_minor_formatter(NullFormatter())


def date_axis(ax: plt.Axes) -> None:
    """Concise calendar dates on the x axis of ``ax`` (no rotated labels)."""
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def legend_outside(fig: plt.Figure, ax: plt.Axes | None = None, *, title: str | None = None,
                   handles: Sequence[Artist] | None = None,
                   labels: Sequence[str] | None = None,
                   where: Literal["upper", "lower"] = "upper") -> None:
    """A figure legend to the right of every panel, outside the data (the figure must use
    the constrained layout); its entries are ``handles``/``labels``, or ``ax``'s."""
    if handles is None:
        source = ax if ax is not None else fig.axes[0]
        found, texts = source.get_legend_handles_labels()
        handles, labels = found, texts
    if not handles or labels is None:
        return
    loc: Literal["outside right upper", "outside right lower"] = (
        "outside right upper" if where == "upper" else "outside right lower")
    fig.legend(handles, labels, loc=loc, fontsize=LEGEND_FONT,
               title=title, title_fontsize=LEGEND_FONT)


def axes_legend_outside(ax: plt.Axes, title: str | None = None) -> None:
    """The legend of one panel, to its right, outside the data."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                  fontsize=LEGEND_FONT, title_fontsize=LEGEND_FONT, title=title)


def figure(nrows: int = 1, ncols: int = 1, size: tuple[float, float] = (10, 4.8),
           sharex: bool = False, height_ratios: Sequence[float] | None = None
           ) -> tuple[plt.Figure, np.ndarray]:
    """A figure of ``nrows`` x ``ncols`` panels (an array, always 2-D) in the constrained
    layout, which keeps legends outside the panels and nothing clipped."""
    fig, axes = plt.subplots(nrows, ncols, figsize=size, squeeze=False, layout="constrained",
                             sharex=sharex, height_ratios=height_ratios)
    return fig, axes


def no_data(ax: plt.Axes, text: str) -> None:
    """Say in the middle of ``ax`` that there is nothing to draw."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)


# --------------------------------------------------------------------------- firms shown


@dataclass(frozen=True)
class FirmLabels:
    """Which firms a run's plots show by name, the label of all others, and the colours.

    Attributes
    ----------
    named : tuple of str
        Firms drawn by name, in the scenario's order: its named firms (``[firms.NAME]``).
    rest : str
        The label of every other firm, drawn as one group: :data:`palette.GENERATED`, or
        :data:`palette.OTHER_FIRMS` for a run without a manifest.
    colours : dict of str to str
        One colour per label (:func:`palette.firm_colours`), the same in every plot.
    """

    named: tuple[str, ...]
    rest: str
    colours: dict[str, str]

    def label(self, firm: str) -> str:
        """The label of ``firm``: its name if it is named (or unemployment), else ``rest``."""
        return firm if firm in self.named or firm == UNEMPLOYMENT_LABEL else self.rest

    def labels(self, firms: pd.Series) -> pd.Series:
        """:meth:`label` of every firm in ``firms``."""
        mapping = {f: self.label(f) for f in pd.unique(firms.astype(str))}
        return firms.astype(str).map(mapping)

    def order(self, firms: Iterable[str]) -> list[str]:
        """The labels drawn: every named firm, then ``rest`` if ``firms`` has any other
        firm (unemployment aside)."""
        others = any(f not in self.named and f != UNEMPLOYMENT_LABEL for f in firms)
        return [*self.named, *([self.rest] if others else [])]

    @property
    def note(self) -> str:
        """Legend title saying how the group is made."""
        if self.rest == GENERATED:
            return f"firm ({GENERATED}: together)"
        return f"firm (largest {len(self.named)}; {OTHER_FIRMS}: together)"


def has_manifest(run: RunFolder) -> bool:
    """Whether the run folder has a manifest (so its scenario's named firms are known)."""
    return (run.dir / MANIFEST).exists()


def firm_labels(run: RunFolder, colour_order: Sequence[str] | None = None) -> FirmLabels:
    """The firms a run's plots name: the scenario's named firms (from the manifest).

    Without a manifest every firm of ``firms.csv`` is named if there are at most
    :data:`MAX_FIRMS_SHOWN`, else the largest by peak headcount; the others are
    ``"other firms"``. ``colour_order`` gives the named firms whose order fixes the colours
    (in a comparison: the union of the runs' named firms, first run first).
    """
    if has_manifest(run):
        named = named_firms(run.manifest["scenario"])
        rest = GENERATED
    else:
        firms = run.firms
        names = [str(f) for f in pd.unique(firms[col.FIRM].astype(str))]
        if len(names) <= MAX_FIRMS_SHOWN:
            named = names
        else:
            peak = firms.groupby(firms[col.FIRM].astype(str))[col.HEADCOUNT].max()
            peak = peak.reindex(names)
            largest = set(peak.sort_values(ascending=False, kind="stable")
                          .index[:MAX_FIRMS_SHOWN])
            named = [n for n in names if n in largest]
        rest = OTHER_FIRMS
    return FirmLabels(tuple(named), rest, firm_colours(colour_order or named))


def month_dates(run: RunFolder) -> dict[int, pd.Timestamp]:
    """The calendar date of each model month of the run."""
    return dict(zip(run.market[col.MONTH].astype(int), run.dates(), strict=True))


def by_label(run: RunFolder, labels: FirmLabels, column: str) -> pd.DataFrame:
    """``column`` of ``firms.csv`` summed over the firms of each label: one row per month,
    one column per label drawn (a named firm missing from the table is all NaN)."""
    firms = run.firms
    label = labels.labels(firms[col.FIRM]).rename("label")
    values = pd.to_numeric(firms[column], errors="coerce")
    table = values.groupby([firms[col.MONTH], label]).sum(min_count=1).unstack()
    return table.reindex(columns=labels.order(firms[col.FIRM].astype(str))).astype(float)


def weighted_by_label(run: RunFolder, labels: FirmLabels, column: str,
                      weight: str) -> pd.DataFrame:
    """``column`` of ``firms.csv`` by label and month: a named firm's own value; for the
    group, the mean of its firms' values weighted by ``weight`` (firms with a value and
    weight > 0)."""
    firms = run.firms
    label = labels.labels(firms[col.FIRM]).rename("label")
    value = pd.to_numeric(firms[column], errors="coerce")
    heads = pd.to_numeric(firms[weight], errors="coerce").where(value.notna(), 0.0).fillna(0.0)
    heads = heads.clip(lower=0.0)
    keys = [firms[col.MONTH], label]
    total = (value.fillna(0.0) * heads).groupby(keys).sum().unstack()
    weights = heads.groupby(keys).sum().unstack()
    table = total / weights.where(weights > 0)
    return table.reindex(columns=labels.order(firms[col.FIRM].astype(str))).astype(float)


def _line(ax: plt.Axes, dates: pd.Index, values: pd.Series, label: str,
          labels: FirmLabels, **kwargs: object) -> None:
    """One firm's (or the group's) line in its colour; the group dashed."""
    style = "--" if label == labels.rest else "-"
    ax.plot(dates, values, color=labels.colours[label], ls=style, label=label,
            **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- run plots


def plot_headcount(run: RunFolder) -> plt.Figure:
    """Headcount of every named firm and of the generated firms together, over time: all
    engineers, and the top tier."""
    labels = firm_labels(run)
    dates = month_dates(run)
    top = run.tiers[0]
    fig, axes = figure(1, 2, (13, 5), sharex=True)
    for ax, column, title in (
        (axes[0, 0], col.HEADCOUNT, "All engineers"),
        (axes[0, 1], per_tier(col.HEADCOUNT, top), f"Top tier ({top})"),
    ):
        table = by_label(run, labels, column)
        shown = table.where(table > 0)  # a firm with nobody (exited) is not drawn at 0
        for label in table.columns:
            _line(ax, table.index.map(dates), shown[label], label, labels)
        log_scale(ax, "y", shown.to_numpy())
        date_axis(ax)
        ax.set_title(f"Headcount by firm: {title}")
        ax.set_xlabel("month")
        ax.set_ylabel("engineers employed (log scale)")
    legend_outside(fig, axes[0, 0], title=labels.note)
    return fig


def plot_pay(run: RunFolder) -> plt.Figure:
    """Pay by tier: the final distribution (histograms) and quantiles over time."""
    market = run.market
    engineers = run.engineer_columns(PAY_PLOT_COLUMNS, PAY_PLOT)
    dates = run.dates()
    fig, axes = figure(1, 2, (14, 4.8))
    left, right = axes[0]
    if not engineers.empty:
        employed = engineers[engineers[ENGINEER_PAY] > 0]
        low, high = employed[ENGINEER_PAY].min(), employed[ENGINEER_PAY].max()
        bins = np.geomspace(low * 0.95, high * 1.05, 60) if high > low else 20
        for tier in run.tiers:
            pay = employed.loc[employed[ENGINEER_TIER] == tier, ENGINEER_PAY]
            if len(pay):
                # Each tier's bars sum to 100%, so small tiers show as clearly as large ones.
                left.hist(pay, bins=bins, alpha=0.55, weights=np.full(len(pay), 100 / len(pay)),
                          label=f"{tier} (n={len(pay):,})")
        log_scale(left, "x", employed[ENGINEER_PAY])
        left.set_title("Pay distribution by tier, final month (employed)")
        left.set_xlabel("pay ($ a year, log scale)")
        left.set_ylabel("share of the tier's engineers (% per bin)")
        axes_legend_outside(left, title="tier")
    else:
        no_data(left, "no engineer table in this run")
    for tier, color in zip(run.tiers, plt.rcParams["axes.prop_cycle"].by_key()["color"],
                           strict=False):
        right.plot(dates, market[pay_column("median", tier)], color=color,
                   label=f"{tier} median")
        right.plot(dates, market[pay_column("p90", tier)], color=color, ls="--",
                   label=f"{tier} 90th pct.")
    log_scale(right, "y", *(market[pay_column(s, t)] for t in run.tiers
                            for s in ("median", "p90")))
    money_axis(right)
    date_axis(right)
    right.set_title("Pay by tier over time")
    right.set_xlabel("month")
    right.set_ylabel("pay ($ a year, log scale)")
    axes_legend_outside(right)
    return fig


KIND_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def plot_gpu_share(run: RunFolder) -> plt.Figure:
    """GPU stock of each firm against its share of the top tier, in the final month: named
    firms in their colours and labelled, generated firms grey; marker shape: kind of firm."""
    labels = firm_labels(run)
    firms = run.firms
    top = run.tiers[0]
    heads = per_tier(col.HEADCOUNT, top)
    last = firms[firms[col.MONTH] == firms[col.MONTH].max()]
    total = last[heads].sum()
    share = 100 * last[heads] / total if total else last[heads] * 0
    gpus = last[col.GPUS].clip(lower=1)
    label = labels.labels(last[col.FIRM])
    fig, axes = figure(1, 1, (9.5, 6))
    ax = axes[0, 0]
    kinds = sorted(pd.unique(last[col.KIND].astype(str)))
    markers = {k: KIND_MARKERS[i % len(KIND_MARKERS)] for i, k in enumerate(kinds)}
    kind = last[col.KIND].astype(str)
    for name in kinds:  # one scatter per kind: each firm in its colour, named ones edged
        mask = kind == name
        ax.scatter(gpus[mask], share[mask], s=45, alpha=0.85, marker=markers[name],
                   c=[labels.colours[n] for n in label[mask]],
                   edgecolors=[labels.colours[n] if n == labels.rest else "black"
                               for n in label[mask]],
                   linewidths=0.4)
    for idx in last.index[(label != labels.rest).to_numpy()]:
        ax.annotate(label[idx], (gpus[idx], share[idx]), fontsize=7, xytext=(3, 3),
                    textcoords="offset points", color=labels.colours[label[idx]])
    threshold = run.gpu_threshold
    extra: list[Artist] = []
    if threshold:
        extra.append(ax.axvline(threshold, color="grey", ls=":",
                                label=f"GPU threshold ({threshold:,.0f})"))
    log_scale(ax, "x", gpus)
    ax.set_title(f"GPU stock against share of top-tier engineers ({top}), final month")
    ax.set_xlabel("GPU stock (H100 equivalents, log scale; 0 shown as 1)")
    ax.set_ylabel(f"share of employed {top} (%)")
    drawn = labels.order(last[col.FIRM].astype(str))
    firm_handles = [Line2D([], [], ls="", marker="o", color=labels.colours[n]) for n in drawn]
    legend_outside(fig, title=labels.note, handles=firm_handles, labels=drawn)
    kind_handles = [Line2D([], [], ls="", marker=markers[k], color="black") for k in kinds]
    legend_outside(fig, title="kind of firm (marker)", handles=[*kind_handles, *extra],
                   labels=[*kinds, *(str(h.get_label()) for h in extra)], where="lower")
    return fig


def move_matrices(run: RunFolder, labels: FirmLabels
                  ) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """For each tier (best first): the moves over the run between the places drawn (named
    firms, the group of the others, unemployment), as ``(all moves, of which by deals)``,
    rows: source, columns: destination. Every kind of move in ``flows.csv`` is counted."""
    flows = run.flows
    places = [*firm_labels_order(run, labels), UNEMPLOYMENT_LABEL]
    out: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    for tier in run.tiers:
        if flows.empty:
            part = pd.DataFrame(columns=list(col.FLOW_COLUMNS))
        else:
            part = flows[flows[col.FLOW_TIER].astype(str) == tier]
        source = labels.labels(part[col.FLOW_SOURCE]).rename("source")
        destination = labels.labels(part[col.FLOW_DESTINATION]).rename("destination")
        counts = pd.to_numeric(part[col.FLOW_ENGINEERS], errors="coerce").fillna(0)
        kinds = (part[col.FLOW_KIND].astype(str) if col.FLOW_KIND in part.columns
                 else pd.Series("", index=part.index))
        matrices = []
        for mask in (pd.Series(True, index=part.index), kinds.isin(DEAL_KINDS)):
            table = counts[mask].groupby([source[mask], destination[mask]]).sum()
            matrices.append(table.unstack(fill_value=0).reindex(
                index=places, columns=places, fill_value=0).astype(float))
        out[tier] = (matrices[0], matrices[1])
    return out


def firm_labels_order(run: RunFolder, labels: FirmLabels) -> list[str]:
    """The firm labels drawn for a run: named firms, then the group if the run has other
    firms (in ``firms.csv`` or ``flows.csv``)."""
    names = set(run.firms[col.FIRM].astype(str))
    if not run.flows.empty:
        names |= set(run.flows[col.FLOW_SOURCE].astype(str))
        names |= set(run.flows[col.FLOW_DESTINATION].astype(str))
    return labels.order(names)


def plot_moves(run: RunFolder) -> plt.Figure:
    """Moves over the run between named firms, the generated firms together and
    unemployment: one heat map per tier (best first), each cell annotated with its count;
    cells with engineers moved by deals are outlined (``d``: how many)."""
    labels = firm_labels(run)
    matrices = move_matrices(run, labels)
    ncols = min(2, len(matrices))
    nrows = math.ceil(len(matrices) / ncols)
    side = 0.42 * (len(firm_labels_order(run, labels)) + 1) + 2.5
    # No layout engine (it would cost a second on this large figure): the gaps leave room
    # for the rotated labels, and save() keeps whatever lies outside the panels.
    fig, axes = plt.subplots(nrows, ncols, figsize=(side * ncols + 1.5, side * nrows),
                             squeeze=False,
                             gridspec_kw={"hspace": 0.22, "wspace": 0.12, "left": 0.06,
                                          "right": 0.99, "top": 0.93, "bottom": 0.07})
    for ax, (tier, (moves, deals)) in zip(axes.flat, matrices.items(), strict=False):
        data = moves.to_numpy()
        shown = np.where(data > 0, data, np.nan)
        top = float(np.nanmax(shown)) if np.isfinite(shown).any() else 1.0
        image = ax.imshow(shown, norm=LogNorm(vmin=1, vmax=max(top, 1.0)), cmap="viridis")
        places = list(moves.index)
        ax.set_xticks(range(len(places)), places, rotation=90, fontsize=7)
        ax.set_yticks(range(len(places)), places, fontsize=7)
        for i, j in zip(*np.nonzero(data), strict=True):
            value, by_deals = int(data[i, j]), int(deals.to_numpy()[i, j])
            light = np.log(max(value, 1)) < 0.6 * np.log(max(top, 2.0))
            text = f"{value:,}" + (f"\nd {by_deals:,}" if by_deals else "")
            ax.text(j, i, text, ha="center", va="center", fontsize=6.5,
                    color="white" if light else "black")
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
    """Median pay of each tier by firm over time, one panel per tier (best first): each
    named firm's median; for the generated firms, the mean of their medians weighted by
    their headcount of the tier. Tiers whose medians ``firms.csv`` does not record (non-AI
    tiers) show the mean pay instead (the group's: its pooled mean)."""
    labels = firm_labels(run)
    dates = month_dates(run)
    tiers = run.tiers
    ncols = min(3, len(tiers))
    nrows = math.ceil(len(tiers) / ncols)
    fig, axes = figure(nrows, ncols, (5.4 * ncols, 4.4 * nrows))
    for ax, tier in zip(axes.flat, tiers, strict=False):
        statistic = "median" if pay_column("median", tier) in run.firms.columns else "mean"
        column = pay_column(statistic, tier)
        if column not in run.firms.columns:
            no_data(ax, f"no firm pay recorded for {tier}")
            ax.set_title(f"{tier}")
            continue
        table = weighted_by_label(run, labels, column, per_tier(col.HEADCOUNT, tier))
        for label in table.columns:
            _line(ax, table.index.map(dates), table[label], label, labels, lw=1.2)
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


def top_shares(run: RunFolder, labels: FirmLabels) -> pd.DataFrame:
    """Each label's share (%) of all top-tier engineers by month: named firms, the group,
    and unemployment (from ``market.csv``); the shares of a month add up to 100."""
    top = run.tiers[0]
    market = run.market.set_index(col.MONTH)
    heads = by_label(run, labels, per_tier(col.HEADCOUNT, top)).reindex(market.index)
    heads = heads.fillna(0.0)
    unemployed = per_tier(col.UNEMPLOYED, top)
    if unemployed in market.columns:
        heads[UNEMPLOYMENT_LABEL] = pd.to_numeric(market[unemployed], errors="coerce"
                                                  ).reindex(heads.index).fillna(0.0)
    total = heads.sum(axis=1)
    return 100 * heads.div(total.where(total > 0), axis=0)


def plot_top_share_by_firm(run: RunFolder) -> plt.Figure:
    """Each firm's share of the top tier over time, stacked: named firms (scenario order),
    the generated firms together, and the unemployed of the tier on top."""
    labels = firm_labels(run)
    dates = month_dates(run)
    shares = top_shares(run, labels).fillna(0.0)
    fig, axes = figure(1, 1, (11, 5.5))
    ax = axes[0, 0]
    ax.stackplot(shares.index.map(dates), shares.to_numpy().T, labels=list(shares.columns),
                 colors=[labels.colours[c] for c in shares.columns], alpha=0.9,
                 edgecolor="white", linewidth=0.3)
    ax.set_ylim(0, 100)
    ax.margins(x=0)
    date_axis(ax)
    top = run.tiers[0]
    ax.set_title(f"Each firm's share of the top tier ({top}) over time")
    ax.set_xlabel("month")
    ax.set_ylabel(f"% of {top} ({TOP_SHARE_NOTE})")
    handles, texts = ax.get_legend_handles_labels()
    legend_outside(fig, title=f"{labels.note}; top of the stack first",
                   handles=handles[::-1], labels=texts[::-1])
    return fig


@dataclass(frozen=True)
class DatedEvent:
    """A dated event of the scenario as the timeline draws it."""

    date: pd.Timestamp
    end: pd.Timestamp | None
    row: str
    text: str
    type: str


MARKET_ROW = "whole market"


def event_date(event_month: int | str, start: pd.Timestamp) -> pd.Timestamp:
    """The date of an event's month: a calendar month, or model month ``m`` after the
    month-0 date ``start``."""
    if isinstance(event_month, str):
        return pd.Timestamp(event_month + "-01")
    return start + pd.DateOffset(months=int(event_month))


def _settings(values: object) -> str:
    """``key value, key value`` of a policy or amenities table."""
    if not isinstance(values, dict):
        return ""
    return ", ".join(f"{k} {v}" for k, v in values.items() if v is not None)


def scenario_events(run: RunFolder, labels: FirmLabels) -> list[DatedEvent]:
    """The scenario's dated events (manifest), except forced deals (``deals.csv`` records
    them): the row of the firm they concern (its label), or the whole market."""
    if not has_manifest(run):
        return []
    start = pd.Timestamp(run.dates().iloc[0])
    out = []
    for event in run.manifest["scenario"].get("events") or []:
        kind = str(event["type"])
        if kind == "forced_deal":
            continue
        date = event_date(event["month"], start)
        months = event.get("months")
        end = date + pd.DateOffset(months=int(months)) if months else None
        firm = event.get("firm")
        row = labels.label(str(firm)) if firm else MARKET_ROW
        if kind == "turmoil":
            text = f"turmoil ×{event.get('search_multiplier', '')}"
        elif kind in ("funding_climate", "gpu_supply_shock"):
            text = f"{kind.split('_')[0]} ×{event.get('multiplier', '')}"
        elif kind == "policy_change":
            who = "" if firm else f"all {event.get('kind')} firms: "
            text = f"{who}{_settings(event.get('policy'))}"
        elif kind == "amenity_change":
            text = f"amenities: {_settings(event.get('amenities'))}"
        else:
            text = kind.replace("_", " ")
        out.append(DatedEvent(date, end, row, text.replace("$", r"\$"), kind))
    return out


class LabelSlots:
    """Lines for the labels of a timeline's rows: a label goes on the first line of its row
    where it overlaps no label placed before (width estimated from its length)."""

    def __init__(self, days_per_point: float, points_per_char: float = 3.8) -> None:
        self.days_per_point = days_per_point
        self.points_per_char = points_per_char
        self.taken: dict[tuple[str, int], list[tuple[pd.Timestamp, pd.Timestamp]]] = {}

    def place(self, row: str, date: pd.Timestamp, text: str) -> int:
        """The line (0: next to the marker) for ``text`` drawn from ``date`` on ``row``."""
        longest = max((len(line) for line in text.splitlines()), default=0)
        days = (longest * self.points_per_char + 8) * self.days_per_point
        span = (date, date + pd.Timedelta(days=days))
        level = 0
        while any(span[0] < end and start < span[1]
                  for start, end in self.taken.get((row, level), [])):
            level += 1
        self.taken.setdefault((row, level), []).append(span)
        return level


EVENT_MARKERS = {"policy_change": "^", "amenity_change": "D"}
FORM_MARKERS = {"acquisition": "o", "license_and_hire": "s"}


def plot_timeline(run: RunFolder) -> plt.Figure:
    """Deals (``deals.csv``) and the scenario's other dated events (manifest) on one time
    axis, one row per named firm (the generated firms together) and one for the whole
    market. A deal is a line from its target to its buyer, the buyer's marker sized by the
    engineers moved and labelled with the price; filled: a dated deal of the scenario,
    hollow: the model's own; red cross: blocked."""
    labels = firm_labels(run)
    deals = run.deals
    events = scenario_events(run, labels)
    names = set(run.firms[col.FIRM].astype(str))
    if not deals.empty:
        names |= set(deals[col.DEAL_BUYER].astype(str)) | set(deals[col.DEAL_TARGET].astype(str))
    rows = [MARKET_ROW, *labels.order(names)]
    rows += [r for r in dict.fromkeys(e.row for e in events) if r not in rows]
    y = {row: k for k, row in enumerate(rows)}
    first, last = run.dates().iloc[0], run.dates().iloc[-1]
    fig, axes = figure(1, 1, (13, 0.38 * len(rows) + 2.2))
    ax = axes[0, 0]
    # Labels that would overlap on a row are moved up a line.
    slots = LabelSlots(max((last - first).days, 30) / (9.5 * 72))
    for event in events:
        if event.date > last or (event.end or event.date) < first:
            continue
        level = slots.place(event.row, event.date, event.text)
        colour = labels.colours.get(event.row, "black")
        if event.end is not None:
            ax.plot([event.date, min(event.end, last)], [y[event.row]] * 2, lw=6,
                    alpha=0.35, color=colour, solid_capstyle="butt")
        else:
            ax.scatter(event.date, y[event.row], marker=EVENT_MARKERS.get(event.type, "|"),
                       color=colour, s=40, zorder=3)
        ax.annotate(event.text, (event.date, y[event.row]), fontsize=6.5,
                    xytext=(3, 5 + 8 * level), textcoords="offset points", color="#333333")
    if not deals.empty:
        dates = pd.to_datetime(deals[col.DATE], format="%Y-%m")
        origin = (deals[col.DEAL_ORIGIN].astype(str) if col.DEAL_ORIGIN in deals.columns
                  else pd.Series("model", index=deals.index))
        moved = pd.to_numeric(deals[col.DEAL_ENGINEERS_MOVED], errors="coerce").fillna(0)
        for idx in deals.index:
            buyer = labels.label(str(deals.loc[idx, col.DEAL_BUYER]))
            target = labels.label(str(deals.loc[idx, col.DEAL_TARGET]))
            colour = labels.colours[buyer]
            blocked = bool(deals.loc[idx, col.DEAL_BLOCKED])
            date = dates[idx]
            ax.plot([date, date], [y[target], y[buyer]], color=colour, lw=1,
                    ls=":" if blocked else "-")
            marker = FORM_MARKERS.get(str(deals.loc[idx, col.DEAL_FORM]), "o")
            filled = origin[idx] == "scheduled"
            size = 30 + 6 * float(moved[idx])
            ax.scatter(date, y[buyer], s=size, marker=marker,
                       facecolors=colour if filled else "white", edgecolors=colour,
                       linewidths=1.2, zorder=4)
            ax.scatter(date, y[target], s=14, marker=marker, color=colour, zorder=4)
            if blocked:
                ax.scatter(date, y[buyer], marker="x", color="red", s=60, zorder=5)
            price = (float(pd.to_numeric(deals[col.DEAL_PRICE], errors="coerce")[idx])
                     if col.DEAL_PRICE in deals.columns else math.nan)
            text = f"{int(moved[idx])} eng."
            if math.isfinite(price):
                text = f"{money_text(price)}, {text}"
            level = slots.place(buyer, date, text)
            ax.annotate(text, (date, y[buyer]), fontsize=6.5,
                        xytext=(math.sqrt(size) / 2 + 2, 4 + 8 * level),
                        textcoords="offset points", color=colour)
    elif not events:
        no_data(ax, "no deals and no dated events in this run")
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    for tick in ax.get_yticklabels():
        tick.set_color(labels.colours.get(tick.get_text(), "black"))
    ax.set_ylim(len(rows) - 0.4, -0.8)
    ax.set_xlim(first - pd.DateOffset(days=15), last + pd.DateOffset(days=15))
    ax.grid(axis="y", color="#eeeeee")
    date_axis(ax)
    ax.set_title("Timeline: deals and dated events by firm")
    ax.set_xlabel("month")
    grey = "#555555"
    handles = [
        Line2D([], [], ls="", marker="o", color=grey, label="acquisition (buyer's row)"),
        Line2D([], [], ls="", marker="s", color=grey, label="license-and-hire"),
        Line2D([], [], ls="", marker="o", mfc="white", color=grey,
               label="the model's own deal (hollow)"),
        Line2D([], [], ls="", marker="o", color=grey, ms=4, label="target (small marker)"),
        Line2D([], [], ls="", marker="x", color="red", label="blocked (dotted line)"),
        Line2D([], [], lw=6, alpha=0.35, color=grey, label="turmoil, funding or GPU "
               "climate (its months)"),
        Line2D([], [], ls="", marker="^", color=grey, label="policy change"),
        Line2D([], [], ls="", marker="D", color=grey, label="amenity change"),
    ]
    legend_outside(fig, title="marker size: engineers moved;\ncolour: the buyer or the firm",
                   handles=handles, labels=[str(h.get_label()) for h in handles])
    return fig


def plot_rates(run: RunFolder) -> plt.Figure:
    """Unemployment and job-to-job rates over time."""
    market = run.market
    dates = run.dates()
    fig, axes = figure(1, 1, (10, 4.5))
    ax = axes[0, 0]
    ax.plot(dates, 100 * market[col.UNEMPLOYMENT_RATE], label="unemployment rate")
    ax.plot(dates, 100 * market[col.JOB_TO_JOB_RATE],
            label="job-to-job moves (% of employed)")
    ax.set_title("Unemployment and job-to-job rates")
    ax.set_xlabel("month")
    ax.set_ylabel("% (monthly for moves)")
    date_axis(ax)
    legend_outside(fig, ax)
    return fig


def plot_deals(run: RunFolder) -> plt.Figure:
    """Deals over time: price per engineer moved, by form, in the buyer's colour; blocked
    deals marked."""
    labels = firm_labels(run)
    deals = run.deals
    fig, axes = figure(1, 1, (10, 4.8))
    ax = axes[0, 0]
    if deals.empty:
        no_data(ax, "no deals in this run")
    else:
        dates = pd.to_datetime(deals[col.DATE], format="%Y-%m")
        done = ~deals[col.DEAL_BLOCKED].astype(bool)
        buyers = labels.labels(deals[col.DEAL_BUYER])
        targets = labels.labels(deals[col.DEAL_TARGET])
        for form, marker in FORM_MARKERS.items():
            mask = done & (deals[col.DEAL_FORM] == form)
            if not mask.any():
                continue
            ax.scatter(dates[mask], deals.loc[mask, col.DEAL_PRICE_PER_ENGINEER],
                       s=20 + 3 * deals.loc[mask, col.DEAL_ENGINEERS_MOVED], marker=marker,
                       color=[labels.colours[b] for b in buyers[mask]], alpha=0.8,
                       )
            for idx in deals.index[mask]:
                ax.annotate(f"{buyers[idx]} ← {targets[idx]}",
                            (dates[idx], deals.loc[idx, col.DEAL_PRICE_PER_ENGINEER]),
                            fontsize=6, xytext=(3, 3), textcoords="offset points",
                            color=labels.colours[buyers[idx]])
        if done.any():
            log_scale(ax, "y", deals.loc[done, col.DEAL_PRICE_PER_ENGINEER])
        blocked = deals[~done]
        if len(blocked):
            floor = (deals.loc[done, col.DEAL_PRICE_PER_ENGINEER].min() / 2 if done.any()
                     else 1e6)
            ax.scatter(pd.to_datetime(blocked[col.DATE], format="%Y-%m"),
                       np.full(len(blocked), floor), marker="x", color="red",
                       label=f"blocked ({len(blocked)}), drawn at the bottom")
    ax.set_title("Deals: price per engineer moved (colour: the buyer)")
    ax.set_xlabel("month")
    ax.set_ylabel("price per engineer moved ($, log scale)")
    money_axis(ax)
    date_axis(ax)
    grey = "#555555"
    handles = [Line2D([], [], ls="", marker=m, color=grey, label=f"{f.replace('_', '-')}")
               for f, m in FORM_MARKERS.items()]
    if not deals.empty and deals[col.DEAL_BLOCKED].astype(bool).any():
        handles.append(Line2D([], [], ls="", marker="x", color="red",
                              label="blocked, drawn at the bottom"))
    legend_outside(fig, title="form (size: engineers moved)", handles=handles,
                   labels=[str(h.get_label()) for h in handles])
    return fig


def plot_counter_offers(run: RunFolder) -> plt.Figure:
    """Counter-offers made and accepted, by the employer's counter-offer policy."""
    firms = run.firms
    fig, axes = figure(1, 1, (9, 4.8))
    ax = axes[0, 0]
    grouped = firms.groupby(col.COUNTER_OFFER_POLICY)[
        [col.COUNTER_OFFERS, col.COUNTER_OFFERS_ACCEPTED, col.QUITS, col.RETENTION_CALLS,
         col.RETENTION_KEPT]].sum()
    grouped = grouped.reindex([p for p in ("never", "match", "beat") if p in grouped.index])
    x = np.arange(len(grouped))
    width = 0.2
    for k, (column, label) in enumerate((
        (col.COUNTER_OFFERS, "counter-offers made"),
        (col.COUNTER_OFFERS_ACCEPTED, "counter-offers accepted (engineer stayed)"),
        (col.QUITS, "engineers poached (job-to-job quits)"),
        (col.RETENTION_KEPT, "kept after a retention call"),
    )):
        ax.bar(x + (k - 1.5) * width, grouped[column], width, label=label)
    policy = firms[col.COUNTER_OFFER_POLICY]
    ax.set_xticks(x, [f"{p}\n(firm-months: {int((policy == p).sum())})" for p in grouped.index])
    ax.set_title("Counter-offer outcomes by the employer's policy (whole run)")
    ax.set_xlabel("counter-offer policy")
    ax.set_ylabel("engineers")
    legend_outside(fig, ax)
    return fig


def plot_pay_index(run: RunFolder) -> plt.Figure:
    """AI against non-AI pay (index, month 0 = 100), with layoffs on the same time axis."""
    market = run.market
    dates = run.dates()
    fig, axes = figure(2, 1, (11, 6.5), sharex=True, height_ratios=[3, 2])
    top, bottom = axes[0, 0], axes[1, 0]
    top.plot(dates, market[col.AI_PAY_INDEX], label="AI engineers (median pay)")
    top.plot(dates, market[col.NON_AI_PAY_INDEX], label="non-AI engineers (median pay)")
    top.axhline(100, color="grey", lw=0.8, ls=":")
    top.set_title("Pay of AI and non-AI engineers, and layoffs")
    top.set_ylabel("pay index (month 0 = 100)")
    axes_legend_outside(top)
    layoffs = per_tier(col.LAYOFFS, "")
    columns = [c for c in market.columns if c.startswith(layoffs)]
    bottom_stack = np.zeros(len(market))
    for column in columns:
        bottom.bar(dates, market[column], width=20, bottom=bottom_stack,
                   label=column.removeprefix(layoffs))
        bottom_stack = bottom_stack + market[column].to_numpy()
    bottom.set_xlabel("month")
    bottom.set_ylabel("layoffs (engineers a month)")
    date_axis(bottom)
    axes_legend_outside(bottom, title="tier")
    return fig


def plot_cash_gpus(run: RunFolder) -> plt.Figure:
    """Cash and GPU stock of every named firm and of the generated firms together (their
    sum), over time; the GPU threshold (per firm) on the GPU panel."""
    labels = firm_labels(run)
    dates = month_dates(run)
    fig, axes = figure(1, 2, (13, 5), sharex=True)
    for ax, column, scale, label in (
        (axes[0, 0], col.CASH, 1e9, "cash ($ billion, symmetric log scale)"),
        (axes[0, 1], col.GPUS, 1e3, "GPU stock (thousand H100, symmetric log scale)"),
    ):
        table = by_label(run, labels, column) / scale
        for name in table.columns:
            _line(ax, table.index.map(dates), table[name], name, labels)
        ax.set_yscale("symlog", linthresh=0.01)
        date_axis(ax)
        ax.set_xlabel("month")
        ax.set_ylabel(label)
    threshold = run.gpu_threshold
    if threshold:
        axes[0, 1].axhline(threshold / 1e3, color="grey", ls=":",
                           label=f"GPU threshold, per firm ({threshold:,.0f})")
    axes[0, 0].set_title("Cash by firm")
    axes[0, 1].set_title("GPUs by firm")
    handles, texts = axes[0, 1].get_legend_handles_labels()
    legend_outside(fig, title=labels.note, handles=handles, labels=texts)
    return fig


RUN_PLOTS: dict[str, Callable[[RunFolder], plt.Figure]] = {
    "headcount": plot_headcount,
    "pay_by_tier": plot_pay,
    "gpu_vs_top_share": plot_gpu_share,
    "moves_matrix": plot_moves,
    "pay_by_firm": plot_pay_by_firm,
    "top_share_by_firm": plot_top_share_by_firm,
    "timeline": plot_timeline,
    "rates": plot_rates,
    "deals": plot_deals,
    "counter_offers": plot_counter_offers,
    "pay_index_layoffs": plot_pay_index,
    "cash_gpus": plot_cash_gpus,
}


def check_plottable(run: RunFolder) -> None:
    """Read and check every file the plots read, with the columns they use, and the parts
    of the manifest's scenario they draw (:func:`check_scenario_parts`).

    Raises
    ------
    UserError
        Naming the first damaged file and what is wrong.
    """
    run.check(MARKET, FIRMS, FLOWS, DEALS)
    run.engineer_columns(PAY_PLOT_COLUMNS, PAY_PLOT)
    tiers = run.tiers
    run.require(MARKET, [col.JOB_TO_JOB_RATE, col.AI_PAY_INDEX, col.NON_AI_PAY_INDEX,
                         *(pay_column(s, t) for t in tiers for s in ("median", "p90"))],
                "the plots of pay and rates")
    run.require(FIRMS, [col.CASH, *(per_tier(col.HEADCOUNT, t) for t in tiers),
                        col.COUNTER_OFFER_POLICY, col.COUNTER_OFFERS,
                        col.COUNTER_OFFERS_ACCEPTED, col.QUITS, col.RETENTION_CALLS,
                        col.RETENTION_KEPT],
                "the plots of firms")
    run.require(DEALS, [col.DATE, col.DEAL_BLOCKED, col.DEAL_FORM, col.DEAL_PRICE_PER_ENGINEER,
                        col.DEAL_ENGINEERS_MOVED, col.DEAL_BUYER, col.DEAL_TARGET],
                "the plots of deals")
    if has_manifest(run):
        check_scenario_parts(run.manifest["scenario"], run.dir / MANIFEST)


def check_scenario_parts(scenario: dict[str, object], path: Path) -> None:
    """Check the parts of a manifest's scenario that plots draw: ``firms`` (an object
    keyed by firm names) and ``events`` (an array of objects, each with a ``type``, a
    ``month`` (a model month >= 0 or YYYY-MM), names as ``firm``, ``buyer``, ``target``
    or ``kind``, and a whole ``months`` >= 1 where given).

    Raises
    ------
    UserError
        Naming ``path``, the key and what is wrong.
    """
    firms = scenario.get("firms", {})
    if not isinstance(firms, dict) or any(NAME.match(str(k)) is None for k in firms):
        raise UserError(f"{path}: scenario.firms: expected an object keyed by firm names")
    events = scenario.get("events", [])
    if not isinstance(events, list):
        raise UserError(f"{path}: scenario.events: expected an array")
    for k, event in enumerate(events):
        where = f"{path}: scenario.events[{k}]"
        if not isinstance(event, dict) or not isinstance(event.get("type"), str) \
                or NAME.match(event["type"]) is None:
            raise UserError(f"{where}: expected an object with a type (a name)")
        month = event.get("month")
        if not ((isinstance(month, int) and not isinstance(month, bool) and month >= 0)
                or (isinstance(month, str) and MONTH_DATE.match(month))):
            raise UserError(f"{where}.month: expected a model month >= 0 or YYYY-MM, "
                            f"got {month!r:.40}")
        for key in ("firm", "buyer", "target", "kind"):
            value = event.get(key)
            if value is not None and not (isinstance(value, str) and NAME.match(value)):
                raise UserError(f"{where}.{key}: expected a name, got {value!r:.40}")
        months = event.get("months")
        if months is not None and not (isinstance(months, int) and not isinstance(months, bool)
                                       and 1 <= months <= 100_000):
            raise UserError(f"{where}.months: expected a whole number from 1 to 100000, "
                            f"got {months!r:.40}")


def _draw_some(run: RunFolder, names: list[str], folder: Path) -> None:
    """Draw the named plots of ``run`` into ``folder``; stop if the command is gone (in a
    drawing process whose command was killed)."""
    parent = os.getppid()
    for name in names:
        if os.getppid() != parent:
            break
        save(RUN_PLOTS[name](run), folder / f"{name}.png")


def plot_run(run_dir: Path, workers: int | None = None) -> list[Path]:
    """Draw every plot of a run folder as PNG files in it; return their paths.

    Every file the plots read is checked first (:func:`check_plottable`). The plots are
    drawn into ``.plots.incomplete-<pid>`` inside the folder, by up to ``workers``
    processes (default: 2, or 1 on a single CPU), and moved into the folder when all are
    drawn; the result does not depend on the number of workers. Such hidden folders left
    by a killed command are removed first.

    Raises
    ------
    UserError
        If the folder is not a run folder, a file the plots read is damaged, or a plot
        cannot be written (nothing is written then).
    """
    run = RunFolder.open(run_dir)
    check_plottable(run)
    names = list(RUN_PLOTS)
    for name in names:
        target = run.dir / f"{name}.png"
        if target.exists() and not target.is_file():
            raise UserError(f"{target}: not a file; cannot draw the plot there")
    for path in remove_leftovers(run.dir):
        log.info("removed %s, left by an interrupted command", path)
    workers = min(workers or 2, os.cpu_count() or 1, len(names))
    with atomic_files(run.dir, run.dir / f"{PLOTS_STAGE}.incomplete-{os.getpid()}") as stage:
        chunks = [names[k::workers] for k in range(workers)]
        forked_each(lambda chunk: _draw_some(run, chunk, stage), chunks, workers)
    return [run.dir / f"{name}.png" for name in names]
