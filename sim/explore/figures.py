"""The app's charts as ECharts options, each drawn from one chart-data frame
(:mod:`sim.output.charts`) in the firms' colours of every plot (:mod:`sim.output.palette`).

An option is plain data (a dict the browser's ECharts draws; ``echarts`` is served by
``solara-assets``). The app redraws every chart while it plays, so a chart is cheap to
build and to send: no per-property validation, no figure object kept in Python, and the
views of a model (:class:`LiveViews`) keep the lines of the months already drawn and
compute the chart data of the new months only (a month's shares, pay and counts depend on
that month's records alone).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import jinja2
import pandas as pd

from sim import columns as col
from sim.output import charts
from sim.output.palette import UNEMPLOYMENT_LABEL

Option = dict[str, Any]
GAP = 4.0
"""Space between the panels of a chart, in percent of its width."""
FORM_SYMBOLS = {"acquisition": "circle", "license_and_hire": "rect"}


def split_title(option: Option) -> tuple[str, Option]:
    """The chart's title, and the option without it (to write the title on the page)."""
    titles = option.get("title")
    if isinstance(titles, list):
        return str(titles[0]["text"]), {**option, "title": titles[1:]}
    if isinstance(titles, dict):
        rest = {k: v for k, v in option.items() if k != "title"}
        return str(titles.get("text", "")), rest
    return "", option


def _base(title: str) -> Option:
    return {"animation": False, "title": {"text": title, "textStyle": {"fontSize": 13}},
            "tooltip": {"trigger": "item"}, "textStyle": {"fontSize": 11}}


def _panels(option: Option, names: list[str], months: int, left: float = 6.0,
            right: float = 2.0, **yaxis: Any) -> None:
    """Side-by-side panels (grids), one per name, with the month axis 0..months."""
    n = max(len(names), 1)
    width = (100 - left - right - GAP * (n - 1)) / n
    option["grid"], option["xAxis"], option["yAxis"] = [], [], []
    option["title"] = [option["title"]]
    for k, name in enumerate(names):
        x0 = left + k * (width + GAP)
        option["grid"].append({"left": f"{x0}%", "width": f"{width}%", "top": 55,
                               "bottom": 45})
        option["xAxis"].append({"gridIndex": k, "type": "value", "min": 0, "max": months,
                                "name": "month", "nameLocation": "middle", "nameGap": 25})
        option["yAxis"].append({"gridIndex": k, "scale": True, **yaxis})
        option["title"].append({"text": name, "left": f"{x0 + width / 2}%", "top": 30,
                                "textAlign": "center", "textStyle": {"fontSize": 11}})


Point = list[Any]
"""A point of a line: ``[month, value]`` (value ``None`` where the data has none)."""


def _points(frame: pd.DataFrame, value: str, unit: float = 1.0
            ) -> Iterable[tuple[str, str, Point]]:
    """``(tier, label, [month, value / unit])`` of every row of a tidy chart frame, value
    rounded to 4 decimals."""
    for m, tier, label, v in zip(frame[col.MONTH], frame[col.FLOW_TIER], frame[charts.LABEL],
                                 frame[value], strict=True):
        yield str(tier), str(label), [int(m), None if pd.isna(v) else round(float(v) / unit, 4)]


def _line(tables: charts.RunTables, label: str, points: list[Point], axis: int) -> Option:
    """One line of a label on panel ``axis`` (a symbol on each point while it has one)."""
    return {"type": "line", "name": label, "data": points, "xAxisIndex": axis,
            "yAxisIndex": axis, "showSymbol": len(points) < 2,
            "color": tables.labels.colours.get(label, "#555555"), "lineStyle": {"width": 1.5}}


class LiveViews:
    """The views of one model as it runs, kept between redraws.

    Each :meth:`update` computes the chart data (:func:`charts.tier_shares`,
    :func:`charts.pay_by_firm`, :func:`charts.counter_offers_and_moves`) of the months
    recorded since the last one only, and adds it to what is kept: the lines' points by
    tier and label, and the counts summed over months 1 to now (sum over months 1..m =
    sum over 1..m' + sum over m'+1..m). The figures it draws equal those drawn from all
    the months at once (``tier_share_figure(tables)`` is a new ``LiveViews`` updated once).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self.month = -1
        self.shares: dict[tuple[str, str], list[Point]] = {}
        self.pay: dict[tuple[str, str], list[Point]] = {}
        self.statistic: dict[str, str] = {}
        self.order: list[str] = []
        self.counts: pd.DataFrame | None = None
        self.table: pd.DataFrame | None = None

    def update(self, tables: charts.RunTables) -> LiveViews:
        """Add the months of ``tables`` after the last one kept (all of them if ``tables``
        ends before it: another model's records)."""
        with self._lock:
            if tables.month < self.month:
                self._clear()
            if tables.month == self.month:
                return self
            firms = tables.firms[tables.firms[col.MONTH] > self.month]
            market = tables.market[tables.market[col.MONTH] > self.month]
            new = replace(tables, firms=firms, market=market)
            self.order += [label for label in tables.labels.order(
                pd.unique(firms[col.FIRM].astype(str))) if label not in self.order]
            for tier, label, point in _points(charts.tier_shares(new), charts.SHARE):
                if label != UNEMPLOYMENT_LABEL:
                    self.shares.setdefault((tier, label), []).append(point)
            pay = charts.pay_by_firm(new)
            for tier, statistic in zip(pay[col.FLOW_TIER], pay[charts.STATISTIC],
                                       strict=True):
                self.statistic.setdefault(str(tier), str(statistic))
            for tier, label, point in _points(pay, charts.PAY, unit=1e6):
                self.pay.setdefault((tier, label), []).append(point)
            table = charts.counter_offers_and_moves(new)
            counts = list(charts.COUNTER_OFFER_COLUMNS)
            if self.counts is not None:
                table[counts] = table[counts] + self.counts.reindex(table.index).fillna(0.0)
            self.counts, self.table = table[counts], table
            self.month = tables.month
            return self

    def _series(self, tables: charts.RunTables, lines: dict[tuple[str, str], list[Point]],
                tiers: list[str]) -> tuple[list[Option], list[str]]:
        """The lines of each tier's panel, labels in the plots' order, and the legend's
        names. Each line gets a copy of its points (later months change no option drawn)."""
        series = [_line(tables, label, list(lines[tier, label]), k)
                  for k, tier in enumerate(tiers) for label in self.order
                  if (tier, label) in lines]
        names = [label for label in self.order
                 if any((tier, label) in lines for tier in tiers)]
        return series, names

    def tier_share_figure(self, tables: charts.RunTables) -> Option:
        """Named firms' share of each tier over time (:func:`charts.tier_shares`), one
        panel per tier; unemployment is left out of the drawing."""
        self.update(tables)
        tiers = list(tables.tiers)
        option = _base("Share of each tier by firm (% of all engineers of the tier, employed "
                       "or not)")
        _panels(option, tiers, tables.months, name="%")
        option["series"], names = self._series(tables, self.shares, tiers)
        option["legend"] = _legend(tables, names)
        return option

    def pay_figure(self, tables: charts.RunTables) -> Option:
        """Pay of each tier by firm over time (:func:`charts.pay_by_firm`), one panel per
        tier, log scale, in $ millions a year."""
        self.update(tables)
        tiers = [t for t in tables.tiers if t in self.statistic]
        option = _base("Pay by firm ($ million a year, log scale; median, or mean where no "
                       "median is kept)")
        # In $ millions, the log axis reads 0.1, 1, 10: labels short enough for three panels.
        _panels(option, [f"{t} ({self.statistic[t]})" for t in tiers], tables.months,
                left=6.0, type="log", logBase=10, name="$M")
        option["series"], names = self._series(tables, self.pay, tiers)
        option["legend"] = _legend(tables, names)
        return option

    def counter_offer_rows(self, tables: charts.RunTables) -> str:
        """The counter-offers and moves table (:func:`charts.counter_offers_and_moves`,
        months 1 to now) as HTML rows, one per firm (``data-firm`` = its label)."""
        self.update(tables)
        assert self.table is not None
        return _rows(tables, self.table)


def _legend(tables: charts.RunTables, names: list[str]) -> Option:
    return {"data": names, "type": "scroll", "top": 0, "textStyle": {"fontSize": 10},
            "itemWidth": 14, "itemHeight": 8}


def tier_share_figure(tables: charts.RunTables) -> Option:
    """Named firms' share of each tier over time (:meth:`LiveViews.tier_share_figure` of
    every month at once)."""
    return LiveViews().tier_share_figure(tables)


def pay_figure(tables: charts.RunTables) -> Option:
    """Pay of each tier by firm over time (:meth:`LiveViews.pay_figure` of every month at
    once)."""
    return LiveViews().pay_figure(tables)


def gpu_figure(tables: charts.RunTables) -> Option:
    """GPU stock of each firm against its share of the employed top tier, now
    (:func:`charts.gpu_and_top_share`), with the GPU threshold (log x; a firm without
    GPUs at 1)."""
    frame = charts.gpu_and_top_share(tables)
    option = _base(f"GPUs against top-tier share, month {tables.month}")
    option["grid"] = {"left": 55, "right": 20, "top": 30, "bottom": 45}
    option["xAxis"] = {"type": "log", "min": 1, "name": "GPU stock (H100s, log scale; 0 "
                       "shown as 1)", "nameLocation": "middle", "nameGap": 25}
    option["yAxis"] = {"type": "value", "name": f"% of employed {tables.tiers[0]}"}
    series = []
    for label, rows in frame.groupby(charts.LABEL, sort=False):
        named = label != tables.labels.rest
        series.append({
            "type": "scatter", "name": str(label), "symbolSize": 10 if named else 6,
            "color": tables.labels.colours.get(str(label), "#555555"),
            "label": {"show": bool(named), "position": "top", "fontSize": 9,
                      "formatter": "{@[2]}"},
            "data": [[max(float(g), 1.0), round(float(s), 3), str(f)] for g, s, f in zip(
                rows[col.GPUS], rows[charts.TOP_SHARE], rows[col.FIRM], strict=True)]})
    series[0]["markLine"] = {
        "silent": True, "symbol": "none", "lineStyle": {"type": "dotted", "color": "grey"},
        "label": {"formatter": f"threshold {tables.threshold:,.0f}", "fontSize": 10},
        "data": [{"xAxis": tables.threshold}]} if series else {}
    option["series"] = series
    return option


def deals_figure(tables: charts.RunTables) -> Option:
    """Deals by month and buyer (:func:`charts.deal_timeline`): the marker's shape is the
    form (circle: acquisition, square: license-and-hire), filled if done and empty if
    blocked; its size grows with the engineers moved."""
    frame = charts.deal_timeline(tables)
    title = "Deals (none yet)" if frame.empty else f"Deals ({len(frame)} so far)"
    option = _base(title)
    buyers = list(dict.fromkeys(frame[col.DEAL_BUYER].astype(str)))
    option["grid"] = {"left": 110, "right": 20, "top": 20, "bottom": 45}
    option["xAxis"] = {"type": "value", "min": 0, "max": tables.months, "name": "month",
                       "nameLocation": "middle", "nameGap": 25}
    option["yAxis"] = {"type": "category", "data": buyers}
    series = []
    for (form, status), rows in frame.groupby([col.DEAL_FORM, charts.STATUS], sort=False):
        symbol = FORM_SYMBOLS.get(str(form), "diamond")
        series.append({
            "type": "scatter", "name": f"{form} ({status})",
            "symbol": f"empty{symbol.capitalize()}" if status == "blocked" else symbol,
            "data": [{"value": [int(m), str(b)],
                      "symbolSize": 8 + 2 * math.sqrt(min(max(float(n), 0.0), 50.0)),
                      "itemStyle": {"color": tables.labels.colours.get(
                          tables.labels.label(str(b)), "#555555")},
                      "name": f"{b} takes {t} for ${float(p):,.0f} ({int(n)} engineers)"}
                     for m, b, t, p, n in zip(rows[col.MONTH], rows[col.DEAL_BUYER],
                                              rows[col.DEAL_TARGET], rows[col.DEAL_PRICE],
                                              rows[col.DEAL_ENGINEERS_MOVED], strict=True)]})
    option["series"] = series
    option["tooltip"] = {"trigger": "item", "formatter": "{b}"}
    return option


def counter_offer_rows(tables: charts.RunTables) -> str:
    """The counter-offers and moves table (:func:`charts.counter_offers_and_moves`) as
    HTML rows, one per firm (``data-firm`` = its label)."""
    return _rows(tables, charts.counter_offers_and_moves(tables))


TABLE_HEADINGS = ("firm", "policy", "counter-offers", "accepted", "retention calls", "kept",
                  "hires", "quits", "headcount")
"""The counter-offers table's headings: two text columns, then counts."""
TEXT_CELL = "padding: 2px 8px; text-align: left; white-space: nowrap"
NUMBER_CELL = "padding: 2px 8px; text-align: right; white-space: nowrap"
"""Cell styles of the counter-offers table: padded, so that its columns do not run into each
other, and counts aligned on the right."""


ROWS_TEMPLATE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined
                                   ).from_string(
    "<tr>{% for name in headings %}<th style=\"{{ text if loop.index0 < 2 else number }}\">"
    "{{ name }}</th>{% endfor %}</tr>"
    "{% for row in rows %}<tr data-firm=\"{{ row.label }}\">"
    "<td style=\"color:{{ row.colour }}; {{ text }}\">&#9632; {{ row.label }}</td>"
    "<td class=\"policy\" style=\"{{ text }}\">{{ row.policy }}</td>"
    "{% for cell in row.cells %}<td style=\"{{ number }}\">{{ cell }}</td>{% endfor %}"
    "</tr>{% endfor %}")
"""The counter-offers table's rows, rendered by Jinja2 with every value escaped."""


def _rows(tables: charts.RunTables, table: pd.DataFrame) -> str:
    """The rows of a counter-offers and moves table, a header first (:data:`ROWS_TEMPLATE`)."""
    rows = [{"label": str(label), "colour": tables.labels.colours.get(str(label), "#000000"),
             "policy": str(r[col.COUNTER_OFFER_POLICY]),
             "cells": [_count(r[c]) for c in (
                 col.COUNTER_OFFERS, col.COUNTER_OFFERS_ACCEPTED, col.RETENTION_CALLS,
                 col.RETENTION_KEPT, col.HIRES, col.QUITS, col.HEADCOUNT)]}
            for label, r in table.iterrows()]
    return ROWS_TEMPLATE.render(headings=TABLE_HEADINGS, rows=rows, text=TEXT_CELL,
                                number=NUMBER_CELL)


def _count(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{float(value):,.0f}"
