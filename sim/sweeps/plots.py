"""Plots of a sweep folder, chosen to fit its design, drawn from its files alone.

- one varied parameter: a response curve per kept measure, the mean over replicates with a
  Student-t confidence band mean ± t·s/√n (:func:`sim.sweeps.analysis.point_means`), and the
  replicates as dots; for ``series`` measures also the mean path per parameter value;
- two varied parameters on a grid: a heat map of the replicate mean per measure;
- more parameters, or a random/Latin design: the measure against each parameter (scatter
  of runs, with binned means);
- Sobol or Morris designs: the indices as bar charts with confidence intervals.

Labels are the sweep file's own text, drawn as text (never as matplotlib mathtext: a
``$`` in a label is a dollar sign, :func:`sim.output.plotkit.plain_text`), wrapped to fit
the figure; numbers in legends and ticks read as numbers (``17,783``, not ``1.778e+04``);
the band of a fraction (:data:`sim.columns.FRACTIONS`) is clipped to [0, 1]. Every PNG is
written atomically (temporary file, then rename) into the sweep folder.
"""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim import columns as col
from sim.files import write_text
from sim.output.plotkit import save, text_settings
from sim.sweeps.analysis import point_means, read_tables, run_scalars, sensitivity
from sim.sweeps.plan import Plan, load_plan
from sim.sweeps.spec import Measure, Parameter
from sim.sweeps.spec import display_value as _fmt
from sim.sweeps.store import SENSITIVITY_FILE, sweep_state

MAX_SERIES_LINES = 12
MAX_ANNOTATED_CELLS = 120
LABEL_WIDTH = 42
"""Longest line of an axis label (characters): a longer label is wrapped, so that it stays
on the figure."""


def _label(p: Parameter) -> str:
    return p.label or p.key


def _wrap(text: str, width: int = LABEL_WIDTH) -> str:
    """``text`` wrapped to lines of at most ``width`` characters (an axis label that fits
    the figure)."""
    return "\n".join(textwrap.wrap(text, width)) or text


def _bounds(m: Measure) -> tuple[float, float] | None:
    """The range of the measure's values: [0, 1] for a fraction, else None."""
    return (0.0, 1.0) if m.column in col.FRACTIONS else None


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)


def _varied(plan: Plan) -> list[Parameter]:
    """Parameters that take more than one value in the design."""
    return [p for p in plan.spec.parameters
            if len({repr(pt[p.key]) for pt in plan.points}) > 1]


def plot_response(plan: Plan, scalars: pd.DataFrame, p: Parameter, m: Measure) -> plt.Figure:
    """Replicate mean of measure ``m`` against parameter ``p`` with a t confidence band."""
    conf = plan.spec.design.conf_level
    stats = point_means(scalars, m.out, [p.key], conf)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    if p.values is not None:
        pos = {v: k for k, v in enumerate(p.values)}
        x = stats[p.key].map(lambda v: pos.get(v, np.nan)).to_numpy(dtype=float)
        xs = scalars[p.key].map(lambda v: pos.get(v, np.nan)).to_numpy(dtype=float)
        low, high = stats["mean"] - stats["half_width"], stats["mean"] + stats["half_width"]
        bounds = _bounds(m)
        if bounds is not None:
            low, high = low.clip(*bounds), high.clip(*bounds)
        yerr = np.vstack([stats["mean"] - low, high - stats["mean"]])
        ax.errorbar(x, stats["mean"], yerr=yerr, fmt="o-", capsize=4,
                    label=f"mean ± {conf:.0%} t-interval")
        ax.set_xticks(range(len(p.values)), [_fmt(v) for v in p.values])
    else:
        stats = stats.sort_values(p.key)
        x = stats[p.key].to_numpy(dtype=float)
        xs = scalars[p.key].to_numpy(dtype=float)
        ax.plot(x, stats["mean"], "o-", label="mean of replicates")
        low = stats["mean"] - stats["half_width"]
        high = stats["mean"] + stats["half_width"]
        bounds = _bounds(m)
        if bounds is not None:
            low, high = low.clip(*bounds), high.clip(*bounds)
        ax.fill_between(x, low, high, alpha=0.25,
                        label=f"{conf:.0%} confidence band (t)"
                        + (" (within [0, 1])" if bounds else ""))
        if p.scale == "log":
            ax.set_xscale("log")
    ax.scatter(xs, scalars[m.out], s=10, color="grey", alpha=0.5, label="replicates", zorder=3)
    reps = int(stats["n"].max()) if len(stats) else 0
    ax.set_xlabel(_wrap(_label(p), 70))
    ax.set_ylabel(_wrap(m.display))
    ax.set_title(_wrap(f"{m.display} against {_label(p)} ({reps} replicates per point)", 70),
                 fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def plot_series(plan: Plan, folder: Path, p: Parameter, m: Measure) -> plt.Figure:
    """Mean path over months of a ``series`` measure, one line per value of ``p``."""
    runs = run_scalars(folder, plan)[["run_id", p.key]]
    table = read_tables(folder, plan)[1][["run_id", "month", m.out]]
    table = table.merge(runs, on="run_id")
    values = sorted(table[p.key].unique(), key=lambda v: (str(type(v)), v))
    if len(values) > MAX_SERIES_LINES:
        picks = np.linspace(0, len(values) - 1, MAX_SERIES_LINES).round().astype(int)
        values = [values[k] for k in sorted(set(picks))]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    cmap = plt.get_cmap("viridis")
    for k, value in enumerate(values):
        rows = table[table[p.key] == value].groupby("month")[m.out].mean()
        ax.plot(rows.index, rows.to_numpy(), color=cmap(k / max(len(values) - 1, 1)),
                label=_wrap(f"{_label(p)} = {_fmt(value)}", 36))
    ax.set_xlabel("month of the run")
    ax.set_ylabel(_wrap(m.display))
    ax.set_title(_wrap(f"{m.display} over time (mean of replicates)", 70), fontsize=10)
    ax.grid(alpha=0.3)
    # beside the axes, so that it covers no line
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    return fig


def plot_heatmap(plan: Plan, scalars: pd.DataFrame, a: Parameter, b: Parameter,
                 m: Measure) -> plt.Figure:
    """Replicate mean of ``m`` on the grid of parameters ``a`` (rows) and ``b`` (columns)."""
    stats = point_means(scalars, m.out, [a.key, b.key], plan.spec.design.conf_level)
    grid = stats.groupby([a.key, b.key])["mean"].mean().unstack(b.key)
    fig, ax = plt.subplots(figsize=(7, 5))
    image = ax.imshow(grid.to_numpy(dtype=float), origin="lower", aspect="auto",
                      cmap="viridis")
    ax.set_yticks(range(len(grid.index)), [_fmt(v) for v in grid.index])
    ax.set_xticks(range(len(grid.columns)), [_fmt(v) for v in grid.columns], rotation=30)
    ax.set_ylabel(_wrap(_label(a)))
    ax.set_xlabel(_wrap(_label(b), 70))
    if grid.size <= MAX_ANNOTATED_CELLS:
        values = grid.to_numpy(dtype=float)
        middle = np.nanmean(values) if np.isfinite(values).any() else 0.0
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                ax.text(j, i, f"{value:.3g}", ha="center", va="center", fontsize=7,
                        color="black" if value > middle else "white")
    fig.colorbar(image, ax=ax, label=_wrap(m.display))
    reps = int(stats["n"].max()) if len(stats) else 0
    ax.set_title(_wrap(f"{m.display}: mean of {reps} replicates per cell", 70), fontsize=10)
    return fig


def plot_scatter(plan: Plan, scalars: pd.DataFrame, m: Measure) -> plt.Figure:
    """The measure of every run against each varied parameter (sampled or wide designs)."""
    params = _varied(plan) or plan.spec.parameters
    fig, axes = plt.subplots(1, len(params), figsize=(4 * len(params), 4), squeeze=False,
                             sharey=True)
    for ax, p in zip(axes[0], params, strict=True):
        if p.values is not None:
            pos = {v: k for k, v in enumerate(p.values)}
            x = scalars[p.key].map(lambda v, pos=pos: pos.get(v, np.nan))
            ax.set_xticks(range(len(p.values)), [_fmt(v) for v in p.values])
        else:
            x = scalars[p.key].astype(float)
            if p.scale == "log":
                ax.set_xscale("log")
        ax.scatter(x, scalars[m.out], s=12, alpha=0.6, label="runs")
        ax.set_xlabel(_wrap(_label(p), 36))
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(_wrap(m.display))
    axes[0][0].legend(fontsize=8)
    fig.suptitle(_wrap(f"{m.display} against each parameter ({plan.spec.design.kind} "
                       "design)", 70), fontsize=10)
    return fig


def plot_indices(plan: Plan, table: pd.DataFrame, m: Measure) -> plt.Figure:
    """Sobol S1/ST or Morris mu*/sigma of one measure as bars with confidence intervals."""
    rows = table[table["measure"] == m.out]
    kind = plan.spec.design.kind
    if kind == "morris":
        return plot_morris(plan, rows, m)
    indices = ["S1", "ST"]
    names = [p.key for p in plan.spec.parameters]
    labels = [_label(p) for p in plan.spec.parameters]
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(names)), 4.5))
    width = 0.8 / len(indices)
    for k, index in enumerate(indices):
        sel = rows[rows["index"] == index].set_index("parameter").reindex(names)
        conf = sel["confidence"].to_numpy(dtype=float)
        ax.bar(np.arange(len(names)) + (k - (len(indices) - 1) / 2) * width,
               sel["value"].to_numpy(dtype=float), width,
               yerr=None if np.isnan(conf).all() else np.nan_to_num(conf), capsize=4,
               label={"S1": "first order S1", "ST": "total order ST",
                      "mu_star": "mu* (mean |elementary effect|)",
                      "sigma": "sigma (spread of effects)"}[index])
    ax.set_xticks(range(len(names)), [_wrap(t, 30) for t in labels], rotation=20,
                  ha="right")
    level = plan.spec.design.conf_level
    if kind == "sobol":
        ax.set_ylabel("Sobol index (share of output variance)")
        ax.axhline(0, color="black", lw=0.8)
        title = (_wrap(f"Sobol indices of {m.display}", 70)
                 + f"\nerror bars: {level:.0%} bootstrap intervals")
    else:
        ax.set_ylabel(f"elementary effect\n(change in {m.column} per step of the range\n"
                      "scaled to [0, 1]; log ranges in log10)")
        title = (_wrap(f"Morris screening of {m.display}", 70)
                 + f"\nerror bars: {level:.0%} bootstrap interval of mu*")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    return fig


def plot_morris(plan: Plan, rows: pd.DataFrame, m: Measure) -> plt.Figure:
    """Morris screening as the usual mu*-sigma plane (Campolongo, Cariboni and Saltelli
    2007): one point per parameter, mu* (mean absolute elementary effect: importance) across,
    sigma (their spread: interactions or non-linearity) up, with mu*'s bootstrap interval.
    The line sigma = mu* marks where effects vary as much as they matter."""
    names = [p.key for p in plan.spec.parameters]
    labels = [_label(p) for p in plan.spec.parameters]
    mu = rows[rows["index"] == "mu_star"].set_index("parameter").reindex(names)
    sigma = rows[rows["index"] == "sigma"].set_index("parameter").reindex(names)
    x = mu["value"].to_numpy(dtype=float)
    y = sigma["value"].to_numpy(dtype=float)
    conf = np.nan_to_num(mu["confidence"].to_numpy(dtype=float))
    fig, ax = plt.subplots(figsize=(7, 5))
    colours = plt.get_cmap("tab10")
    for k, label in enumerate(labels):
        ax.errorbar(x[k], y[k], xerr=conf[k], fmt="o", capsize=4, color=colours(k % 10),
                    label=_wrap(label, 36))
    top = float(np.nanmax(np.r_[x + conf, y, 0.0])) * 1.1 or 1.0
    ax.plot([0, top], [0, top], color="grey", lw=0.8, ls="--", label="sigma = mu*")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel(f"mu* (mean |elementary effect| on {m.column})")
    ax.set_ylabel("sigma (spread of elementary effects)")
    level = plan.spec.design.conf_level
    ax.set_title(_wrap(f"Morris screening of {m.display}", 70)
                 + f"\nbars: {level:.0%} bootstrap interval of mu*", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    with text_settings():  # laid out for the glyphs save() draws
        fig.tight_layout()
    return fig


def plot_sweep(sweep_dir: Path) -> list[Path]:
    """Draw the plots that fit the sweep's design as PNGs in the folder; return their paths.

    See the module docstring for what is drawn for which design. Failed runs are left out.
    """
    folder = Path(sweep_dir)
    plan = load_plan(folder)
    scalars = run_scalars(folder, plan)
    written: list[Path] = []
    kind = plan.spec.design.kind
    if kind in ("sobol", "morris"):
        path = folder / SENSITIVITY_FILE
        if path.is_file():
            table = pd.read_csv(path)
        else:  # written by the sweep when it completes; until then computed, not kept
            table = sensitivity(folder, plan)
            if sweep_state(folder, plan).complete:
                write_text(path, table.to_csv(index=False, lineterminator="\n"))
        for m in plan.spec.measures:
            if (table["measure"] == m.out).any():
                written.append(save(plot_indices(plan, table, m),
                                    folder / f"{kind}_{_slug(m.out)}.png"))
        return written
    varied = _varied(plan)
    for m in plan.spec.measures:
        if m.keep != "series" and m.out in scalars and scalars[m.out].isna().all():
            warnings.warn(f"{folder}: {m.out} has no values (every run NaN); not plotted",
                          stacklevel=2)
            continue
        if kind == "grid" and len(varied) == 1:
            fig = plot_response(plan, scalars, varied[0], m)
            written.append(save(fig, folder / f"response_{_slug(m.out)}.png"))
        elif kind == "grid" and len(varied) == 2:
            fig = plot_heatmap(plan, scalars, varied[0], varied[1], m)
            written.append(save(fig, folder / f"heatmap_{_slug(m.out)}.png"))
        else:
            fig = plot_scatter(plan, scalars, m)
            written.append(save(fig, folder / f"scatter_{_slug(m.out)}.png"))
        if m.keep == "series" and len(varied) == 1:
            fig = plot_series(plan, folder, varied[0], m)
            written.append(save(fig, folder / f"series_{_slug(m.out)}.png"))
    return written
