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

import os
from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt

from sim import columns as col
from sim.columns import pay_column, per_tier
from sim.errors import UserError, log
from sim.files import atomic_files
from sim.output.charts import has_manifest
from sim.output.firm_plots import (
    plot_cash_gpus,
    plot_gpu_share,
    plot_headcount,
    plot_moves,
    plot_pay_by_firm,
    plot_top_share_by_firm,
)
from sim.output.formats import DEALS, FIRMS, FLOWS, MARKET
from sim.output.manifest import MANIFEST, check_scenario_parts
from sim.output.market_plots import (
    PAY_PLOT,
    PAY_PLOT_COLUMNS,
    plot_counter_offers,
    plot_deals,
    plot_pay,
    plot_pay_index,
    plot_rates,
)
from sim.output.plotkit import save
from sim.output.pool import forked_each
from sim.output.rundir import RunFolder, remove_leftovers
from sim.output.timeline_plot import plot_timeline

PLOTS_STAGE = ".plots"
"""The hidden folder (``.plots.incomplete-<pid>``) in which a run's plots are drawn."""

DRAWING_PROCESSES = 2
"""How many processes :func:`plot_run` draws a run's plots in when not told (fewer on a
machine with fewer CPUs)."""


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
    run.require(DEALS, [col.MONTH, col.DATE, col.DEAL_PRICE, col.DEAL_BLOCKED, col.DEAL_FORM,
                        col.DEAL_PRICE_PER_ENGINEER, col.DEAL_ENGINEERS_MOVED, col.DEAL_BUYER,
                        col.DEAL_TARGET],
                "the plots of deals")
    if has_manifest(run):
        check_scenario_parts(run.manifest["scenario"], run.dir / MANIFEST)


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
    processes (default: :data:`DRAWING_PROCESSES`; at most one per CPU), and moved into the
    folder when all are drawn; the result does not depend on the number of workers. Such
    hidden folders left by a killed command are removed first.

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
    workers = min(workers or DRAWING_PROCESSES, os.cpu_count() or 1, len(names))
    with atomic_files(run.dir, run.dir / f"{PLOTS_STAGE}.incomplete-{os.getpid()}") as stage:
        chunks = [names[k::workers] for k in range(workers)]
        forked_each(lambda chunk: _draw_some(run, chunk, stage), chunks, workers)
    return [run.dir / f"{name}.png" for name in names]
