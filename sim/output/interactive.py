"""Interactive charts of the HTML report: plotly figures drawn from a run's result files.

A reader can hover a line for the firm (or run) and the value, zoom by dragging, and hide
or show a firm by clicking its name in the legend. Every chart is built from the run
folder's tables (``market.csv``, ``firms.csv``, ``deals.csv``) or a replicate folder's
``summary.csv``, never from a model, and written as HTML with no network access:
:func:`page_script` inlines plotly.js once per page, and :func:`plot_div` writes each
figure as a ``<div>`` and the small script that draws it.

Firms are drawn as the PNG plots draw them (:mod:`sim.output.palette`): a scenario's named
firms by name, each in its own colour, and the firms generated from spreads together as
:data:`~sim.output.palette.GENERATED`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from sim import columns as col
from sim.columns import pay_column, per_tier
from sim.output.charts import firm_labels, month_dates
from sim.output.palette import GENERATED, firm_colours, named_firms
from sim.output.rundir import RunFolder

RUN_COLOURS: tuple[str, ...] = (
    "#0b3c5d", "#d1495b", "#2e8b57", "#edae49", "#6a4c93", "#00798c", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22",
)
"""One colour per run in a comparison (the first run, the reference, is dark blue)."""
CHART_HEIGHT = 440
CONFIG = {"displaylogo": False, "responsive": True,
          "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
"""Plotly options: no link to plotly's site, charts follow the page width."""

ERROR_HANDLER = """
window.talentwarErrors = [];
(function () {
  function show() {
    var box = document.getElementById("script-errors");
    if (!box || !window.talentwarErrors.length) { return; }
    box.hidden = false;
    box.textContent = "Some charts could not be drawn (script errors):\\n" +
      window.talentwarErrors.join("\\n");
  }
  window.addEventListener("error", function (event) {
    window.talentwarErrors.push(String(event.message || event.type) +
      (event.filename ? " (" + event.lineno + ")" : ""));
    show();
  });
  window.addEventListener("unhandledrejection", function (event) {
    window.talentwarErrors.push("unhandled rejection: " + String(event.reason));
    show();
  });
  document.addEventListener("DOMContentLoaded", show);
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.static").forEach(function (d) { d.open = true; });
  });
})();
"""
"""The page's first script: a script error is written into ``<pre id="script-errors">``
for the reader to see (and for the browser test to find), and printing opens the static
figures."""


@dataclass(frozen=True)
class Chart:
    """One interactive chart of a report: an id (unique on its page), a caption, the
    figure."""

    name: str
    caption: str
    figure: go.Figure


# --------------------------------------------------------------------------- HTML


def page_script() -> str:
    """What a page with charts needs in its ``<head>``: the error handler, then plotly.js,
    inline (about 4.6 MB, once per page)."""
    return (f"<script>{ERROR_HANDLER}</script>\n"
            f"<script>{get_plotlyjs()}</script>\n")


def plot_div(chart: Chart) -> str:
    """A chart's plotly ``<div>`` and script (plotly.js not included); the page kit
    (:func:`sim.output.pagekit.chart`) puts it in a figure with its caption."""
    return str(chart.figure.to_html(full_html=False, include_plotlyjs=False,
                                    div_id=f"chart-{chart.name}", config=CONFIG,
                                    default_height=f"{CHART_HEIGHT}px", default_width="100%"))


def _layout(fig: go.Figure, y_title: str, *, x_title: str = "", hover: str = "x unified",
            y_format: str | None = None, log_y: bool = False) -> go.Figure:
    fig.update_layout(template="plotly_white", hovermode=hover,
                      margin={"l": 60, "r": 20, "t": 30, "b": 50},
                      legend={"title": {"text": "click to hide or show"},
                              "itemclick": "toggle", "itemdoubleclick": "toggleothers"},
                      xaxis_title=x_title, yaxis_title=y_title)
    if y_format:
        fig.update_yaxes(tickformat=y_format, hoverformat=y_format)
    if log_y:
        fig.update_yaxes(type="log", dtick="D2")  # labels at 1, 2 and 5 of each decade
    return fig


# --------------------------------------------------------------------------- one run


def run_colours(runs: Sequence[RunFolder]) -> dict[str, str]:
    """One colour per named firm of the runs (the first run's firms first), as the PNG
    plots colour them."""
    names: list[str] = []
    for run in runs:
        names.extend(named_firms(run.manifest["scenario"]))
    return firm_colours(names)


def _grouped(run: RunFolder) -> pd.DataFrame:
    """``firms.csv`` with a ``group`` column (the firm's label in the PNG plots: its name if
    it is named, else :data:`GENERATED`; :func:`sim.output.charts.firm_labels`) and a
    ``when`` column (its calendar month)."""
    firms = run.firms.copy()
    firms["group"] = firm_labels(run).labels(firms[col.FIRM])
    firms["when"] = firms[col.MONTH].astype(int).map(month_dates(run))
    return firms


def _group_order(run: RunFolder, present: Sequence[str]) -> list[str]:
    """Named firms in scenario order, then the generated group, keeping those present."""
    labels = firm_labels(run)
    return [g for g in (*labels.named, labels.rest) if g in set(present)]


def headcount_chart(run: RunFolder, colours: Mapping[str, str]) -> Chart:
    """Headcount of each named firm and of the generated firms together, by month."""
    firms = _grouped(run)
    table = firms.groupby(["when", "group"])[col.HEADCOUNT].sum().unstack("group")
    table = table.where(table > 0)  # a firm gone (0) has no place on a log scale
    fig = go.Figure()
    for group in _group_order(run, list(table.columns)):
        fig.add_trace(go.Scatter(x=table.index, y=table[group], name=group, mode="lines",
                                 line={"color": colours.get(group)}))
    _layout(fig, "engineers employed (log scale)", y_format=",.0f", log_y=True)
    return Chart("headcount", "Headcount by firm over time (generated firms together), "
                 "log scale", fig)


def pay_by_tier_chart(run: RunFolder) -> Chart:
    """Median pay of each tier (solid) and its 90th percentile (dotted), by month."""
    market, dates = run.market, run.dates()
    fig = go.Figure()
    for k, tier in enumerate(run.tiers):
        colour = RUN_COLOURS[k % len(RUN_COLOURS)]
        for stat, dash in (("median", "solid"), ("p90", "dot")):
            column = pay_column(stat, tier)
            if column in market.columns:
                fig.add_trace(go.Scatter(x=dates, y=market[column], mode="lines",
                                         name=f"{tier} {stat}", legendgroup=tier,
                                         line={"color": colour, "dash": dash}))
    _layout(fig, "pay ($ a year)", y_format="$,.0f", log_y=True)
    return Chart("pay_by_tier", "Pay by tier over time: median (solid) and 90th percentile "
                 "(dotted), log scale", fig)


def firm_pay_charts(run: RunFolder, colours: Mapping[str, str]) -> list[Chart]:
    """Per tier, the pay at each named firm (and the headcount-weighted mean over the
    generated firms), by month: the firms' median pay where ``firms.csv`` has it (AI
    tiers), else their mean pay."""
    firms = _grouped(run)
    charts = []
    for tier in run.tiers:
        stat = next((s for s in ("median", "mean")
                     if per_tier(f"pay_{s}", tier) in firms.columns), None)
        heads = per_tier(col.HEADCOUNT, tier)
        if stat is None or heads not in firms.columns:
            continue
        pay = per_tier(f"pay_{stat}", tier)
        rows = firms[pd.to_numeric(firms[pay], errors="coerce").notna()
                     & (firms[heads] > 0)]
        if rows.empty:
            continue
        fig = go.Figure()
        for group in _group_order(run, list(rows["group"].unique())):
            part = rows[rows["group"] == group]
            weighted = (part[pay] * part[heads]).groupby(part["when"]).sum()
            series = weighted / part.groupby("when")[heads].sum()
            fig.add_trace(go.Scatter(x=series.index, y=series.to_numpy(), name=group,
                                     mode="lines", line={"color": colours.get(group)}))
        _layout(fig, f"{stat} pay, {tier} ($ a year)", y_format="$,.0f")
        charts.append(Chart(f"firm_pay_{tier}", f"{stat.capitalize()} pay of {tier}s by firm "
                            f"over time (generated firms: mean of their {stat}s, weighted by "
                            "headcount)", fig))
    return charts


def top_share_chart(run: RunFolder, colours: Mapping[str, str]) -> Chart | None:
    """Each firm's share of the employed top tier (the first tier), by month."""
    if not run.tiers or per_tier(col.HEADCOUNT, run.tiers[0]) not in run.firms.columns:
        return None
    top = run.tiers[0]
    firms = _grouped(run)
    heads = firms.groupby(["when", "group"])[per_tier(col.HEADCOUNT, top)].sum()
    share = (heads / heads.groupby("when").transform("sum")).unstack("group")
    fig = go.Figure()
    for group in _group_order(run, list(share.columns)):
        fig.add_trace(go.Scatter(x=share.index, y=share[group], name=group, mode="lines",
                                 line={"color": colours.get(group)}))
    _layout(fig, f"share of employed {top}s", y_format=".1%")
    return Chart("top_share", f"Each firm's share of the top tier ({top}) over time", fig)


def gpu_top_share_chart(run: RunFolder, colours: Mapping[str, str]) -> Chart | None:
    """GPUs against share of the top tier, final month: one point per firm (the
    generated firms as one grey trace of points, each hover naming the firm and its GPUs).
    The GPU axis is logarithmic, so a firm with no GPUs is drawn at 1."""
    if not run.tiers or per_tier(col.HEADCOUNT, run.tiers[0]) not in run.firms.columns:
        return None
    top = per_tier(col.HEADCOUNT, run.tiers[0])
    firms = _grouped(run)
    last = firms[firms[col.MONTH] == firms[col.MONTH].max()].copy()
    total = last[top].sum()
    last["share"] = last[top] / total if total else np.nan
    fig = go.Figure()
    for group in _group_order(run, list(last["group"].unique())):
        part = last[last["group"] == group]
        fig.add_trace(go.Scatter(
            x=np.maximum(part[col.GPUS].to_numpy(dtype=float), 1.0), y=part["share"],
            name=group, mode="markers", text=part[col.FIRM], customdata=part[col.GPUS],
            marker={"color": colours.get(group), "size": 10},
            hovertemplate=("%{text}<br>GPUs %{customdata:,.0f}<br>share %{y:.1%}"
                           "<extra></extra>")))
    threshold = run.gpu_threshold
    if threshold:
        fig.add_vline(x=threshold, line_dash="dash", line_color="#888",
                      annotation_text="GPU threshold")
    _layout(fig, f"share of employed {run.tiers[0]}s",
            x_title="GPUs (log scale; a firm with none at 1)",
            hover="closest", y_format=".1%")
    fig.update_xaxes(type="log")
    return Chart("gpu_vs_top_share", "GPU stock against share of the top tier, final month",
                 fig)


def deals_chart(run: RunFolder) -> Chart | None:
    """Price per engineer of each deal by date: scheduled deals (diamonds) apart from the
    model's own (circles); blocked deals hollow."""
    deals = run.deals
    if deals.empty or col.DEAL_PRICE_PER_ENGINEER not in deals.columns:
        return None
    deals = deals.copy()
    deals["when"] = pd.to_datetime(deals[col.DATE], format="%Y-%m", errors="coerce")
    origin, blocked = deal_origins(deals), blocked_deals(deals)
    fig = go.Figure()
    symbols = {"scheduled": "diamond", "model": "circle"}
    colours = {"scheduled": "#d1495b", "model": "#0b3c5d"}
    found = set(origin)
    for name in [*(o for o in col.DEAL_ORIGINS if o in found),
                 *sorted(found - set(col.DEAL_ORIGINS))]:
        for is_blocked in (False, True):
            part = deals[(origin == name) & (blocked == is_blocked)]
            if part.empty:
                continue
            text = [f"{b} → {t} ({f})" for b, t, f in zip(
                part[col.DEAL_BUYER], part[col.DEAL_TARGET],
                part.get(col.DEAL_FORM, pd.Series("", index=part.index)), strict=True)]
            symbol = symbols.get(name, "square") + ("-open" if is_blocked else "")
            fig.add_trace(go.Scatter(
                x=part["when"], y=part[col.DEAL_PRICE_PER_ENGINEER], mode="markers",
                name=f"{name}{' (blocked)' if is_blocked else ''}",
                legendgroup=name, text=text,
                customdata=np.column_stack([part[col.DEAL_PRICE],
                                            part[col.DEAL_ENGINEERS_MOVED]]),
                marker={"symbol": symbol, "size": 12, "color": colours.get(name, "#555"),
                        "line": {"width": 2, "color": colours.get(name, "#555")}},
                hovertemplate="%{text}<br>%{x|%Y-%m}<br>$%{y:,.0f} per engineer"
                              "<br>price $%{customdata[0]:,.0f}, "
                              "%{customdata[1]} engineers moved<extra></extra>"))
    _layout(fig, "price per engineer moved ($, log scale)", hover="closest",
            y_format="$,.0f", log_y=True)
    fig.update_layout(showlegend=True)
    return Chart("deals", "Deals: price per engineer by date, scheduled (in the scenario's "
                 "timeline) and the model's own", fig)


def blocked_deals(deals: pd.DataFrame) -> pd.Series:
    """Whether each deal of ``deals.csv`` was blocked (False when the column is missing)."""
    if col.DEAL_BLOCKED not in deals.columns:
        return pd.Series(False, index=deals.index)
    return deals[col.DEAL_BLOCKED].astype(str).str.lower().isin(["true", "1", "1.0"])


def deal_origins(deals: pd.DataFrame) -> pd.Series:
    """Each deal's origin, ``scheduled`` or ``model`` (``unknown`` for a run written
    before deals recorded it)."""
    if col.DEAL_ORIGIN not in deals.columns:
        return pd.Series("unknown", index=deals.index)
    return deals[col.DEAL_ORIGIN].astype(str)


def rates_chart(run: RunFolder) -> Chart:
    """Unemployment rate and job-to-job rate by month."""
    market, dates = run.market, run.dates()
    fig = go.Figure()
    for column, name, colour in ((col.UNEMPLOYMENT_RATE, "unemployment rate", "#d1495b"),
                                 (col.JOB_TO_JOB_RATE, "job-to-job moves (of employed)",
                                  "#0b3c5d")):
        if column in market.columns:
            fig.add_trace(go.Scatter(x=dates, y=market[column], name=name, mode="lines",
                                     line={"color": colour}))
    _layout(fig, "rate (monthly)", y_format=".2%")
    return Chart("rates", "Unemployment and job-to-job rates over time", fig)


def run_charts(run: RunFolder, colours: Mapping[str, str] | None = None) -> list[Chart]:
    """Every interactive chart of one run, in reading order."""
    colours = colours if colours is not None else run_colours([run])
    charts: list[Chart | None] = [
        headcount_chart(run, colours), top_share_chart(run, colours),
        gpu_top_share_chart(run, colours), pay_by_tier_chart(run),
        *firm_pay_charts(run, colours), deals_chart(run), rates_chart(run),
    ]
    return [c for c in charts if c is not None]


# --------------------------------------------------------------------------- comparisons


COMPARED_SERIES: tuple[tuple[str, str, str], ...] = (
    (col.UNEMPLOYMENT_RATE, "unemployment rate", ".2%"),
    (col.JOB_TO_JOB_RATE, "job-to-job moves (share of employed, monthly)", ".2%"),
    (col.TOP_SHARE_ABOVE_THRESHOLD, "top tier at firms above the GPU threshold", ".1%"),
    (col.TOP_HHI, "HHI of the top tier (0-10,000)", ",.0f"),
    (col.AI_PAY_RATIO, "AI / non-AI median pay", ".3f"),
)
"""Series of ``market.csv`` drawn for every run on one chart: column, title, format."""


def compare_charts(runs: Sequence[RunFolder]) -> list[Chart]:
    """The key series of every run on shared axes: one colour per run (the legend names
    the runs; click one to hide it).

    Run labels may hold a folder's name, which may hold anything: they are HTML-escaped,
    since plotly reads tags (``<b>``, ``<a href>``) in trace names.
    """
    charts = []
    for column, title, fmt in COMPARED_SERIES:
        if any(column in r.market.columns for r in runs):
            fig = go.Figure()
            for k, run in enumerate(runs):
                if column in run.market.columns:
                    fig.add_trace(go.Scatter(x=run.dates(), y=run.market[column],
                                             name=escape(run.label), mode="lines",
                                             line={"color": _run_colour(k)}))
            _layout(fig, title, y_format=fmt)
            charts.append(Chart(f"compare_{column}", f"{title[0].upper()}{title[1:]}, all runs",
                                fig))
    tiers: list[str] = []
    for run in runs:
        tiers.extend(t for t in run.tiers if t not in tiers)
    fig = go.Figure()
    for k, run in enumerate(runs):
        for j, tier in enumerate(tiers):
            column = pay_column("median", tier)
            if column in run.market.columns:
                fig.add_trace(go.Scatter(
                    x=run.dates(), y=run.market[column], mode="lines",
                    name=escape(f"{run.label}: {tier}"), legendgroup=run.label,
                    line={"color": _run_colour(k), "dash": DASHES[j % len(DASHES)]}))
    _layout(fig, "median pay ($ a year, log scale)", y_format="$,.0f", log_y=True)
    charts.append(Chart("compare_pay", "Median pay by tier, all runs (one colour per run, "
                        "one dash per tier)", fig))
    shares = _final_top_shares(runs)
    if shares is not None:
        fig = go.Figure()
        for k, run in enumerate(runs):
            fig.add_trace(go.Bar(x=shares.index, y=shares[run.label],
                                 name=escape(run.label),
                                 marker_color=_run_colour(k)))
        _layout(fig, "share of the employed top tier, final month", hover="x unified",
                y_format=".1%")
        fig.update_layout(barmode="group")
        charts.append(Chart("compare_top_share_by_firm", "Each firm's share of the top tier "
                            "at the end, all runs", fig))
    return charts


DASHES = ("solid", "dash", "dot", "dashdot", "longdash")


def _run_colour(k: int) -> str:
    return RUN_COLOURS[k % len(RUN_COLOURS)]


def _final_top_shares(runs: Sequence[RunFolder]) -> pd.DataFrame | None:
    """Share of the top tier by firm group in the final month: groups (rows) by runs."""
    columns = {}
    for run in runs:
        if not run.tiers or per_tier(col.HEADCOUNT, run.tiers[0]) not in run.firms.columns:
            return None
        firms = _grouped(run)
        last = firms[firms[col.MONTH] == firms[col.MONTH].max()]
        heads = last.groupby("group")[per_tier(col.HEADCOUNT, run.tiers[0])].sum()
        columns[run.label] = heads / heads.sum() if heads.sum() else heads * np.nan
    table = pd.DataFrame(columns).fillna(0.0)
    order: list[str] = []
    for run in runs:
        order.extend(g for g in named_firms(run.manifest["scenario"]) if g not in order)
    order.append(GENERATED)
    return table.reindex([g for g in order if g in table.index])


# --------------------------------------------------------------------------- replicates


def band_charts(summaries: Sequence[tuple[str, pd.DataFrame, Mapping[int, Any]]],
                tiers: Sequence[str]) -> list[Chart]:
    """Means over replicates with their 95% intervals as bands, one chart per measure;
    one colour per replicate folder.

    ``summaries`` holds, per folder, its label, its ``summary.csv`` table and the calendar
    date of each month.
    """
    series = [*COMPARED_SERIES,
              *((pay_column("median", t), f"median pay, {t} ($ a year)", "$,.0f")
                for t in tiers)]
    charts = []
    for column, title, fmt in series:
        fig = go.Figure()
        for k, (label, summary, dates) in enumerate(summaries):
            rows = summary[summary["measure"] == column].sort_values("month")
            if rows.empty:
                continue
            x = [dates.get(int(m), int(m)) for m in rows["month"]]
            colour = _run_colour(k)
            fig.add_trace(go.Scatter(
                x=[*x, *x[::-1]], y=[*rows["ci_high"], *rows["ci_low"][::-1]],
                fill="toself", fillcolor=_transparent(colour), line={"width": 0},
                mode="lines",
                name=escape(f"{label}: 95% interval"), legendgroup=label, hoverinfo="skip",
                showlegend=False))
            fig.add_trace(go.Scatter(
                x=x, y=rows["mean"], name=escape(label), legendgroup=label, mode="lines",
                line={"color": colour},
                customdata=np.column_stack([rows["ci_low"], rows["ci_high"]]),
                hovertemplate=f"%{{y:{fmt}}} [%{{customdata[0]:{fmt}}}, "
                              f"%{{customdata[1]:{fmt}}}]"))
        if fig.data:
            _layout(fig, title, y_format=fmt)
            charts.append(Chart(f"band_{column}", f"{title[0].upper()}{title[1:]}: mean over "
                                "replicates, band: 95% interval of the mean", fig))
    return charts


def _transparent(colour: str, alpha: float = 0.2) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"
