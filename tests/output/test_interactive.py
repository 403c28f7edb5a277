"""The report's plotly charts and the run's PNG plots draw the same data: both draw the
frames of :mod:`sim.output.charts`, computed there once."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from sim.output import charts
from sim.output.compare import plot_top_share
from sim.output.firm_plots import (
    plot_gpu_share,
    plot_headcount,
    plot_pay_by_firm,
    plot_top_share_by_firm,
)
from sim.output.interactive import (
    compare_charts,
    firm_pay_charts,
    gpu_top_share_chart,
    headcount_chart,
    run_tables,
    top_share_chart,
)
from sim.output.rundir import RunFolder


@pytest.fixture(scope="module")
def run(two_tier_runs) -> RunFolder:
    return RunFolder.finished(two_tier_runs[0])


def plotly_lines(figure) -> dict[str, np.ndarray]:
    """Each trace's y values by its name, NaN where it draws nothing."""
    return {str(t.name): np.asarray(t.y, dtype=float) for t in figure.data}


def png_lines(ax) -> dict[str, np.ndarray]:
    """Each line's y values by its label, NaN where it draws nothing (a line drawn only
    with NaN, a firm without any value, is left out as the plotly chart leaves it out)."""
    out = {}
    for line in ax.get_lines():
        y = np.ma.filled(np.ma.asarray(line.get_ydata(), dtype=float), np.nan)
        if not str(line.get_label()).startswith("_") and np.isfinite(y).any():
            out[str(line.get_label())] = y
    return out


def assert_same_lines(drawn: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> None:
    assert list(drawn) == list(expected)
    for name, y in expected.items():
        np.testing.assert_array_equal(drawn[name], y, err_msg=name)


def test_headcount_is_the_png_headcount(run):
    fig = plot_headcount(run)
    try:
        expected = png_lines(fig.axes[0])
    finally:
        plt.close(fig)
    assert len(expected) >= 3
    drawn = plotly_lines(headcount_chart(run).figure)
    assert_same_lines(drawn, expected)
    # ... and that data is firms.csv's: a named firm's line is its headcount each month
    firms = run.firms
    named = [name for name in drawn if name in set(firms["firm"])]
    assert named
    for name in named:
        own = firms[firms["firm"] == name].sort_values("month")["headcount"].to_numpy(float)
        np.testing.assert_array_equal(drawn[name][: own.size], own, err_msg=name)


def test_firm_pay_is_the_png_firm_pay(run):
    fig = plot_pay_by_firm(run)
    try:
        expected = {ax.get_title().split(":")[0]: png_lines(ax) for ax in fig.axes
                    if ax.get_lines()}
    finally:
        plt.close(fig)
    drawn = {c.name.removeprefix("firm_pay_"): plotly_lines(c.figure)
             for c in firm_pay_charts(run)}
    assert list(drawn) == list(expected) == list(run.tiers)
    for tier in expected:
        assert_same_lines(drawn[tier], expected[tier])


def test_top_share_is_the_frame_the_png_stacks(run):
    tables = run_tables(run)
    frame = charts.top_shares(tables).fillna(0.0)
    fig = plot_top_share_by_firm(run)
    try:
        stacked = [t.get_text() for t in fig.legends[0].get_texts()][::-1]
        top = max(np.max(c.get_paths()[0].vertices[:, 1]) for c in fig.axes[0].collections)
    finally:
        plt.close(fig)
    chart = top_share_chart(run)
    assert chart is not None
    assert list(plotly_lines(chart.figure)) == stacked == list(frame.columns)
    assert_same_lines(plotly_lines(chart.figure),
                      {c: frame[c].to_numpy(dtype=float) for c in frame.columns})
    assert top == pytest.approx(100.0)  # the PNG's stack reaches 100%, as the frame's rows


def test_gpu_points_are_the_png_points(run):
    fig = plot_gpu_share(run)
    try:
        png = np.concatenate([c.get_offsets() for c in fig.axes[0].collections])
    finally:
        plt.close(fig)
    chart = gpu_top_share_chart(run)
    assert chart is not None
    drawn = np.concatenate([np.column_stack([np.asarray(t.x, dtype=float),
                                             np.asarray(t.y, dtype=float)])
                            for t in chart.figure.data])
    last = run.firms[run.firms["month"] == run.firms["month"].max()]
    assert len(drawn) == len(png) == len(pd.unique(last["firm"]))
    assert sorted(map(tuple, drawn)) == sorted(map(tuple, np.asarray(png, dtype=float)))


def test_compared_final_shares_are_the_last_month_of_each_runs_stack(two_tier_runs):
    runs = [RunFolder.finished(d) for d in two_tier_runs[:2]]
    runs[1].label = "second"
    chart = {c.name: c for c in compare_charts(runs)}["compare_top_share_by_firm"]
    fig = plot_top_share(runs)  # the PNG: one stack per run
    try:
        stacked = [t.get_text() for t in fig.legends[0].get_texts()]
    finally:
        plt.close(fig)
    order = charts.named_in_runs(runs)
    assert [t.name for t in chart.figure.data] == [r.label for r in runs]
    for trace, run in zip(chart.figure.data, runs, strict=True):
        last = charts.top_shares(run_tables(run, order)).iloc[-1].fillna(0.0)
        drawn = pd.Series(np.asarray(trace.y, dtype=float), index=list(trace.x))
        assert list(drawn.index) == stacked  # the PNG's legend: the same places, in order
        np.testing.assert_array_equal(drawn[list(last.index)].to_numpy(), last.to_numpy())
        assert drawn.sum() == pytest.approx(100.0)
