"""plotkit.bars draws what ax.bar draws, pixel for pixel, as one collection."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from sim.output.plotkit import bars, date_axis, save


def _stacked(use_bars: bool, x: object, heights: list[np.ndarray], width: float,
             path):
    fig, ax = plt.subplots(figsize=(6, 3))
    bottom = np.zeros(len(heights[0]))
    for k, height in enumerate(heights):
        if use_bars:
            numbers = mdates.date2num(x) if isinstance(x, pd.DatetimeIndex) else x
            bars(ax, numbers, height, width, bottom, color=f"C{k}", label=f"tier {k}")
        else:
            ax.bar(x, height, width=width, bottom=bottom, label=f"tier {k}")
        bottom = bottom + height
    if isinstance(x, pd.DatetimeIndex):
        date_axis(ax)
    ax.legend()
    return save(fig, path).read_bytes()


@pytest.mark.parametrize("dates", [True, False], ids=["dates", "numbers"])
def test_bars_draw_the_bytes_of_stacked_bars(tmp_path, dates):
    """Stacked bars over a run's months (zeros, a tier with none, tall and short bars):
    the same PNG bytes as ``ax.bar``'s, legend included; the y axis starts at 0 as bars
    keep it (a collection alone would get a margin below)."""
    rng = np.random.default_rng(3)
    months = 40
    x: object = (pd.date_range("2023-01-01", periods=months, freq="MS") if dates
                 else np.arange(months, dtype=float))
    heights = [rng.integers(0, 50, months).astype(float), np.zeros(months),
               rng.integers(0, 5, months).astype(float) * (rng.random(months) < 0.3)]
    width = 20 if dates else 0.8
    old = _stacked(False, x, heights, width, tmp_path / "bar.png")
    new = _stacked(True, x, heights, width, tmp_path / "bars.png")
    assert old == new


def test_a_filled_histogram_draws_the_bytes_of_its_bars(tmp_path):
    """The plot of pay draws each tier's histogram as one filled outline
    (``histtype="stepfilled"``) for the bars matplotlib would draw one by one: translucent,
    overlapping, on a log axis with geometric bins, empty bins among them, a legend: the
    same PNG bytes."""
    rng = np.random.default_rng(8)
    tiers = [rng.lognormal(12.5, 0.4, 3000), rng.lognormal(13.2, 0.6, 400),
             rng.lognormal(14.5, 0.2, 25)]
    bins = np.geomspace(min(map(min, tiers)) * 0.95, max(map(max, tiers)) * 1.05, 60)
    drawn = []
    for kind in ("bar", "stepfilled"):
        fig, ax = plt.subplots(figsize=(6, 3))
        for k, pay in enumerate(tiers):
            ax.hist(pay, bins=bins, alpha=0.55, weights=np.full(len(pay), 100 / len(pay)),
                    histtype=kind, label=f"tier {k}")
        ax.set_xscale("log")
        ax.legend()
        drawn.append(save(fig, tmp_path / f"{kind}.png").read_bytes())
    assert drawn[0] == drawn[1]
