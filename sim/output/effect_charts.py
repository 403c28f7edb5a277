"""Interactive charts of effects for the report comparing replicate folders: the paired
difference over time with its band, effects in % of the reference, and each firm's share
of each tier with its paired interval (drawn from the tables of
:mod:`sim.output.effects` and :mod:`sim.output.firm_effects`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.output.effects import FINAL_MONTH, TOP_SHARE_PREFIX
from sim.output.firm_effects import SHARE
from sim.output.interactive import Chart, _layout, _run_colour, _transparent


def _band(fig: go.Figure, rows: pd.DataFrame, dates: Mapping[int, Any], colour: str,
          name: str, fmt: str) -> None:
    """A difference line with its 95% band; hover gives Δ, its interval and Δ in %."""
    x = [dates.get(int(m), int(m)) for m in rows["month"]]
    fig.add_trace(go.Scatter(
        x=[*x, *x[::-1]], y=[*rows["high"], *rows["low"][::-1]], fill="toself",
        fillcolor=_transparent(colour), line={"width": 0}, mode="lines",
        name=f"{name}: 95% interval", legendgroup=name, hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(
        x=x, y=rows["mean_difference"], name=name, legendgroup=name, mode="lines",
        line={"color": colour},
        customdata=np.column_stack([rows["low"], rows["high"], rows["percent_difference"]]),
        hovertemplate=f"Δ %{{y:{fmt}}} [%{{customdata[0]:{fmt}}}, %{{customdata[1]:{fmt}}}]"
                      " (%{customdata[2]:+.1f}% of the reference)"))


def effect_charts(results: Sequence[tuple[str, pd.DataFrame]], dates: Mapping[int, Any],
                  colours: Mapping[str, str]) -> list[Chart]:
    """One chart per key market measure (one colour per compared folder), then one chart
    of the named firms' shares of the top tier (one colour per firm, first compared folder
    solid, the others dashed): the paired difference ``other - reference`` month by month
    with its 95% band and a dotted zero line."""
    measures = list(dict.fromkeys(str(m) for _, t in results for m in t["measure"]))
    market = [m for m in measures if not m.startswith(TOP_SHARE_PREFIX)]
    charts = []
    for k_measure, measure in enumerate(market):
        fig = go.Figure()
        for k, (label, table) in enumerate(results):
            rows = table[table["measure"] == measure]
            if len(rows):
                _band(fig, rows, dates, _run_colour(k + 1), escape(label),
                      ",.0f" if "$" in measure or "HHI" in measure else ".3f")
        fig.add_hline(y=0, line_dash="dot", line_color="#888")
        _layout(fig, f"Δ {measure}")
        charts.append(Chart(f"effect_{k_measure}", f"Paired difference over time: "
                            f"{measure} (other − reference, mean over seeds; band: 95% "
                            "interval)", fig))
    shares = [m for m in measures if m.startswith(TOP_SHARE_PREFIX)]
    if shares:
        fig = go.Figure()
        for k, (label, table) in enumerate(results):
            for measure in shares:
                firm = measure[len(TOP_SHARE_PREFIX):].removesuffix(" (%)")
                rows = table[table["measure"] == measure]
                if len(rows):
                    name = firm if len(results) == 1 else f"{firm} ({label})"
                    _band(fig, rows, dates, colours.get(firm, "#555555"), escape(name),
                          ".2f")
                    if k:
                        fig.data[-1].line.dash = "dash"
        fig.add_hline(y=0, line_dash="dot", line_color="#888")
        _layout(fig, "Δ share of the top tier (percentage points)")
        charts.append(Chart("effect_top_share", "Each firm's share of the top tier: paired "
                            "difference over time (percentage points; band: 95% interval; "
                            "click a firm in the legend to hide it)", fig))
    return charts


def percent_chart(results: Sequence[tuple[str, pd.DataFrame]]) -> Chart:
    """The key measures' effects at the end in % of the reference, with their intervals
    in %: one marker per measure and compared folder, filled where the verdict holds with
    the false discovery rate controlled, hollow where only the measure's own interval
    excludes 0."""
    fig = go.Figure()
    for k, (label, table) in enumerate(results):
        known = table[table["percent_difference"].notna() & (table.index != FINAL_MONTH)]
        scale = 100.0 / known["reference_mean"].abs().where(known["reference_mean"] != 0)
        low = (known["low"] * scale).to_numpy(dtype=float)
        high = (known["high"] * scale).to_numpy(dtype=float)
        x = known["percent_difference"].to_numpy(dtype=float)
        filled = known["distinguishable_fdr"].to_numpy(dtype=bool)
        colour = _run_colour(k + 1)
        fig.add_trace(go.Scatter(
            x=x, y=[escape(str(n)) for n in known.index], mode="markers", name=escape(label),
            error_x={"type": "data", "symmetric": False, "array": np.nan_to_num(high - x),
                     "arrayminus": np.nan_to_num(x - low), "color": colour},
            marker={"color": colour, "size": 10,
                    "symbol": ["circle" if f else "circle-open" for f in filled]},
            customdata=np.column_stack([low, high]),
            hovertemplate="%{y}: %{x:+.2f}% [%{customdata[0]:+.2f}%, "
                          "%{customdata[1]:+.2f}%]<extra></extra>"))
    fig.add_vline(x=0, line_dash="dot", line_color="#888")
    _layout(fig, "", x_title="effect at the end, % of the reference (95% interval)",
            hover="closest")
    fig.update_yaxes(autorange="reversed")
    n = max((len(t) for _, t in results), default=1)
    fig.update_layout(height=max(440, 26 * n + 120))
    return Chart("effect_percent", "Effects at the end in % of the reference: filled, the "
                 "verdict holds with the false discovery rate at 5% (Benjamini–Hochberg); "
                 "hollow, only the measure's own 95% interval excludes 0", fig)


def firm_share_chart(results: Sequence[tuple[str, pd.DataFrame]],
                     colours: Mapping[str, str]) -> Chart | None:
    """Each place's share of each tier at the end: the paired difference in percentage
    points with its 95% interval, one bar per place in its colour, grouped by tier; the
    hover gives both folders' shares."""
    fig = go.Figure()
    for k, (label, table) in enumerate(results):
        rows = table[table["measure"] == SHARE]
        for place in dict.fromkeys(rows["firm"]):
            part = rows[rows["firm"] == place]
            diff = part["mean_difference"].to_numpy(dtype=float)
            fig.add_trace(go.Bar(
                x=[escape(str(t)) for t in part["tier"]], y=diff,
                name=escape(place if len(results) == 1 else f"{place} ({label})"),
                marker={"color": colours.get(place, "#555555"),
                        "pattern": {"shape": "/" if k else ""}},
                error_y={"type": "data", "symmetric": False,
                         "array": np.nan_to_num(part["high"].to_numpy(dtype=float) - diff),
                         "arrayminus": np.nan_to_num(diff - part["low"].to_numpy(
                             dtype=float))},
                customdata=np.column_stack([part["reference_mean"], part["other_mean"],
                                            part["low"], part["high"]]),
                hovertemplate=(f"{escape(place)}: Δ %{{y:+.2f}} pp [%{{customdata[2]:+.2f}},"
                               " %{customdata[3]:+.2f}]<br>reference %{customdata[0]:.2f}%, "
                               "other %{customdata[1]:.2f}%<extra></extra>")))
    if not fig.data:
        return None
    fig.add_hline(y=0, line_dash="dot", line_color="#888")
    _layout(fig, "Δ share of the tier at the end (percentage points)", hover="closest")
    fig.update_layout(barmode="group")
    return Chart("firm_shares", "Each firm's share of each tier at the end: paired "
                 "difference (other − reference) with its 95% interval", fig)


def _cell(row: pd.Series) -> str:
    """``+1.2 [0.3, 2.1]`` for a firm table cell."""
    def num(v: float) -> str:
        if math.isnan(v):
            return "n/a"
        return f"{v:+,.0f}" if abs(v) >= 100 else f"{v:+.2f}"

    if math.isnan(float(row["low"])):
        return num(float(row["mean_difference"]))
    return (f"{num(float(row['mean_difference']))} "
            f"[{num(float(row['low']))}, {num(float(row['high']))}]")


def firm_table(firms: pd.DataFrame, tier: str) -> pd.DataFrame:
    """One tier's firm differences as a wide table of display cells: places (rows) by
    measures (columns), each cell ``Δ [low, high]``, with a parallel table of verdicts
    (``""``, ``"differs"`` or ``"differs-bh"``)."""
    part = firms[firms["tier"] == tier]
    measures = list(dict.fromkeys(part["measure"]))
    places = list(dict.fromkeys(part["firm"]))
    cells = pd.DataFrame("", index=places, columns=measures)
    marks = pd.DataFrame("", index=places, columns=measures)
    for _, row in part.iterrows():
        cells.loc[row["firm"], row["measure"]] = _cell(row)
        marks.loc[row["firm"], row["measure"]] = (
            "differs-bh" if row["distinguishable_fdr"] else
            "differs" if row["distinguishable"] else "")
    cells.attrs["marks"] = marks
    return cells
