"""The run plots of the market: pay by tier, the pay index and layoffs, rates, deals and
counter-offers.

Each plot draws a run folder's market table, or a frame of :mod:`sim.output.charts`
(computed there once, for every renderer).
"""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from sim import columns as col
from sim.columns import pay_column, per_tier
from sim.output import charts
from sim.output.charts import RunTables
from sim.output.drawing import PAY_PLOT_COLUMNS
from sim.output.formats import ENGINEER_PAY, ENGINEER_TIER
from sim.output.plotkit import (
    axes_legend_outside,
    bars,
    date_axis,
    figure,
    legend_outside,
    log_scale,
    money_axis,
    no_data,
)
from sim.output.rundir import RunFolder

PAY_PLOT = "the plot of pay"

FORM_MARKERS = {"acquisition": "o", "license_and_hire": "s"}
"""The marker of each form of deal."""


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
                # One filled outline a tier: the pixels of its bars, for far less time.
                left.hist(pay, bins=bins, alpha=0.55, weights=np.full(len(pay), 100 / len(pay)),
                          histtype="stepfilled", label=f"{tier} (n={len(pay):,})")
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
    """Deals over time (:func:`charts.deal_timeline`): price per engineer moved, by form,
    in the buyer's colour; blocked deals marked."""
    tables = RunTables.from_run(run)
    labels = tables.labels
    deals = charts.deal_timeline(tables)
    fig, axes = figure(1, 1, (10, 4.8))
    ax = axes[0, 0]
    blocked_any = False
    if deals.empty:
        no_data(ax, "no deals in this run")
    else:
        dates = pd.to_datetime(deals[col.DATE], format="%Y-%m")
        done = deals[charts.STATUS] == "done"
        blocked_any = bool((~done).any())
        buyers = labels.labels(deals[col.DEAL_BUYER])
        targets = labels.labels(deals[col.DEAL_TARGET])
        price = deals[col.DEAL_PRICE_PER_ENGINEER]
        for form, marker in FORM_MARKERS.items():
            mask = done & (deals[col.DEAL_FORM] == form)
            if not mask.any():
                continue
            ax.scatter(dates[mask], price[mask],
                       s=20 + 3 * deals.loc[mask, col.DEAL_ENGINEERS_MOVED], marker=marker,
                       color=[labels.colours[b] for b in buyers[mask]], alpha=0.8,
                       )
            for idx in deals.index[mask]:
                ax.annotate(f"{buyers[idx]} ← {targets[idx]}", (dates[idx], price[idx]),
                            fontsize=6, xytext=(3, 3), textcoords="offset points",
                            color=labels.colours[buyers[idx]])
        if done.any():
            log_scale(ax, "y", price[done])
        blocked = deals[~done]
        if len(blocked):
            floor = price[done].min() / 2 if done.any() else 1e6
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
    if blocked_any:
        handles.append(Line2D([], [], ls="", marker="x", color="red",
                              label="blocked, drawn at the bottom"))
    legend_outside(fig, title="form (size: engineers moved)", handles=handles,
                   labels=[str(h.get_label()) for h in handles])
    return fig


def plot_counter_offers(run: RunFolder) -> plt.Figure:
    """Counter-offers made and accepted, by the employer's counter-offer policy
    (:func:`charts.counter_offers_by_policy`)."""
    grouped = charts.counter_offers_by_policy(RunTables.from_run(run))
    fig, axes = figure(1, 1, (9, 4.8))
    ax = axes[0, 0]
    x = np.arange(len(grouped))
    width = 0.2
    for k, (column, label) in enumerate((
        (col.COUNTER_OFFERS, "counter-offers made"),
        (col.COUNTER_OFFERS_ACCEPTED, "counter-offers accepted (engineer stayed)"),
        (col.QUITS, "engineers poached (job-to-job quits)"),
        (col.RETENTION_KEPT, "kept after a retention call"),
    )):
        ax.bar(x + (k - 1.5) * width, grouped[column], width, label=label)
    ax.set_xticks(x, [f"{p}\n(firm-months: {n})"
                      for p, n in zip(grouped.index, grouped[charts.FIRM_MONTHS], strict=True)])
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
    days = mdates.date2num(dates)
    for k, column in enumerate(columns):
        bars(bottom, days, market[column].to_numpy(), 20, bottom_stack, color=f"C{k}",
             label=column.removeprefix(layoffs))
        bottom_stack = bottom_stack + market[column].to_numpy()
    bottom.set_xlabel("month")
    bottom.set_ylabel("layoffs (engineers a month)")
    date_axis(bottom)
    axes_legend_outside(bottom, title="tier")
    return fig
