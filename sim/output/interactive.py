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
from sim.columns import pay_column
from sim.output import charts
from sim.output.charts import TOP_SHARE_NOTE, RunTables, firm_labels, month_dates
from sim.output.palette import FirmLabels
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


def run_tables(run: RunFolder, colour_order: Sequence[str] | None = None) -> RunTables:
    """The run's records for its charts, its firms labelled as the PNG plots label them
    (:func:`sim.output.charts.firm_labels`); ``colour_order``: the named firms whose order
    fixes the colours (on a page of several runs, :func:`sim.output.charts.named_in_runs`)."""
    return RunTables.from_run(run, firm_labels(run, colour_order))


def _firm_lines(fig: go.Figure, table: pd.DataFrame, dates: Mapping[int, pd.Timestamp],
                labels: FirmLabels, **trace: Any) -> None:
    """One line per column of a chart table (a row per month, a column per label), in the
    label's colour; a label without any value (a firm with no one of the tier) is left
    out."""
    x = table.index.map(dates)
    for label in table.columns[table.notna().any()]:
        fig.add_trace(go.Scatter(x=x, y=table[label], name=label, mode="lines",
                                 line={"color": labels.colours.get(label)}, **trace))


def headcount_chart(run: RunFolder, tables: RunTables | None = None) -> Chart:
    """Headcount of each named firm and of the generated firms together, by month
    (:func:`sim.output.charts.headcount_by_firm`, all engineers)."""
    tables = tables if tables is not None else run_tables(run)
    frame = charts.headcount_by_firm(tables)
    order = tables.labels.order(tables.firms[col.FIRM].astype(str))
    table = charts.wide(frame[frame[col.FLOW_TIER] == charts.ALL_ENGINEERS], charts.HEADCOUNT,
                        order)
    fig = go.Figure()
    _firm_lines(fig, table.where(table > 0), month_dates(run), tables.labels)  # no 0 on a log
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


def firm_pay_charts(run: RunFolder, tables: RunTables | None = None) -> list[Chart]:
    """Per tier, the pay at each named firm (and the headcount-weighted mean over the
    generated firms), by month (:func:`sim.output.charts.pay_by_firm`): the firms' median
    pay where ``firms.csv`` has it (AI tiers), else their mean pay."""
    tables = tables if tables is not None else run_tables(run)
    frame = charts.pay_by_firm(tables)
    months = pd.Index(np.unique(tables.firms[col.MONTH]), name=col.MONTH)
    order = tables.labels.order(tables.firms[col.FIRM].astype(str))
    out = []
    for tier in tables.tiers:
        rows = frame[frame[col.FLOW_TIER] == tier]
        if rows.empty:
            continue
        stat = str(rows[charts.STATISTIC].iloc[0])
        fig = go.Figure()
        _firm_lines(fig, charts.wide(rows, charts.PAY, order, months), month_dates(run),
                    tables.labels)
        _layout(fig, f"{stat} pay, {tier} ($ a year)", y_format="$,.0f")
        out.append(Chart(f"firm_pay_{tier}", f"{stat.capitalize()} pay of {tier}s by firm "
                         f"over time (generated firms: mean of their {stat}s, weighted by "
                         "headcount)", fig))
    return out


def top_share_chart(run: RunFolder, tables: RunTables | None = None) -> Chart | None:
    """Each firm's share of the top tier (the first tier), by month, stacked with the
    tier's unemployed on top (:func:`sim.output.charts.top_shares`: a month's shares add
    up to 100%)."""
    tables = tables if tables is not None else run_tables(run)
    if not charts.has_top_tier(tables):
        return None
    fig = go.Figure()
    _firm_lines(fig, charts.top_shares(tables).fillna(0.0), month_dates(run), tables.labels,
                stackgroup="share")
    top = tables.tiers[0]
    _layout(fig, f"% of {top} ({TOP_SHARE_NOTE})", y_format=".1f")
    return Chart("top_share", f"Each firm's share of the top tier ({top}) over time, "
                 "stacked, the tier's unemployed on top", fig)


def gpu_top_share_chart(run: RunFolder, tables: RunTables | None = None) -> Chart | None:
    """GPUs against share of the employed top tier, final month: one point per firm
    (:func:`sim.output.charts.gpu_and_top_share`; the generated firms as one grey trace of
    points, each hover naming the firm and its GPUs). The GPU axis is logarithmic, so a
    firm with no GPUs is drawn at 1."""
    tables = tables if tables is not None else run_tables(run)
    if not charts.has_top_tier(tables):
        return None
    frame = charts.gpu_and_top_share(tables)
    fig = go.Figure()
    for label in tables.labels.order(frame[col.FIRM]):
        part = frame[frame[charts.LABEL] == label]
        fig.add_trace(go.Scatter(
            x=np.maximum(part[col.GPUS].to_numpy(dtype=float), 1.0), y=part[charts.TOP_SHARE],
            name=label, mode="markers", text=part[col.FIRM], customdata=part[col.GPUS],
            marker={"color": tables.labels.colours.get(label), "size": 10},
            hovertemplate=("%{text}<br>GPUs %{customdata:,.0f}<br>share %{y:.1f}%"
                           "<extra></extra>")))
    if tables.threshold:
        fig.add_vline(x=tables.threshold, line_dash="dash", line_color="#888",
                      annotation_text="GPU threshold")
    _layout(fig, f"share of employed {tables.tiers[0]}s (%)",
            x_title="GPUs (log scale; a firm with none at 1)",
            hover="closest", y_format=".1f")
    fig.update_xaxes(type="log")
    return Chart("gpu_vs_top_share", "GPU stock against share of the top tier, final month",
                 fig)


def deals_chart(run: RunFolder) -> Chart | None:
    """Price per engineer of each deal by date (:func:`sim.output.charts.deal_timeline`):
    scheduled deals (diamonds) apart from the model's own (circles); blocked deals
    hollow."""
    if run.deals.empty or col.DEAL_PRICE_PER_ENGINEER not in run.deals.columns:
        return None
    deals = charts.deal_timeline(RunTables.from_run(run))
    when = pd.to_datetime(deals[col.DATE], format="%Y-%m", errors="coerce")
    origin, blocked = deals[col.DEAL_ORIGIN], deals[charts.STATUS] == "blocked"
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
                part[col.DEAL_BUYER], part[col.DEAL_TARGET], part[col.DEAL_FORM], strict=True)]
            symbol = symbols.get(name, "square") + ("-open" if is_blocked else "")
            fig.add_trace(go.Scatter(
                x=when[part.index], y=part[col.DEAL_PRICE_PER_ENGINEER], mode="markers",
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


def run_charts(run: RunFolder, colour_order: Sequence[str] | None = None) -> list[Chart]:
    """Every interactive chart of one run, in reading order; ``colour_order`` as for
    :func:`run_tables`."""
    tables = run_tables(run, colour_order)
    drawn: list[Chart | None] = [
        headcount_chart(run, tables), top_share_chart(run, tables),
        gpu_top_share_chart(run, tables), pay_by_tier_chart(run),
        *firm_pay_charts(run, tables), deals_chart(run), rates_chart(run),
    ]
    return [c for c in drawn if c is not None]


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
    out = []
    for column, title, fmt in COMPARED_SERIES:
        if any(column in r.market.columns for r in runs):
            fig = go.Figure()
            for k, run in enumerate(runs):
                if column in run.market.columns:
                    fig.add_trace(go.Scatter(x=run.dates(), y=run.market[column],
                                             name=escape(run.label), mode="lines",
                                             line={"color": _run_colour(k)}))
            _layout(fig, title, y_format=fmt)
            out.append(Chart(f"compare_{column}", f"{title[0].upper()}{title[1:]}, all runs",
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
    out.append(Chart("compare_pay", "Median pay by tier, all runs (one colour per run, "
                     "one dash per tier)", fig))
    order = charts.named_in_runs(runs)
    tables = {run.label: run_tables(run, order) for run in runs}
    if all(charts.has_top_tier(t) for t in tables.values()):
        shares = charts.top_shares_at_end(tables)
        fig = go.Figure()
        for k, run in enumerate(runs):
            fig.add_trace(go.Bar(x=shares.index, y=shares[run.label],
                                 name=escape(run.label),
                                 marker_color=_run_colour(k)))
        _layout(fig, f"% of the top tier ({TOP_SHARE_NOTE}), final month",
                hover="x unified", y_format=".1f")
        fig.update_layout(barmode="group")
        out.append(Chart("compare_top_share_by_firm", "Each firm's share of the top tier at "
                         "the end (and the tier's unemployed), all runs", fig))
    return out


DASHES = ("solid", "dash", "dot", "dashdot", "longdash")


def _run_colour(k: int) -> str:
    return RUN_COLOURS[k % len(RUN_COLOURS)]


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
    out = []
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
            out.append(Chart(f"band_{column}", f"{title[0].upper()}{title[1:]}: mean over "
                                "replicates, band: 95% interval of the mean", fig))
    return out


def _transparent(colour: str, alpha: float = 0.2) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"
