"""The fixed layout: what it does not describe is laid out as matplotlib's constrained
layout lays it out; nothing it lays out is cut off or runs into a neighbour (here on the
comparison plots; on every run plot in tests/output/test_plots_firms.py)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from sim.output.compare import COMPARE_PLOTS, load_runs
from sim.output.layout import FixedLayout
from sim.output.plotkit import figure, lay_out
from tests.output.drawn import assert_nothing_cut_off


def _with_colour_bar(layout: object) -> plt.Figure:
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.5), squeeze=False, layout=layout)
    image = axes[0, 0].imshow(np.arange(16.0).reshape(4, 4))
    fig.colorbar(image, ax=axes[0, 0], label="moves")
    axes[0, 1].plot([1, 2, 3])
    return fig


def test_a_figure_with_a_colour_bar_is_laid_out_as_the_constrained_layout_does():
    fixed, constrained = _with_colour_bar(FixedLayout()), _with_colour_bar("constrained")
    assert lay_out(fixed) and lay_out(constrained)
    for a, b in zip(fixed.axes, constrained.axes, strict=True):
        assert np.allclose(a.get_position().bounds, b.get_position().bounds)
    plt.close(fixed)
    plt.close(constrained)


def test_panels_share_the_room_their_texts_leave():
    """Two panels in a row are as wide as each other; the left one's long y tick labels
    push both panels right, and the figure's margins hold them."""
    fig, axes = figure(1, 2, (8, 3))
    axes[0, 0].plot([0, 1], [1e9, 2e9])
    axes[0, 0].set_yticks([1e9, 2e9], ["a very long tick label indeed", "short"])
    axes[0, 1].plot([0, 1], [0, 1])
    assert lay_out(fig)
    left, right = (ax.get_position() for ax in axes[0])
    assert np.isclose(left.width, right.width)
    renderer = fig.canvas.get_renderer()
    fig.canvas.draw()
    drawn = axes[0, 0].get_tightbbox(renderer)
    assert drawn.x0 >= 0 and not drawn.overlaps(axes[0, 1].get_tightbbox(renderer))
    plt.close(fig)


def test_nothing_of_a_comparison_is_cut_off(two_tier_runs):
    runs = load_runs(list(two_tier_runs[:2]))
    drawn = 0
    for name, draw in COMPARE_PLOTS.items():
        fig = draw(runs)
        if fig is None:
            continue
        fig.canvas.draw()
        assert_nothing_cut_off(fig, name)
        plt.close(fig)
        drawn += 1
    assert drawn >= 3
