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
import pandas as pd

from sim import columns as col
from sim.columns import pay_column, per_tier
from sim.errors import UserError, log
from sim.files import atomic_files
from sim.output.charts import has_manifest
from sim.output.drawing import DRAWING_PROCESSES, PLOTS_STAGE, RUN_PLOTS_BY_COST
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

RUN_PLOTS: dict[str, Callable[[RunFolder], plt.Figure]] = {  # in a report's order
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


def _draw(run: RunFolder, name: str, folder: Path, command: int) -> None:
    """Draw the plot ``name`` of ``run`` into ``folder``, unless the command (pid
    ``command``) is gone (in a drawing process whose command was killed)."""
    if os.getppid() == command or os.getpid() == command:
        save(RUN_PLOTS[name](run), folder / f"{name}.png")


def draw_run(run_dir: str, folder: str, pay_columns: pd.DataFrame | None,
             workers: int) -> None:
    """Draw every plot of the run folder ``run_dir`` into ``folder``, in ``workers``
    processes forked from this one (:func:`forked_each`; in this one if ``workers`` is 1
    or it may not fork): what the drawing process of ``talentwar run`` does
    (:mod:`sim.output.drawing`) once the run's tables but the engineer table are written.
    The plot of pay reads ``pay_columns`` (the engineer table's
    :data:`PAY_PLOT_COLUMNS`; None: the run writes no engineer table) instead of the
    table, which is being written meanwhile. The tables are read (and checked) here,
    before the forking, so that every drawing process shares them."""
    run = RunFolder.open(run_dir)
    run.check(MARKET, FIRMS, FLOWS, DEALS)
    run.hold_engineer_columns(PAY_PLOT_COLUMNS, pay_columns if pay_columns is not None
                              else pd.DataFrame(columns=list(PAY_PLOT_COLUMNS)))
    command = os.getpid()
    forked_each(lambda name: _draw(run, name, Path(folder), command), _by_cost(), workers)


def _by_cost() -> list[str]:
    """The names of :data:`RUN_PLOTS`, in the order of :data:`RUN_PLOTS_BY_COST` (any
    not there last)."""
    names = [name for name in RUN_PLOTS_BY_COST if name in RUN_PLOTS]
    return names + [name for name in RUN_PLOTS if name not in names]


def plot_run(run_dir: Path, workers: int | None = None) -> list[Path]:
    """Draw every plot of a run folder as PNG files in it; return their paths.

    Every file the plots read is checked first (:func:`check_plottable`). The plots are
    drawn into ``.plots.incomplete-<pid>`` inside the folder, by up to ``workers``
    processes (default: :data:`DRAWING_PROCESSES`; at most one per CPU), each taking the
    next plot when free, the costliest first (:data:`RUN_PLOTS_BY_COST`), and moved into
    the folder when all are drawn; the result does not depend on the number of workers. Such
    hidden folders left by a killed command are removed first.

    Raises
    ------
    UserError
        If the folder is not a run folder, a file the plots read is damaged, or a plot
        cannot be written (nothing is written then).
    """
    run = RunFolder.open(run_dir)
    check_plottable(run)
    names = _by_cost()
    for name in names:
        target = run.dir / f"{name}.png"
        if target.exists() and not target.is_file():
            raise UserError(f"{target}: not a file; cannot draw the plot there")
    for path in remove_leftovers(run.dir):
        log.info("removed %s, left by an interrupted command", path)
    workers = min(workers or DRAWING_PROCESSES, os.cpu_count() or 1, len(names))
    with atomic_files(run.dir, run.dir / f"{PLOTS_STAGE}.incomplete-{os.getpid()}") as stage:
        command = os.getpid()
        forked_each(lambda name: _draw(run, name, stage, command), names, workers)
    return [run.dir / f"{name}.png" for name in RUN_PLOTS]
