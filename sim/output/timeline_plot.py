"""The run's timeline: deals and the scenario's dated events by firm on one time axis.

The deals are :func:`sim.output.charts.deal_timeline`'s frame; the events are read from
the run's manifest (:func:`scenario_events`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.lines import Line2D

from sim import columns as col
from sim.output import charts
from sim.output.charts import RunTables, has_manifest
from sim.output.market_plots import FORM_MARKERS
from sim.output.palette import FirmLabels
from sim.output.plotkit import date_axis, figure, legend_outside, money_text, no_data
from sim.output.rundir import RunFolder


@dataclass(frozen=True)
class DatedEvent:
    """A dated event of the scenario as the timeline draws it."""

    date: pd.Timestamp
    end: pd.Timestamp | None
    row: str
    text: str
    type: str


MARKET_ROW = "whole market"


def event_date(event_month: int | str, start: pd.Timestamp) -> pd.Timestamp:
    """The date of an event's month: a calendar month, or model month ``m`` after the
    month-0 date ``start``."""
    if isinstance(event_month, str):
        return pd.Timestamp(event_month + "-01")
    return start + pd.DateOffset(months=int(event_month))


def _settings(values: object) -> str:
    """``key value, key value`` of a policy or amenities table."""
    if not isinstance(values, dict):
        return ""
    return ", ".join(f"{k} {v}" for k, v in values.items() if v is not None)


def scenario_events(run: RunFolder, labels: FirmLabels) -> list[DatedEvent]:
    """The scenario's dated events (manifest), except forced deals (``deals.csv`` records
    them): the row of the firm they concern (its label), or the whole market."""
    if not has_manifest(run):
        return []
    start = pd.Timestamp(run.dates().iloc[0])
    out = []
    for event in run.manifest["scenario"].get("events") or []:
        kind = str(event["type"])
        if kind == "forced_deal":
            continue
        date = event_date(event["month"], start)
        months = event.get("months")
        end = date + pd.DateOffset(months=int(months)) if months else None
        firm = event.get("firm")
        row = labels.label(str(firm)) if firm else MARKET_ROW
        if kind == "turmoil":
            text = f"turmoil ×{event.get('search_multiplier', '')}"
        elif kind in ("funding_climate", "gpu_supply_shock"):
            text = f"{kind.split('_')[0]} ×{event.get('multiplier', '')}"
        elif kind == "policy_change":
            who = "" if firm else f"all {event.get('kind')} firms: "
            text = f"{who}{_settings(event.get('policy'))}"
        elif kind == "amenity_change":
            text = f"amenities: {_settings(event.get('amenities'))}"
        else:
            text = kind.replace("_", " ")
        out.append(DatedEvent(date, end, row, text.replace("$", r"\$"), kind))
    return out


class LabelSlots:
    """Lines for the labels of a timeline's rows: a label goes on the first line of its row
    where it overlaps no label placed before (width estimated from its length)."""

    def __init__(self, days_per_point: float, points_per_char: float = 3.8) -> None:
        self.days_per_point = days_per_point
        self.points_per_char = points_per_char
        self.taken: dict[tuple[str, int], list[tuple[pd.Timestamp, pd.Timestamp]]] = {}

    def place(self, row: str, date: pd.Timestamp, text: str) -> int:
        """The line (0: next to the marker) for ``text`` drawn from ``date`` on ``row``."""
        longest = max((len(line) for line in text.splitlines()), default=0)
        days = (longest * self.points_per_char + 8) * self.days_per_point
        span = (date, date + pd.Timedelta(days=days))
        level = 0
        while any(span[0] < end and start < span[1]
                  for start, end in self.taken.get((row, level), [])):
            level += 1
        self.taken.setdefault((row, level), []).append(span)
        return level


EVENT_MARKERS = {"policy_change": "^", "amenity_change": "D"}


def plot_timeline(run: RunFolder) -> plt.Figure:
    """Deals (:func:`charts.deal_timeline`) and the scenario's other dated events
    (manifest) on one time axis, one row per named firm (the generated firms together) and
    one for the whole market. A deal is a line from its target to its buyer, the buyer's
    marker sized by the engineers moved and labelled with the price; filled: a dated deal
    of the scenario, hollow: the model's own; red cross: blocked."""
    tables = RunTables.from_run(run)
    labels = tables.labels
    deals = charts.deal_timeline(tables)
    events = scenario_events(run, labels)
    names = set(run.firms[col.FIRM].astype(str))
    if not deals.empty:
        names |= set(deals[col.DEAL_BUYER].astype(str)) | set(deals[col.DEAL_TARGET].astype(str))
    rows = [MARKET_ROW, *labels.order(names)]
    rows += [r for r in dict.fromkeys(e.row for e in events) if r not in rows]
    y = {row: k for k, row in enumerate(rows)}
    first, last = run.dates().iloc[0], run.dates().iloc[-1]
    fig, axes = figure(1, 1, (13, 0.38 * len(rows) + 2.2))
    ax = axes[0, 0]
    # Labels that would overlap on a row are moved up a line.
    slots = LabelSlots(max((last - first).days, 30) / (9.5 * 72))
    for event in events:
        if event.date > last or (event.end or event.date) < first:
            continue
        level = slots.place(event.row, event.date, event.text)
        colour = labels.colours.get(event.row, "black")
        if event.end is not None:
            ax.plot([event.date, min(event.end, last)], [y[event.row]] * 2, lw=6,
                    alpha=0.35, color=colour, solid_capstyle="butt")
        else:
            ax.scatter(event.date, y[event.row], marker=EVENT_MARKERS.get(event.type, "|"),
                       color=colour, s=40, zorder=3)
        ax.annotate(event.text, (event.date, y[event.row]), fontsize=6.5,
                    xytext=(3, 5 + 8 * level), textcoords="offset points", color="#333333")
    if not deals.empty:
        dates = pd.to_datetime(deals[col.DATE], format="%Y-%m")
        origin = deals[col.DEAL_ORIGIN]
        moved = pd.to_numeric(deals[col.DEAL_ENGINEERS_MOVED], errors="coerce").fillna(0)
        for idx in deals.index:
            buyer = labels.label(str(deals.loc[idx, col.DEAL_BUYER]))
            target = labels.label(str(deals.loc[idx, col.DEAL_TARGET]))
            colour = labels.colours[buyer]
            blocked = deals.loc[idx, charts.STATUS] == "blocked"
            date = dates[idx]
            ax.plot([date, date], [y[target], y[buyer]], color=colour, lw=1,
                    ls=":" if blocked else "-")
            marker = FORM_MARKERS.get(str(deals.loc[idx, col.DEAL_FORM]), "o")
            filled = origin[idx] == "scheduled"
            size = 30 + 6 * float(moved[idx])
            ax.scatter(date, y[buyer], s=size, marker=marker,
                       facecolors=colour if filled else "white", edgecolors=colour,
                       linewidths=1.2, zorder=4)
            ax.scatter(date, y[target], s=14, marker=marker, color=colour, zorder=4)
            if blocked:
                ax.scatter(date, y[buyer], marker="x", color="red", s=60, zorder=5)
            price = float(pd.to_numeric(deals[col.DEAL_PRICE], errors="coerce")[idx])
            text = f"{int(moved[idx])} eng."
            if math.isfinite(price):
                text = f"{money_text(price)}, {text}"
            level = slots.place(buyer, date, text)
            ax.annotate(text, (date, y[buyer]), fontsize=6.5,
                        xytext=(math.sqrt(size) / 2 + 2, 4 + 8 * level),
                        textcoords="offset points", color=colour)
    elif not events:
        no_data(ax, "no deals and no dated events in this run")
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    for tick in ax.get_yticklabels():
        tick.set_color(labels.colours.get(tick.get_text(), "black"))
    ax.set_ylim(len(rows) - 0.4, -0.8)
    ax.set_xlim(first - pd.DateOffset(days=15), last + pd.DateOffset(days=15))
    ax.grid(axis="y", color="#eeeeee")
    date_axis(ax)
    ax.set_title("Timeline: deals and dated events by firm")
    ax.set_xlabel("month")
    grey = "#555555"
    handles = [
        Line2D([], [], ls="", marker="o", color=grey, label="acquisition (buyer's row)"),
        Line2D([], [], ls="", marker="s", color=grey, label="license-and-hire"),
        Line2D([], [], ls="", marker="o", mfc="white", color=grey,
               label="the model's own deal (hollow)"),
        Line2D([], [], ls="", marker="o", color=grey, ms=4, label="target (small marker)"),
        Line2D([], [], ls="", marker="x", color="red", label="blocked (dotted line)"),
        Line2D([], [], lw=6, alpha=0.35, color=grey, label="turmoil, funding or GPU "
               "climate (its months)"),
        Line2D([], [], ls="", marker="^", color=grey, label="policy change"),
        Line2D([], [], ls="", marker="D", color=grey, label="amenity change"),
        Line2D([], [], ls="", marker="|", color=grey, label="funding round or GPU stock "
               "(named)"),
    ]
    legend_outside(fig, title="marker size: engineers moved;\ncolour: the buyer or the firm",
                   handles=handles, labels=[str(h.get_label()) for h in handles])
    return fig
