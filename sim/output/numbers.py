"""Numbers in tables, formatted by kind: counts as whole numbers, money in dollars, rates
and shares with fixed decimals, and one precision for every number of a row (a value, its
difference and the two ends of its interval), so that ``[97.605, 512]`` cannot happen.

The kind of a measure is read from its name: the names of :func:`sim.output.compare.key_measures`
carry their unit (``($ a year)``, ``(%)``, ``(total over run)``...), and the columns of the
record tables are declared in :mod:`sim.columns`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal

from sim import columns as col

Kind = Literal["count", "money", "percent", "fraction", "ratio", "index", "number"]
"""What a number is: a count of engineers, moves or deals; dollars; a percentage; a share
from 0 to 1; a ratio; a concentration index (0 to 10,000); anything else."""

DECIMALS: dict[str, int] = {"money": 0, "percent": 2, "fraction": 3, "ratio": 3, "index": 0}
"""Decimals of each kind (counts: 0, or 1 for means of counts that are not whole)."""

COUNT_WORDS = ("(engineers)", "total", "moves", "month", "deals", "layoffs", "hires",
               "quits", "counter-offers", "counter_offers", "exits", "headcount", "employed",
               "unemployed")
COUNT_COLUMNS = {col.EMPLOYED, col.UNEMPLOYED, col.ENGINEERS, col.HIRES, col.QUITS,
                 col.LAYOFFS, col.JOB_TO_JOB, col.SEPARATIONS, col.DEALS, col.DEALS_BLOCKED,
                 col.EXITS, col.COUNTER_OFFERS, col.COUNTER_OFFERS_ACCEPTED, col.HEADCOUNT,
                 col.MONTH, col.ACTIVE_FIRMS, col.OFFERS, col.SEARCHERS, col.DEAL_MOVES}
MONEY_COLUMNS = {col.REVENUE, col.FUNDING, col.PAY_BILL, col.CASH, col.CASH_TOTAL,
                 col.MONEY_TOTAL, col.AI_PAY_MEDIAN, col.NON_AI_PAY_MEDIAN}


def measure_kind(name: str) -> Kind:
    """The kind of a measure from its name: a key measure's label with its unit
    (``median pay, researcher ($ a year)``) or a column of the records
    (``top_share_above_threshold``, ``pay_median_researcher``, ``hires_engineer``)."""
    text = name.lower()
    if "$" in text or text.startswith("pay_") or text in MONEY_COLUMNS:
        return "money"
    if "(%" in text or "%)" in text:
        return "percent"
    if text in col.FRACTIONS or text.endswith(("_rate", "_share")):
        return "fraction"
    if "ratio" in text:
        return "ratio"
    if "hhi" in text:
        return "index"
    if text in COUNT_COLUMNS or text.split("_")[0] in COUNT_COLUMNS or any(
            word in text for word in COUNT_WORDS):
        return "count"
    return "number"


def decimals(kind: Kind, values: Iterable[float]) -> int:
    """Decimals for every number of one row of ``kind``: fixed by kind (:data:`DECIMALS`);
    counts 0, or 1 if some value is not whole (a mean of counts); other numbers 0 if the
    largest is at least 100, else 3."""
    if kind in DECIMALS:
        return DECIMALS[kind]
    finite = [abs(v) for v in values if v is not None and not math.isnan(v)]
    if kind == "count":
        return 0 if all(float(v).is_integer() for v in finite) else 1
    return 0 if not finite or max(finite) >= 100 else 3


def format_number(value: float | None, kind: Kind, places: int, *,
                  signed: bool = False) -> str:
    """One number: ``n/a`` if missing; thousands separators; dollars as ``$1,234``
    (``-$305``; ``+$305`` when ``signed``); a zero never signed."""
    if value is None or math.isnan(value):
        return "n/a"
    text = f"{abs(value):,.{places}f}"
    if float(text.replace(",", "")) == 0:
        return ("$" if kind == "money" else "") + text
    sign = "-" if value < 0 else ("+" if signed else "")
    return sign + ("$" if kind == "money" else "") + text


def format_row(values: Iterable[float | None], kind: Kind,
               signed: Iterable[bool] | None = None) -> list[str]:
    """Every number of one row with the row's precision (:func:`decimals`); ``signed``
    marks the differences, shown with a sign."""
    numbers = [math.nan if v is None else float(v) for v in values]
    places = decimals(kind, numbers)
    signs = list(signed) if signed is not None else [False] * len(numbers)
    return [format_number(v, kind, places, signed=s) for v, s in zip(numbers, signs,
                                                                      strict=True)]


def format_interval(low: float | None, high: float | None, kind: Kind, places: int) -> str:
    """``[low, high]`` at one precision."""
    return f"[{format_number(low, kind, places)}, {format_number(high, kind, places)}]"
