"""Effects you can see: the paired difference over time with its band, effects in % of the
reference, and the summary of what changed.

Two scenarios' levels drawn each with its own band across seeds can overlap completely
while their paired difference is clearly not 0: the seeds' common noise is in both bands
and cancels in the difference. So a comparison of replicate folders draws the difference
itself: for every month, the mean over seeds of ``other - reference`` with its 95% paired t
interval (:func:`effect_series`), for the key market measures and for the named firms'
shares of the top tier; and the final month's effects in % of the reference
(:func:`plot_percent_effects`). :func:`summary_lines` says in three lines what changed
distinguishably and what did not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from sim import columns as col
from sim.columns import pay_column
from sim.output.charts import (
    TOP_SHARE_NOTE,
    RunTables,
    firm_labels,
    month_dates,
    top_shares,
)
from sim.output.palette import GENERATED, UNEMPLOYMENT_LABEL, firm_colours
from sim.output.plotkit import date_axis, figure, fit_lines, legend_outside
from sim.output.rundir import RunFolder
from sim.output.stats import LEVEL, paired_interval, percent_of

EFFECTS = "effects_over_time.csv"
EFFECT_COLUMNS = ["run", "measure", "month", "date", "reference_mean", "other_mean",
                  "mean_difference", "low", "high", "percent_difference", "pairs"]
"""The columns of ``effects_over_time.csv``."""
EFFECT_PLOTS = ("compare_effects_market", "compare_effects_top_share",
                "compare_effects_percent")
"""The effect plots of a comparison of replicate folders (``<name>.png``)."""
TOP_SHARE_PREFIX = "top-tier share: "
FINAL_MONTH = "final month"
"""The key measure that tells the horizon, not an effect: left out of summaries."""


def market_series(tiers: Sequence[str]) -> list[tuple[str, str, float]]:
    """The key market measures drawn as effects over time: ``(column of market.csv, name,
    scale)``; rates in % (scale 100)."""
    return [
        (col.UNEMPLOYMENT_RATE, "unemployment rate (%)", 100.0),
        (col.JOB_TO_JOB_RATE, "job-to-job moves (% of employed)", 100.0),
        (col.AI_PAY_RATIO, "AI / non-AI median pay (ratio)", 1.0),
        *((pay_column("median", t), f"median pay, {t} ($ a year)", 1.0) for t in tiers),
        (col.TOP_SHARE_ABOVE_THRESHOLD, "top tier at firms above GPU threshold (%)", 100.0),
        (col.TOP_HHI, "HHI of top tier (0-10,000)", 1.0),
    ]


def _per_seed(frames: Sequence[pd.Series], months: Sequence[int]) -> np.ndarray:
    """Series by month, one column per seed (NaN where a run lacks a month)."""
    return np.column_stack([f.reindex(list(months)).to_numpy(dtype=float) for f in frames])


def _rows(measure: str, months: Sequence[int], dates: Mapping[int, pd.Timestamp],
          a: np.ndarray, b: np.ndarray, level: float) -> list[dict[str, object]]:
    out = []
    for k, month in enumerate(months):
        diff = b[k] - a[k]
        mean, low, high = paired_interval(diff, level)
        both = ~np.isnan(diff)
        ref = float(np.mean(a[k][both])) if both.any() else math.nan
        out.append({"measure": measure, "month": int(month),
                    "date": dates[month].strftime("%Y-%m") if month in dates else "",
                    "reference_mean": ref,
                    "other_mean": float(np.mean(b[k][both])) if both.any() else math.nan,
                    "mean_difference": mean, "low": low, "high": high,
                    "percent_difference": percent_of(mean, ref), "pairs": int(both.sum())})
    return out


def effect_series(reference: Mapping[int, RunFolder], other: Mapping[int, RunFolder],
                  level: float = LEVEL) -> pd.DataFrame:
    """The paired difference ``other - reference`` of each key market measure
    (:func:`market_series`) and of each named firm's share of the top tier (in % of all
    engineers of the tier, employed or not), month by month.

    For month ``t`` and the ``n`` seeds both folders ran, ``d_i(t) = other_i(t) -
    reference_i(t)``; the row holds ``d̄(t)``, its t interval ``d̄ ± t_{0.975, n-1} s_d /
    sqrt(n)``, the means of both sides and ``100 d̄ / |reference mean|``.

    Returns
    -------
    pandas.DataFrame
        :data:`EFFECT_COLUMNS` except ``run``; measures in display order, months
        ascending.
    """
    seeds = [s for s in reference if s in other]
    first = reference[seeds[0]]
    dates = month_dates(first)
    months = sorted(set().union(*(set(r.market[col.MONTH].astype(int))
                                  for runs in (reference, other) for r in
                                  (runs[s] for s in seeds))))
    rows: list[dict[str, object]] = []
    for column, name, scale in market_series(first.tiers):
        if not all(column in runs[s].market.columns for runs in (reference, other)
                   for s in seeds):
            continue
        sides = [_per_seed([pd.to_numeric(runs[s].market.set_index(col.MONTH)[column],
                                          errors="coerce") * scale for s in seeds], months)
                 for runs in (reference, other)]
        rows += _rows(name, months, dates, sides[0], sides[1], level)
    if first.tiers:
        shares = {side: [top_shares(RunTables.from_run(runs[s])) for s in seeds]
                  for side, runs in (("reference", reference), ("other", other))}
        named = list(firm_labels(first).named)
        for firm in [*named, GENERATED]:
            if not all(firm in s.columns for side in shares.values() for s in side):
                continue
            sides = [_per_seed([s[firm] for s in shares[side]], months)
                     for side in ("reference", "other")]
            rows += _rows(f"{TOP_SHARE_PREFIX}{firm} (%)", months, dates, sides[0],
                          sides[1], level)
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS[1:])


# --------------------------------------------------------------------------- summary


def _effect_text(name: str, row: pd.Series) -> str:
    """``name +1.2 [0.4, 2.0] (+3.1%)``."""
    def num(v: float) -> str:
        return f"{v:+,.0f}" if abs(v) >= 100 else f"{v:+.3g}"

    pct = row.get("percent_difference", math.nan)
    tail = "" if pct is None or math.isnan(pct) else f" ({pct:+.1f}%)"
    low, high = float(row["low"]), float(row["high"])
    interval = f" [{num(low).lstrip('+')}, {num(high).lstrip('+')}]" \
        if not math.isnan(low) else ""
    return f"{name} {num(float(row['mean_difference']))}{interval}{tail}"


def _listed(items: Sequence[str], limit: int = 4) -> str:
    shown = "; ".join(items[:limit])
    return shown + (f"; and {len(items) - limit} more" if len(items) > limit else "")


def summary_lines(market: pd.DataFrame, firms: pd.DataFrame | None = None) -> list[str]:
    """Three lines: which key measures changed distinguishably (their interval excludes 0
    with the false discovery rate controlled, Benjamini–Hochberg at 5%), which firm-level
    measures did, and how many did not.

    Parameters
    ----------
    market : pandas.DataFrame
        Paired differences of the key measures, indexed by measure
        (:func:`sim.output.replicates.paired_differences`).
    firms : pandas.DataFrame, optional
        Paired firm differences (:func:`sim.output.firm_effects.paired_firm_differences`).
    """
    tested = market[(market["pairs"] >= 2) & (market.index != FINAL_MONTH)]
    changed = tested[tested["distinguishable_fdr"]]
    ordered = changed.reindex(changed["p_value"].sort_values(kind="stable").index)
    lines = ["Changed (95% interval excludes 0, false discovery rate 5%): "
             + (_listed([_effect_text(str(n), r) for n, r in ordered.iterrows()])
                if len(ordered) else "no key measure")]
    if firms is not None and len(firms):
        moved = firms[firms["distinguishable_fdr"]
                      & firms["measure"].isin(["share of the tier (%)", "headcount"])]
        moved = moved[moved["measure"] == "share of the tier (%)"] if (
            moved["measure"] == "share of the tier (%)").any() else moved
        moved = moved.reindex(moved["mean_difference"].abs().sort_values(
            ascending=False, kind="stable").index)
        n_firm = int(firms["distinguishable_fdr"].sum())
        lines.append(f"By firm ({n_firm} of {len(firms)} firm measures changed): "
                     + (_listed([_effect_text(f"{r['firm']} share of {r['tier']}s (pp)", r)
                                 for _, r in moved.iterrows()])
                        if len(moved) else "no firm's share of a tier changed"))
    else:
        lines.append("By firm: no firm-level comparison")
    per_only = int((tested["distinguishable"] & ~tested["distinguishable_fdr"]).sum())
    same = tested[~tested["distinguishable"]]
    lines.append(f"Not distinguishable from 0: {len(same)} of {len(tested)} key measures"
                 + (f" ({_listed([str(n) for n in same.index], 3)})" if len(same) else "")
                 + (f"; {per_only} more differ by their own interval only, which "
                    "chance alone gives about once in 20 measures" if per_only else ""))
    return lines


def multiple_comparison_note(count: int, level: float = LEVEL) -> str:
    """What testing ``count`` measures at once means for the verdicts."""
    return (f"{count} measures are each tested at {100 * level:.0f}%: with no effect at all, "
            f"about {count * (1 - level):.1f} of them would read \"differs\" by chance. The "
            "BH column controls the false discovery rate (Benjamini–Hochberg): among the "
            f"measures it marks, the expected share of false ones is at most "
            f"{100 * (1 - level):.0f}%.")


# --------------------------------------------------------------------------- plots


def _draw_effect(ax: plt.Axes, rows: pd.DataFrame, dates: Mapping[int, pd.Timestamp],
                 colour: str, label: str | None = None, style: object = "-") -> None:
    x = pd.DatetimeIndex([dates.get(int(m), pd.NaT) for m in rows["month"]])
    ax.fill_between(x, rows["low"].to_numpy(dtype=float), rows["high"].to_numpy(dtype=float),
                    color=colour, alpha=0.22, linewidth=0)
    ax.plot(x, rows["mean_difference"].to_numpy(dtype=float), color=colour, lw=1.4,
            ls=style, label=label)


def _no_effect_line(ax: plt.Axes) -> None:
    """The dotted line of no effect (0), drawn once in a panel, over its folders' effects."""
    ax.axhline(0, color="grey", lw=1, ls=":")


FOLDER_STYLES: tuple[object, ...] = ("-", "--", "-.", (0, (4, 1, 1, 1, 1, 1)))
"""The line style of each compared folder (in turn) where a panel shows several: the
panels of firms keep the firm's colour (the zero line is dotted)."""


def plot_market_effects(results: Sequence[tuple[str, pd.DataFrame]],
                        dates: Mapping[int, pd.Timestamp]) -> plt.Figure:
    """The paired difference over time of each key market measure, with its 95% band;
    one colour per compared folder."""
    measures = list(dict.fromkeys(m for _, t in results for m in t["measure"]
                                  if not str(m).startswith(TOP_SHARE_PREFIX)))
    ncols = min(3, max(1, len(measures)))
    nrows = max(1, math.ceil(len(measures) / ncols))
    fig, axes = figure(nrows, ncols, (5.2 * ncols, 3.4 * nrows))
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, measure in zip(axes.flat, measures, strict=False):
        for k, (label, table) in enumerate(results):
            rows = table[table["measure"] == measure]
            if len(rows):
                _draw_effect(ax, rows, dates, cycle[k % len(cycle)], label)
        _no_effect_line(ax)
        date_axis(ax)
        ax.set_title(f"Δ {measure}", fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(measures):]:
        fig.delaxes(ax)
    if len(results) > 1:
        axes[0, 0].legend(fontsize=7)
    fig.suptitle("Paired difference over time (other − reference, mean over seeds), band: "
                 "95% interval; dotted: no effect", fontsize=10)
    return fig


def plot_top_share_effects(results: Sequence[tuple[str, pd.DataFrame]],
                           dates: Mapping[int, pd.Timestamp], top: str,
                           colours: Mapping[str, str] | None = None) -> plt.Figure:
    """The paired difference over time of each named firm's (and the generated firms')
    share of the top tier, one small panel per firm in its colour; with several compared
    folders, each is a line and band of its own in every panel, told apart by its line
    style (:data:`FOLDER_STYLES`, named in the legend), as the report's chart tells them
    apart by dashes."""
    firms = list(dict.fromkeys(str(m)[len(TOP_SHARE_PREFIX):-4] for _, t in results
                               for m in t["measure"] if str(m).startswith(TOP_SHARE_PREFIX)))
    colours = colours or firm_colours([f for f in firms if f != GENERATED])
    ncols = min(4, max(1, len(firms)))
    nrows = max(1, math.ceil(len(firms) / ncols))
    fig, axes = figure(nrows, ncols, (3.6 * ncols, 2.5 * nrows))
    for k, firm in enumerate(firms):
        ax = axes[k // ncols, k % ncols]
        colour = colours.get(firm, "black")
        for r, (label, table) in enumerate(results):
            rows = table[table["measure"] == f"{TOP_SHARE_PREFIX}{firm} (%)"]
            if len(rows):
                _draw_effect(ax, rows, dates, colour, label,
                             FOLDER_STYLES[r % len(FOLDER_STYLES)])
        _no_effect_line(ax)
        date_axis(ax, most=8)  # a narrow panel: months between the years crowd it
        ax.set_title(firm, fontsize=9, color=colour)
        ax.tick_params(labelsize=7)
    for k in range(len(firms), nrows * ncols):
        fig.delaxes(axes[k // ncols, k % ncols])
    if len(results) > 1:
        handles = [Line2D([], [], color="black", lw=1.4,
                          ls=FOLDER_STYLES[r % len(FOLDER_STYLES)])
                   for r in range(len(results))]
        legend_outside(fig, title="compared folder", handles=handles,
                       labels=[label for label, _ in results])
    fig.supylabel(fit_lines(f"Δ share of the top tier, percentage points ({top}; "
                            f"{TOP_SHARE_NOTE})", fig.get_figheight() - 0.6, 8), fontsize=8)
    fig.suptitle("Each firm's share of the top tier: paired difference over time, band: "
                 "95% interval", fontsize=10)
    return fig


def plot_percent_effects(results: Sequence[tuple[str, pd.DataFrame]]) -> plt.Figure:
    """The key measures' effects at the end in % of the reference, with their 95%
    intervals (also in %): filled where the verdict holds with the false discovery rate
    controlled, hollow where only the measure's own interval excludes 0, grey where it
    does not. ``results``: ``(label, paired differences)`` per compared folder."""
    n = max(len(t) for _, t in results)
    fig, axes = figure(1, len(results), (7.5 * len(results), 0.32 * n + 1.6))
    for ax, (label, table) in zip(axes.flat, results, strict=True):
        known = table[table["percent_difference"].notna() & (table.index != FINAL_MONTH)]
        y = np.arange(len(known))[::-1]
        scale = 100.0 / known["reference_mean"].abs().where(known["reference_mean"] != 0)
        for yy, (_name, row), s in zip(y, known.iterrows(), scale, strict=True):
            colour = "#0b3c5d" if row["distinguishable"] else "#9e9e9e"
            if not (math.isnan(row["low"]) or math.isnan(s)):
                ax.plot([row["low"] * s, row["high"] * s], [yy, yy], color=colour, lw=2)
            filled = bool(row["distinguishable_fdr"])
            ax.plot([row["percent_difference"]], [yy], "o", color=colour,
                    mfc=colour if filled else "white", ms=6)
        ax.axvline(0, color="grey", lw=1, ls=":")
        ax.set_yticks(y, [str(n) for n in known.index], fontsize=7)
        ax.set_xlabel("effect at the end, % of the reference (95% interval)", fontsize=8)
        ax.set_title(label, fontsize=9)
    # On three lines: one of them would be wider than a one-panel figure.
    fig.suptitle("Effects in % of the reference\nfilled = differs with the false discovery "
                 "rate at 5% (BH);\nhollow = own interval only; grey = ≈ 0", fontsize=9)
    return fig


def place_colours(places: Sequence[str]) -> dict[str, str]:
    """The palette's colours for a comparison's places (named firms in order)."""
    return firm_colours([p for p in places if p not in (GENERATED, UNEMPLOYMENT_LABEL)])
