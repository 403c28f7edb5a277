"""Comparing finished runs: the same measures of several runs on shared axes.

``talentwar compare RUN_DIR RUN_DIR... [--out DIR]`` reads the result files of each run
(never a model), draws pay by tier, the top tier's share by firm over time (each firm in
one colour in every run), unemployment and the AI
pay ratio, and deals, layoffs and counter-offers when the runs record them, and prints a
table of the key measures at the end of the horizon with each run's difference from the
first run. The table is also written as ``differences.csv`` beside the plots (cells a
spreadsheet would run as a formula get a leading ``'``). Every run folder is checked before
anything is written, and the plots and the table are added to the output folder as a set:
all of them, or (after an error or an interruption) none.

Runs are labelled by scenario name and seed from their manifests; labels that would clash
get the run folder's name (and then a number) appended.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.artist import Artist

from sim import columns as col
from sim.columns import pay_column, per_tier
from sim.errors import UserError, log
from sim.files import atomic_files, free_name, stamp
from sim.output.charts import (
    TOP_SHARE_NOTE,
    RunTables,
    firm_labels,
    month_dates,
    named_in_runs,
    top_shares,
    union,
)
from sim.output.numbers import format_row, measure_kind
from sim.output.palette import GENERATED, OTHER_FIRMS, UNEMPLOYMENT_LABEL
from sim.output.plotkit import (
    date_axis,
    figure,
    legend_outside,
    log_scale,
    money_axis,
    save,
)
from sim.output.rundir import RunFolder, csv_cell, remove_leftovers

DIFFERENCES = "differences.csv"
DIFF_PREFIX = "Δ "

# Market columns recorded only by some versions of the model: summed over the run.
RUN_TOTALS: dict[str, str] = {
    col.DEALS: "deals (total over run)",
    col.DEALS_BLOCKED: "deals blocked (total over run)",
    col.LAYOFFS: "layoffs (total over run)",
    col.COUNTER_OFFERS: "counter-offers (total over run)",
    col.COUNTER_OFFERS_ACCEPTED: "counter-offers accepted (total over run)",
    col.TOP_HIRES_BELOW_THRESHOLD: "top-tier hires by firms below the GPU threshold (total "
                                   "over run)",
}


def default_compare_dir() -> Path:
    """``results/compare/<UTC timestamp>``: where ``compare`` (and ``report --compare``)
    write by default; ``-2``, ``-3``... added when the name is taken
    (:func:`sim.files.free_name`), so a comparison made in the same second as another
    does not write into its folder."""
    return free_name(Path("results") / "compare" / stamp())


def label_runs(runs: Sequence[RunFolder]) -> None:
    """Make the runs' labels unique: add the folder name, then a number, to clashes."""
    base = [f"{r.scenario_name} seed {r.seed}" for r in runs]
    labels = [
        f"{b} ({r.dir.name})" if base.count(b) > 1 else b for b, r in zip(base, runs, strict=True)
    ]
    clashes = {text for text in labels if labels.count(text) > 1}
    seen: dict[str, int] = {}
    for i, text in enumerate(labels):
        if text in clashes:
            seen[text] = seen.get(text, 0) + 1
            labels[i] = f"{text} #{seen[text]}"
    for run, text in zip(runs, labels, strict=True):
        run.label = text


def load_runs(run_dirs: Sequence[Path | str], minimum: int = 2) -> list[RunFolder]:
    """Open several run folders and give them unique labels.

    Raises
    ------
    UserError
        If fewer than ``minimum`` folders are given or one is not a run folder.
    """
    if len(run_dirs) < minimum:
        raise UserError(f"compare needs at least {minimum} run folders, got {len(run_dirs)}")
    runs = [RunFolder.finished(d) for d in run_dirs]
    label_runs(runs)
    return runs


# --------------------------------------------------------------------------- key measures


def _final(market: pd.DataFrame, column: str, scale: float = 1.0) -> float:
    if column not in market.columns or market.empty:
        return math.nan
    value = pd.to_numeric(market[column], errors="coerce").iloc[-1]
    return float(value) * scale if pd.notna(value) else math.nan


def _total(market: pd.DataFrame, column: str) -> float:
    if column not in market.columns:
        return math.nan
    return float(pd.to_numeric(market[column], errors="coerce").sum())


def key_measures(run: RunFolder) -> dict[str, float]:
    """The run's key measures at the end of the horizon, in display order.

    Rates and levels are the final month's values; deals, layoffs and counter-offers
    (recorded by newer models only) are totals over the run, a run without deals counting
    0 of them. Measures whose columns the run lacks are left out.

    Parameters
    ----------
    run : RunFolder
        The run.

    Returns
    -------
    dict of str to float
        Measure name (with its unit) to value.
    """
    m = run.market
    out: dict[str, float] = {
        "final month": _final(m, col.MONTH),
        "employed (engineers)": _final(m, col.EMPLOYED),
        "unemployment rate (%)": _final(m, col.UNEMPLOYMENT_RATE, 100.0),
        "job-to-job moves (% of employed, final month)": _final(m, col.JOB_TO_JOB_RATE,
                                                                100.0),
        "AI / non-AI median pay (ratio)": _final(m, col.AI_PAY_RATIO),
    }
    for tier in run.tiers:
        out[f"median pay, {tier} ($ a year)"] = _final(m, pay_column("median", tier))
    out["top tier at firms above GPU threshold (%)"] = _final(m, col.TOP_SHARE_ABOVE_THRESHOLD,
                                                           100.0)
    out["HHI of top tier (0-10,000)"] = _final(m, col.TOP_HHI)
    out["HHI of all engineers (0-10,000)"] = _final(m, col.HHI)
    for column, name in RUN_TOTALS.items():
        out[name] = _total(m, column)
        if column == col.LAYOFFS:
            for tier in run.tiers:
                out[f"layoffs, {tier} (total over run)"] = _total(m, per_tier(col.LAYOFFS, tier))
    deals = run.deals
    if deals.empty:  # no deal in the run (deals.csv is written with or without rows)
        out["engineers moved in deals (total)"] = out["deal value ($, total)"] = 0.0
    elif col.DEAL_ENGINEERS_MOVED in deals.columns:
        done = deals
        if col.DEAL_BLOCKED in deals.columns:
            blocked = deals[col.DEAL_BLOCKED].astype(str).str.lower().isin(["true", "1", "1.0"])
            done = deals[~blocked]
        out["engineers moved in deals (total)"] = float(
            pd.to_numeric(done[col.DEAL_ENGINEERS_MOVED], errors="coerce").sum())
        if col.DEAL_PRICE in done.columns:
            out["deal value ($, total)"] = float(pd.to_numeric(done[col.DEAL_PRICE],
                                                               errors="coerce").sum())
    return {k: v for k, v in out.items() if not math.isnan(v)}


def difference_table(runs: Sequence[RunFolder]) -> pd.DataFrame:
    """Key measures of each run (columns) and each run's difference from the first.

    A measure one run lacks is NaN for it (and in its difference).

    Returns
    -------
    pandas.DataFrame
        Index: measure names. Columns: the run labels, then ``"Δ <label>"`` for every run
        after the first, equal to that run's value minus the first run's.
    """
    values = [key_measures(r) for r in runs]
    names: list[str] = []
    for measures in values:
        names.extend(k for k in measures if k not in names)
    table = pd.DataFrame({r.label: [v.get(n, math.nan) for n in names]
                          for r, v in zip(runs, values, strict=True)}, index=names)
    table.index.name = "measure"
    first = runs[0].label
    for run in runs[1:]:
        table[f"{DIFF_PREFIX}{run.label}"] = table[run.label] - table[first]
    return table


def format_cells(table: pd.DataFrame) -> pd.DataFrame:
    """The difference table as display strings, one format per measure.

    Each measure is shown with one format for all runs, by its kind
    (:mod:`sim.output.numbers`): counts as whole numbers, money in dollars, percentages
    with two decimals. Differences carry a sign; missing values read ``n/a``.
    """
    diffs = [str(c).startswith(DIFF_PREFIX) for c in table.columns]
    rows = [format_row([float(v) for v in row], measure_kind(str(name)), diffs)
            for name, row in table.iterrows()]
    return pd.DataFrame(rows, index=table.index, columns=table.columns)


def format_table(table: pd.DataFrame) -> str:
    """The difference table as aligned plain text (measure left, numbers right)."""
    cells = format_cells(table)
    rows: list[list[str]] = [[str(table.index.name or ""), *map(str, table.columns)]]
    rows += [[str(name), *row] for name, row in zip(cells.index, cells.to_numpy(), strict=True)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for k, r in enumerate(rows):
        cells_ = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:],
                                                                        strict=True)]
        lines.append("  ".join(cells_).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --------------------------------------------------------------------------- plots


def _colours(n: int) -> list[str]:
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return [cycle[i % len(cycle)] for i in range(n)]


def plot_pay(runs: Sequence[RunFolder]) -> plt.Figure | None:
    """Median pay of every tier over time, one panel per tier, all runs on shared axes."""
    tiers = union([r.tiers for r in runs])
    tiers = [t for t in tiers if any(pay_column("median", t) in r.market.columns for r in runs)]
    if not tiers:
        return None
    ncols = min(len(tiers), 3)
    nrows = math.ceil(len(tiers) / ncols)
    fig, axes = figure(nrows, ncols, (5.2 * ncols, 4.0 * nrows))
    for ax, tier in zip(axes.flat, tiers, strict=False):
        for run, colour in zip(runs, _colours(len(runs)), strict=True):
            column = pay_column("median", tier)
            if column in run.market.columns:
                ax.plot(run.dates(), run.market[column], color=colour, label=run.label)
        log_scale(ax, "y", *(r.market[pay_column("median", tier)] for r in runs
                             if pay_column("median", tier) in r.market.columns))
        money_axis(ax)
        date_axis(ax)
        ax.set_title(f"Median pay: {tier}")
        ax.set_xlabel("month")
        ax.set_ylabel("median pay ($ a year, log scale)")
    for ax in list(axes.flat)[len(tiers):]:
        fig.delaxes(ax)
    fig.suptitle("Pay by tier over time (median among employed)")
    legend_outside(fig, axes[0, 0], title="run")
    return fig


def plot_top_share(runs: Sequence[RunFolder]) -> plt.Figure | None:
    """Each firm's share of the top tier over time, one panel per run, stacked: each run's
    named firms, its generated firms together and the unemployed of the tier; a firm has
    the same colour in every panel (the union of the runs' named firms, first run first,
    fixes the colours)."""
    runs = [r for r in runs if r.tiers and not r.firms.empty
            and per_tier(col.HEADCOUNT, r.tiers[0]) in r.firms.columns]
    if not runs:
        return None
    order = named_in_runs(runs)
    ncols = min(len(runs), 2)
    nrows = math.ceil(len(runs) / ncols)
    fig, axes = figure(nrows, ncols, (6.5 * ncols, 4.5 * nrows))
    entries: dict[str, Artist] = {}
    for ax, run in zip(axes.flat, runs, strict=False):
        labels = firm_labels(run, order)
        shares = top_shares(RunTables.from_run(run, labels)).fillna(0.0)
        dates = month_dates(run)
        areas = ax.stackplot(shares.index.map(dates), shares.to_numpy().T,
                             labels=list(shares.columns),
                             colors=[labels.colours[c] for c in shares.columns],
                             edgecolor="white", linewidth=0.3)
        for area, name in zip(areas, shares.columns, strict=True):
            entries.setdefault(str(name), area)
        ax.set_ylim(0, 100)
        ax.margins(x=0)
        date_axis(ax)
        ax.set_title(f"{run.label}: top tier ({run.tiers[0]})", fontsize=10)
        ax.set_xlabel("month")
        ax.set_ylabel(f"% of the tier ({TOP_SHARE_NOTE})", fontsize=8)
    for ax in list(axes.flat)[len(runs):]:
        fig.delaxes(ax)
    fig.suptitle("Each firm's share of the top tier over time, by run")
    ranked = [n for n in (*order, GENERATED, OTHER_FIRMS, UNEMPLOYMENT_LABEL) if n in entries]
    legend_outside(fig, title="firm (generated firms: together)",
                   handles=[entries[n] for n in ranked], labels=ranked)
    return fig


def _has_values(table: pd.DataFrame, column: str) -> bool:
    return bool(column in table.columns
                and pd.to_numeric(table[column], errors="coerce").notna().any())


def plot_rates(runs: Sequence[RunFolder]) -> plt.Figure | None:
    """Unemployment rate and the AI / non-AI pay ratio over time (ratio only if recorded)."""
    has_ratio = any(_has_values(r.market, col.AI_PAY_RATIO) for r in runs)
    panels = 2 if has_ratio else 1
    fig, axes = figure(1, panels, (6.5 * panels, 4.5))
    colours = _colours(len(runs))
    ax = axes[0, 0]
    for run, colour in zip(runs, colours, strict=True):
        ax.plot(run.dates(), 100 * run.market[col.UNEMPLOYMENT_RATE], color=colour,
                label=run.label)
    date_axis(ax)
    ax.set_title("Unemployment rate")
    ax.set_xlabel("month")
    ax.set_ylabel("unemployed (% of engineers)")
    if has_ratio:
        ax = axes[0, 1]
        for run, colour in zip(runs, colours, strict=True):
            if _has_values(run.market, col.AI_PAY_RATIO):
                ax.plot(run.dates(), run.market[col.AI_PAY_RATIO], color=colour,
                        label=run.label)
        ax.axhline(1.0, color="grey", ls=":", lw=1)
        date_axis(ax)
        ax.set_title("AI / non-AI median pay")
        ax.set_xlabel("month")
        ax.set_ylabel("ratio of median pay (AI tiers / other tiers)")
    legend_outside(fig, axes[0, 0], title="run")
    return fig


# (market column, panel title, y label, optional second column drawn dashed)
EVENT_PANELS: list[tuple[str, str, str, str | None]] = [
    (col.DEALS, "Acquisitions and acqui-hires", "deals a month (dashed: blocked)",
     col.DEALS_BLOCKED),
    (col.LAYOFFS, "Layoffs", "engineers laid off a month", None),
    (col.COUNTER_OFFERS, "Counter-offers", "counter-offers a month (dashed: accepted)",
     col.COUNTER_OFFERS_ACCEPTED),
]


def plot_events(runs: Sequence[RunFolder]) -> plt.Figure | None:
    """Deals, layoffs and counter-offers a month, one panel for each recorded by any run."""
    panels = [p for p in EVENT_PANELS if any(p[0] in r.market.columns for r in runs)]
    if not panels:
        return None
    fig, axes = figure(1, len(panels), (6.0 * len(panels), 4.5))
    colours = _colours(len(runs))
    for ax, (column, title, ylabel, second) in zip(axes.flat, panels, strict=True):
        for run, colour in zip(runs, colours, strict=True):
            m = run.market
            if column in m.columns:
                ax.plot(run.dates(), m[column], color=colour, label=run.label)
            if second is not None and second in m.columns:
                ax.plot(run.dates(), m[second], color=colour, ls="--")
        date_axis(ax)
        ax.set_title(title)
        ax.set_xlabel("month")
        ax.set_ylabel(ylabel)
    legend_outside(fig, axes[0, 0], title="run")
    return fig


COMPARE_PLOTS: dict[str, Callable[[Sequence[RunFolder]], plt.Figure | None]] = {
    "compare_pay_by_tier": plot_pay,
    "compare_top_share_by_firm": plot_top_share,
    "compare_rates": plot_rates,
    "compare_deals_layoffs": plot_events,
}


def draw_comparison(runs: Sequence[RunFolder], out_dir: Path) -> list[Path]:
    """Draw every comparison plot that has data into ``out_dir``; return the PNG paths."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"cannot create the folder: {err.strerror}", option="out",
                        value=out_dir) from None
    pngs = []
    for name, draw in COMPARE_PLOTS.items():
        fig = draw(runs)
        if fig is None:
            continue
        try:
            pngs.append(save(fig, out_dir / f"{name}.png"))
        except OSError as err:
            plt.close(fig)
            raise UserError(f"cannot write {name}.png: {err.strerror}", option="out",
                            value=out_dir) from None
    return pngs


def differences_csv(table: pd.DataFrame) -> str:
    """The difference table as CSV text; a label or measure that a spreadsheet would run
    as a formula (starting with ``=``, ``+``, ``-`` or ``@``) gets a leading ``'``."""
    safe = table.rename(index=lambda v: csv_cell(str(v)), columns=lambda v: csv_cell(str(v)))
    safe.index.name = table.index.name
    return safe.to_csv(lineterminator="\n")


def write_comparison(runs: Sequence[RunFolder], out_dir: Path | str
                     ) -> tuple[pd.DataFrame, list[Path]]:
    """Write the plots and ``differences.csv`` of runs already opened into ``out_dir``,
    as a set (drawn in a hidden folder beside it, then moved in)."""
    table = difference_table(runs)
    out = Path(out_dir)
    for path in remove_leftovers(out.parent):
        log.info("removed %s, left by an interrupted command", path)
    try:
        with atomic_files(out) as stage:
            pngs = draw_comparison(runs, stage)
            (stage / DIFFERENCES).write_text(differences_csv(table), encoding="utf-8")
    except UserError as err:
        raise err.about("out") from None
    return table, [out / p.name for p in pngs]


def compare_runs(run_dirs: Sequence[Path | str], out_dir: Path | str
                 ) -> tuple[pd.DataFrame, list[Path]]:
    """Compare finished runs: write the plots and ``differences.csv`` into ``out_dir``.

    Parameters
    ----------
    run_dirs : sequence of Path
        Two or more run folders; the first is the reference for the differences.
    out_dir : Path
        Folder for the PNGs and ``differences.csv`` (created if needed; files of the same
        names in it are replaced).

    Returns
    -------
    table : pandas.DataFrame
        See :func:`difference_table`.
    pngs : list of Path
        The plots written.

    Raises
    ------
    UserError
        Fewer than two runs, a folder that is not a run or is damaged (then nothing is
        written), or an unwritable ``out_dir``.
    """
    return write_comparison(load_runs(run_dirs), out_dir)
