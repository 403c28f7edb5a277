"""Drawing a run's plots while the run is written, from a process forked before it runs.

``talentwar run`` forks a drawing process (:class:`sim.output.pool.EarlyProcess`) before
the model is built: it loads matplotlib and the plotting modules (:mod:`sim.output.plots`)
while the model runs, on the CPU the model leaves free, and never holds the model's
memory. Once the run's smaller tables and first manifest are written, it reads them and
has the plots drawn (:func:`sim.output.plots.draw_run`) by :data:`DRAWING_PROCESSES`
processes it forks (they share what it loaded and read; it waits for them), each taking
the next plot when free, the costliest first (:data:`RUN_PLOTS_BY_COST`), while the
command writes the engineer table. The one plot that reads the engineer table, the plot of
pay, is given the columns it reads (:data:`PAY_PLOT_COLUMNS`) from the model's memory:
the very values the table holds (a float's text in the table reads back as the same
number), without waiting for the table to be written and read back. The figures are drawn
into a hidden folder (:data:`PLOTS_STAGE`) and moved into the run folder as a set when all
are drawn; they are the figures ``talentwar plot`` draws from the folder's files.

This module does not import matplotlib: the command that forks the process stays small and
quick to start.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from sim.files import atomic_files
from sim.output.formats import ENGINEER_PAY, ENGINEER_TIER
from sim.output.pool import EarlyProcess, early_process

PLOTS_STAGE = ".plots"
"""The hidden folder (``.plots.incomplete-<pid>``) in which a run's plots are drawn."""

DRAWING_PROCESSES = 2
"""How many processes draw a run's plots when not told (fewer on a machine with fewer
CPUs)."""

RUN_PLOTS_BY_COST: tuple[str, ...] = (
    "moves_matrix", "timeline", "pay_by_firm", "headcount", "pay_by_tier", "gpu_vs_top_share",
    "cash_gpus", "top_share_by_firm", "pay_index_layoffs", "deals", "counter_offers", "rates")
"""The plots of a run (``<name>.png``; their functions are
:data:`sim.output.plots.RUN_PLOTS`), the costliest to draw first, as
``benchmarks/bench_plots.py`` times them on the flagship: the order in which drawing
processes that each take the next one when free are given them, so that none is left
with a long plot at the end."""

PAY_PLOT_NAME = "pay_by_tier"
"""The plot of pay: the one plot that reads the final engineer table (the others read the
smaller tables and the manifest)."""

PAY_PLOT_COLUMNS = (ENGINEER_PAY, ENGINEER_TIER)
"""The columns of the engineer table the plot of pay reads (only these are read)."""

DRAW = "sim.output.plots:draw_run"
"""The function the drawing process calls (in a module it imports while the model runs)."""


def drawing_process() -> EarlyProcess | None:
    """The process that will draw a run's plots, forked as its ``with`` block begins
    (before the model is built); it imports the plotting modules at once. None where this
    process may not fork
    (:func:`sim.output.pool.may_fork`: a system that cannot, or a worker of a sweep): the
    plots are then drawn in this process once the run is written."""
    return early_process(prepare=DRAW.partition(":")[0])


@contextmanager
def plots_drawn(drawer: EarlyProcess, run_dir: Path,
                pay_columns: pd.DataFrame | None) -> Iterator[None]:
    """Have ``drawer`` draw every plot of ``run_dir`` (the plot of pay from
    ``pay_columns``, the engineer table's :data:`PAY_PLOT_COLUMNS`, or None if the run
    writes no engineer table), then run the block; when it completes, wait until every
    plot is drawn and move them into ``run_dir`` as a set. If the block or a plot fails,
    or the command is interrupted, the drawing processes are ended first (none then
    writes into the hidden folder as it is removed) and ``run_dir`` gets no plot.

    The tables and manifest the plots read must be written before: all but the engineer
    table, which the block may write meanwhile.
    """
    stage = run_dir / f"{PLOTS_STAGE}.incomplete-{os.getpid()}"
    workers = min(DRAWING_PROCESSES, os.cpu_count() or 1)
    with atomic_files(run_dir, stage) as out:
        try:
            drawer.start(DRAW, str(run_dir), str(out), pay_columns, workers)
            del pay_columns  # the process has them: this one need not hold them
            yield
            drawer.wait()
        except BaseException:
            drawer.stop()
            raise
