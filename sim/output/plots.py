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

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import cast

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap, LogNorm

from sim import columns as col
from sim.columns import pay_column, per_tier
from sim.errors import UserError
from sim.output.rundir import (
    DEALS,
    ENGINEER_PAY,
    ENGINEER_TIER,
    ENGINEERS_CSV,
    FIRMS,
    FLOWS,
    MARKET,
    RunFolder,
    atomic_files,
    remove_leftovers,
)

MAX_FIRMS_SHOWN = 12
MAX_MATRIX_PLACES = 25
# tab20 is a ListedColormap; the stubs type the plt.cm attributes as plain Colormap.
FIRM_COLOURS = cast(ListedColormap, plt.cm.tab20).colors
PLOTS_STAGE = ".plots"
"""The hidden folder (``.plots.incomplete-<pid>``) in which a run's plots are drawn."""


def save(fig: plt.Figure, path: Path) -> Path:
    """Save a figure as PNG by writing a temporary file and renaming it."""
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}.png")
    fig.savefig(tmp, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    tmp.replace(path)
    return path


def log_scale(ax: plt.Axes, axis: str, *values: object) -> None:
    """Put ``axis`` (``"x"`` or ``"y"``) of ``ax`` on a log scale if any of ``values`` is
    finite and positive; leave it linear otherwise (matplotlib cannot log-scale data that
    is all missing or <= 0, which a readable but damaged table can hold)."""
    arrays = [np.asarray(v, dtype=float).ravel() for v in values]
    data = np.concatenate(arrays) if arrays else np.array([])
    if np.any(np.isfinite(data) & (data > 0)):
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log")


def _largest_firms(firms: pd.DataFrame, column: str, n: int = MAX_FIRMS_SHOWN) -> list[str]:
    last = firms[firms[col.MONTH] == firms[col.MONTH].max()]
    return list(last.nlargest(n, column)[col.FIRM])


def plot_headcount(run: RunFolder) -> plt.Figure:
    """Headcount of the largest firms over time, all engineers and the top tier."""
    firms = run.firms
    dates = dict(zip(run.market[col.MONTH], run.dates(), strict=True))
    top = run.tiers[0]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharex=True)
    for ax, column, title in (
        (axes[0], col.HEADCOUNT, "All engineers"),
        (axes[1], per_tier(col.HEADCOUNT, top), f"Top tier ({top})"),
    ):
        ax.set_prop_cycle(color=FIRM_COLOURS)
        for name in _largest_firms(firms, column):
            series = firms[firms[col.FIRM] == name]
            ax.plot(series[col.MONTH].map(dates), series[column], label=name)
        ax.set_title(f"Headcount by firm: {title}")
        ax.set_xlabel("month")
        ax.set_ylabel("engineers employed")
        ax.legend(fontsize=7, ncol=2, title=f"largest {MAX_FIRMS_SHOWN} firms")
    fig.autofmt_xdate()
    return fig


def plot_pay(run: RunFolder) -> plt.Figure:
    """Pay by tier: the final distribution (histograms) and quantiles over time."""
    market, engineers = run.market, run.engineers
    dates = run.dates()
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    if not engineers.empty:
        employed = engineers[engineers[ENGINEER_PAY] > 0]
        low, high = employed[ENGINEER_PAY].min(), employed[ENGINEER_PAY].max()
        bins = np.geomspace(low * 0.95, high * 1.05, 60) if high > low else 20
        for tier in run.tiers:
            pay = employed.loc[employed[ENGINEER_TIER] == tier, ENGINEER_PAY]
            if len(pay):
                # Each tier's bars sum to 100%, so small tiers show as clearly as large ones.
                axes[0].hist(pay, bins=bins, alpha=0.55, weights=np.full(len(pay), 100 / len(pay)),
                             label=f"{tier} (n={len(pay):,})")
        log_scale(axes[0], "x", employed[ENGINEER_PAY])
        axes[0].set_title("Pay distribution by tier, final month (employed)")
        axes[0].set_xlabel("pay ($ a year, log scale)")
        axes[0].set_ylabel("share of the tier's engineers (% per bin)")
        axes[0].legend(fontsize=8)
    for tier, color in zip(run.tiers, plt.rcParams["axes.prop_cycle"].by_key()["color"],
                           strict=False):
        axes[1].plot(dates, market[pay_column("median", tier)], color=color,
                     label=f"{tier} median")
        axes[1].plot(dates, market[pay_column("p90", tier)], color=color, ls="--",
                     label=f"{tier} 90th pct.")
    log_scale(axes[1], "y", *(market[pay_column(s, t)] for t in run.tiers
                              for s in ("median", "p90")))
    axes[1].set_title("Pay by tier over time")
    axes[1].set_xlabel("month")
    axes[1].set_ylabel("pay ($ a year, log scale)")
    axes[1].legend(fontsize=7, ncol=2)
    fig.autofmt_xdate()
    return fig


def plot_gpu_share(run: RunFolder) -> plt.Figure:
    """GPU stock of each firm against its share of the top tier, in the final month."""
    firms = run.firms
    top = run.tiers[0]
    heads = per_tier(col.HEADCOUNT, top)
    last = firms[firms[col.MONTH] == firms[col.MONTH].max()]
    total = last[heads].sum()
    share = 100 * last[heads] / total if total else last[heads] * 0
    gpus = last[col.GPUS].clip(lower=1)
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for kind, group in last.groupby(col.KIND):
        ax.scatter(gpus[group.index], share[group.index], label=kind, s=40, alpha=0.8)
    for idx in share.nlargest(10).index:
        ax.annotate(last.loc[idx, col.FIRM], (gpus[idx], share[idx]), fontsize=7,
                    xytext=(3, 3), textcoords="offset points")
    threshold = run.gpu_threshold
    if threshold:
        ax.axvline(threshold, color="grey", ls=":", label=f"GPU threshold ({threshold:,.0f})")
    log_scale(ax, "x", gpus)
    ax.set_title(f"GPU stock against share of top-tier engineers ({top}), final month")
    ax.set_xlabel("GPU stock (H100 equivalents, log scale; 0 shown as 1)")
    ax.set_ylabel(f"share of employed {top} (%)")
    ax.legend(fontsize=8, title="kind of firm")
    return fig


def plot_moves(run: RunFolder) -> plt.Figure:
    """Firm-to-firm moves over the whole run as a heat map (unemployment included)."""
    flows = run.flows
    fig, ax = plt.subplots(figsize=(9, 7.5))
    if flows.empty:
        ax.set_title("No moves")
        return fig
    totals = flows.groupby([col.FLOW_SOURCE, col.FLOW_DESTINATION])[col.FLOW_ENGINEERS].sum()
    volume = totals.groupby(level=0).sum().add(totals.groupby(level=1).sum(), fill_value=0)
    places = list(volume.drop(col.UNEMPLOYMENT_PLACE, errors="ignore")
                  .nlargest(MAX_MATRIX_PLACES - 2).index)
    keep = [col.UNEMPLOYMENT_PLACE, *places]
    label = {p: p for p in keep}
    other = "other firms"

    def name(place: str) -> str:
        return label.get(place, other)

    grouped = totals.rename(index=name).groupby(level=[0, 1]).sum()
    order = keep + ([other] if other in grouped.index.get_level_values(0).union(
        grouped.index.get_level_values(1)) else [])
    matrix = grouped.unstack(fill_value=0).reindex(index=order, columns=order, fill_value=0)
    data = matrix.to_numpy(dtype=float)
    shown = np.where(data > 0, data, np.nan)
    top = float(np.nanmax(shown)) if np.isfinite(shown).any() else 1.0
    image = ax.imshow(shown, norm=LogNorm(vmin=1, vmax=max(top, 1.0)), cmap="viridis")
    ax.set_xticks(range(len(order)), order, rotation=90, fontsize=7)
    ax.set_yticks(range(len(order)), order, fontsize=7)
    ax.set_xlabel("destination")
    ax.set_ylabel("source")
    ax.set_title("Moves between firms over the run (engineers, log colour scale)")
    fig.colorbar(image, ax=ax, label="engineers moved")
    return fig


def plot_rates(run: RunFolder) -> plt.Figure:
    """Unemployment and job-to-job rates over time."""
    market = run.market
    dates = run.dates()
    fig, ax = plt.subplots(figsize=(10, 4.5))
    ax.plot(dates, 100 * market[col.UNEMPLOYMENT_RATE], label="unemployment rate")
    ax.plot(dates, 100 * market[col.JOB_TO_JOB_RATE],
            label="job-to-job moves (% of employed)")
    ax.set_title("Unemployment and job-to-job rates")
    ax.set_xlabel("month")
    ax.set_ylabel("% (monthly for moves)")
    ax.legend()
    fig.autofmt_xdate()
    return fig


def plot_deals(run: RunFolder) -> plt.Figure:
    """Deals over time: price per engineer moved, by form; blocked deals marked."""
    deals = run.deals
    fig, ax = plt.subplots(figsize=(10, 4.8))
    if deals.empty:
        ax.text(0.5, 0.5, "no deals in this run", ha="center", va="center",
                transform=ax.transAxes)
    else:
        dates = pd.to_datetime(deals[col.DATE], format="%Y-%m")
        done = ~deals[col.DEAL_BLOCKED].astype(bool)
        for form, marker in (("acquisition", "o"), ("license_and_hire", "s")):
            mask = done & (deals[col.DEAL_FORM] == form)
            ax.scatter(dates[mask], deals.loc[mask, col.DEAL_PRICE_PER_ENGINEER] / 1e6,
                       s=20 + 3 * deals.loc[mask, col.DEAL_ENGINEERS_MOVED], marker=marker,
                       label=f"{form.replace('_', '-')} (size: engineers moved)", alpha=0.7)
            for idx in deals.index[mask]:
                ax.annotate(f"{deals.loc[idx, col.DEAL_BUYER]}-{deals.loc[idx, col.DEAL_TARGET]}",
                            (dates[idx], deals.loc[idx, col.DEAL_PRICE_PER_ENGINEER] / 1e6),
                            fontsize=6, xytext=(3, 3), textcoords="offset points")
        if done.any():
            log_scale(ax, "y", deals.loc[done, col.DEAL_PRICE_PER_ENGINEER])
        blocked = deals[~done]
        if len(blocked):
            floor = (deals.loc[done, col.DEAL_PRICE_PER_ENGINEER].min() / 2 if done.any()
                     else 1e6)
            ax.scatter(pd.to_datetime(blocked[col.DATE], format="%Y-%m"),
                       np.full(len(blocked), floor / 1e6), marker="x", color="red",
                       label=f"blocked ({len(blocked)}), drawn at the bottom")
    ax.set_title("Deals: price per engineer moved")
    ax.set_xlabel("month")
    ax.set_ylabel("price per engineer moved ($ million, log scale)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    fig.autofmt_xdate()
    return fig


def plot_counter_offers(run: RunFolder) -> plt.Figure:
    """Counter-offers made and accepted, by the employer's counter-offer policy."""
    firms = run.firms
    fig, ax = plt.subplots(figsize=(8, 4.8))
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
    ax.legend(fontsize=8)
    return fig


def plot_pay_index(run: RunFolder) -> plt.Figure:
    """AI against non-AI pay (index, month 0 = 100), with layoffs on the same time axis."""
    market = run.market
    dates = run.dates()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 2]})
    top.plot(dates, market[col.AI_PAY_INDEX], label="AI engineers (median pay)")
    top.plot(dates, market[col.NON_AI_PAY_INDEX], label="non-AI engineers (median pay)")
    top.axhline(100, color="grey", lw=0.8, ls=":")
    top.set_title("Pay of AI and non-AI engineers, and layoffs")
    top.set_ylabel("pay index (month 0 = 100)")
    top.legend()
    layoffs = per_tier(col.LAYOFFS, "")
    columns = [c for c in market.columns if c.startswith(layoffs)]
    bottom_stack = np.zeros(len(market))
    for column in columns:
        bottom.bar(dates, market[column], width=20, bottom=bottom_stack,
                   label=column.removeprefix(layoffs))
        bottom_stack = bottom_stack + market[column].to_numpy()
    bottom.set_xlabel("month")
    bottom.set_ylabel("layoffs (engineers a month)")
    bottom.legend(fontsize=8, title="tier")
    fig.autofmt_xdate()
    return fig


def plot_cash_gpus(run: RunFolder) -> plt.Figure:
    """Cash and GPU stock of the largest firms over time."""
    firms = run.firms
    dates = dict(zip(run.market[col.MONTH], run.dates(), strict=True))
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharex=True)
    for ax, column, scale, label in (
        (axes[0], col.CASH, 1e9, "cash ($ billion, log scale)"),
        (axes[1], col.GPUS, 1e3, "GPU stock (thousand H100, log scale)"),
    ):
        first = firms[firms[col.MONTH] == 0]
        ax.set_prop_cycle(color=FIRM_COLOURS)
        for name in list(first.nlargest(MAX_FIRMS_SHOWN, column)[col.FIRM]):
            series = firms[firms[col.FIRM] == name]
            ax.plot(series["month"].map(dates), series[column] / scale, label=name)
        ax.set_yscale("symlog", linthresh=0.01)
        ax.set_xlabel("month")
        ax.set_ylabel(label)
        ax.legend(fontsize=7, ncol=2)
    axes[0].set_title("Cash by firm")
    axes[1].set_title("GPUs by firm")
    fig.autofmt_xdate()
    return fig


RUN_PLOTS: dict[str, Callable[[RunFolder], plt.Figure]] = {
    "headcount": plot_headcount,
    "pay_by_tier": plot_pay,
    "gpu_vs_top_share": plot_gpu_share,
    "moves_matrix": plot_moves,
    "rates": plot_rates,
    "deals": plot_deals,
    "counter_offers": plot_counter_offers,
    "pay_index_layoffs": plot_pay_index,
    "cash_gpus": plot_cash_gpus,
}


def check_plottable(run: RunFolder) -> None:
    """Read and check every file the plots read, with the columns they use.

    Raises
    ------
    UserError
        Naming the first damaged file and what is wrong.
    """
    run.check(MARKET, FIRMS, FLOWS, DEALS, ENGINEERS_CSV)
    tiers = run.tiers
    run.require(MARKET, [col.JOB_TO_JOB_RATE, col.AI_PAY_INDEX, col.NON_AI_PAY_INDEX,
                         *(pay_column(s, t) for t in tiers for s in ("median", "p90"))],
                "the plots of pay and rates")
    run.require(FIRMS, [col.CASH, per_tier(col.HEADCOUNT, tiers[0]), col.COUNTER_OFFER_POLICY,
                        col.COUNTER_OFFERS, col.COUNTER_OFFERS_ACCEPTED, col.QUITS,
                        col.RETENTION_CALLS, col.RETENTION_KEPT],
                "the plots of firms")
    run.require(DEALS, [col.DATE, col.DEAL_BLOCKED, col.DEAL_FORM, col.DEAL_PRICE_PER_ENGINEER,
                        col.DEAL_ENGINEERS_MOVED, col.DEAL_BUYER, col.DEAL_TARGET],
                "the plot of deals")
    run.require(ENGINEERS_CSV, [ENGINEER_PAY, ENGINEER_TIER], "the plot of pay")


_RUN: RunFolder | None = None
"""The run being drawn: read and checked before the drawing processes are forked."""


def _draw_some(names: list[str], folder: Path) -> list[str]:
    """Draw the named plots of :data:`_RUN` into ``folder`` (in a drawing process)."""
    if _RUN is None:
        raise RuntimeError("no run to draw")
    parent = os.getppid()
    for name in names:
        if os.getppid() != parent:  # the command is gone: stop drawing
            break
        save(RUN_PLOTS[name](_RUN), folder / f"{name}.png")
    return names


def _draw_chunk(task: tuple[list[str], Path]) -> list[str]:
    """:func:`_draw_some` of one ``(names, folder)`` task."""
    return _draw_some(*task)


def _drawing_process() -> None:
    """Set up a drawing process: Ctrl-C is the command's to handle (it then terminates
    this process), SIGTERM ends it, and it dies with the command even if that is killed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
        except (OSError, AttributeError):
            pass


def _draw(run: RunFolder, names: list[str], folder: Path, workers: int) -> None:
    """Draw ``names`` into ``folder`` in up to ``workers`` processes (forked, so they share
    the tables read); terminate them if anything goes wrong or the command is interrupted."""
    global _RUN
    _RUN = run
    try:
        if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            _draw_some(names, folder)
            return
        chunks = [names[k::workers] for k in range(workers)]
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_drawing_process)
        try:  # results as they come, so that a failure stops the others at once
            for _ in pool.imap_unordered(_draw_chunk, [(chunk, folder) for chunk in chunks]):
                pass
        except BaseException:
            pool.terminate()
            pool.join()
            raise
        pool.close()
        pool.join()
    finally:
        _RUN = None


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
        print(f"talentwar: removed {path}, left by an interrupted command", file=sys.stderr)
    workers = min(workers or 2, os.cpu_count() or 1, len(names))
    with atomic_files(run.dir, run.dir / f"{PLOTS_STAGE}.incomplete-{os.getpid()}") as stage:
        _draw(run, names, stage, workers)
    return [run.dir / f"{name}.png" for name in names]
