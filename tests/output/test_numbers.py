"""Numbers in tables by kind: counts whole, money in dollars, rates with fixed decimals, one
precision for every number of a row (its interval included)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.output.compare import format_cells
from sim.output.numbers import format_row, measure_kind
from sim.output.replicate_report import differences_html
from sim.output.replicates import DIFFERENCE_COLUMNS, format_differences


@pytest.mark.parametrize(("name", "kind"), [
    ("employed (engineers)", "count"),
    ("deals blocked (total over run)", "count"),
    ("final month", "count"),
    ("median pay, researcher ($ a year)", "money"),
    ("deal value ($, total)", "money"),
    ("unemployment rate (%)", "percent"),
    ("job-to-job moves (% of employed, final month)", "percent"),
    ("AI / non-AI median pay (ratio)", "ratio"),
    ("HHI of top tier (0-10,000)", "index"),
    ("top_share_above_threshold", "fraction"),
    ("unemployment_rate", "fraction"),
    ("pay_median_researcher", "money"),
    ("hires_engineer", "count"),
    ("top_hhi", "index"),
])
def test_the_kind_of_a_measure_is_read_from_its_name(name, kind):
    assert measure_kind(name) == kind


def _table(rows: dict[str, list[float]]) -> pd.DataFrame:
    # name, reference, other, Δ, low, high; then % of reference, p, verdicts and pairs
    return pd.DataFrame([[name, *values, math.nan, math.nan, True, True, 3]
                         for name, values in rows.items()],
                        columns=DIFFERENCE_COLUMNS).set_index("measure")


def test_console_and_report_tables_format_by_kind_with_one_precision_a_row():
    table = _table({
        "deals blocked (total over run)": [0.0, 0.0, 0.0, 0.0, 0.0],
        "median pay, engineer ($ a year)": [150_000.4, 150_305.2, 304.8, 97.605, 512.4],
        "unemployment rate (%)": [4.5, 4.123456, -0.376544, -0.9, 0.1],
        "layoffs (total over run)": [10.0, 11.333, 1.333, 0.2, 2.5],
    })
    text = format_differences(table)
    lines = {line.split("  ")[0]: line for line in text.splitlines()}
    blocked = lines["deals blocked (total over run)"]
    assert "0.000" not in blocked and "[0, 0]" in blocked
    pay = lines["median pay, engineer ($ a year)"]
    assert "$150,000" in pay and "+$305" in pay and "[$98, $512]" in pay
    assert "97.6" not in pay
    rate = lines["unemployment rate (%)"]
    assert "4.12" in rate and "-0.38" in rate and "[-0.90, 0.10]" in rate
    layoffs = lines["layoffs (total over run)"]  # means of counts: one decimal, all alike
    assert "11.3" in layoffs and "[0.2, 2.5]" in layoffs and "11.333" not in layoffs
    html = differences_html(table)
    assert "<td>[$98, $512]</td>" in html and "<td>[0, 0]</td>" in html


def test_one_run_table_formats_counts_as_whole_numbers():
    table = pd.DataFrame({"a": [0.0, 4.5, 150_000.0], "b": [0.0, 4.75, 150_300.0],
                          "Δ b": [0.0, 0.25, 300.0]},
                         index=["deals (total over run)", "unemployment rate (%)",
                                "median pay, engineer ($ a year)"])
    cells = format_cells(table)
    assert list(cells.iloc[0]) == ["0", "0", "0"]
    assert list(cells.iloc[1]) == ["4.50", "4.75", "+0.25"]
    assert list(cells.iloc[2]) == ["$150,000", "$150,300", "+$300"]


def test_missing_values_and_signs():
    assert format_row([math.nan, -1.5, 2.0], "percent", [False, True, True]) == [
        "n/a", "-1.50", "+2.00"]
