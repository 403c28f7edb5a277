"""The fixed layout: what it does not describe is laid out as matplotlib's constrained
layout lays it out; nothing it lays out is cut off or runs into a neighbour (here on the
comparison plots of runs and of replicate folders, and a replicate folder's plots; on
every run plot in tests/output/test_plots_firms.py)."""

from __future__ import annotations

import io
import shutil

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from sim.output.compare import COMPARE_PLOTS, load_runs
from sim.output.layout import FixedLayout
from sim.output.plotkit import figure, fit_lines, lay_out, legend_outside
from sim.output.replicates import compare_replicates, plot_replicates
from tests.output.drawn import assert_nothing_cut_off


def _with_colour_bar(layout: object) -> plt.Figure:
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.5), squeeze=False, layout=layout)
    image = axes[0, 0].imshow(np.arange(16.0).reshape(4, 4))
    fig.colorbar(image, ax=axes[0, 0], label="moves")
    axes[0, 1].plot([1, 2, 3])
    return fig


def _with_twin(layout: object) -> plt.Figure:
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.5), squeeze=False, layout=layout)
    axes[0, 0].plot([1, 2, 3])
    twin = axes[0, 0].twinx()
    twin.plot([1e6, 2e6, 3e6])
    twin.set_ylabel("a label on the right")
    axes[0, 1].plot([1, 2, 3])
    return fig


def _with_legend_below(layout: object) -> plt.Figure:
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.5), squeeze=False, layout=layout)
    for ax in axes.flat:
        ax.plot([1, 2, 3], label="a line")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center")
    return fig


@pytest.mark.parametrize("make", [_with_colour_bar, _with_twin, _with_legend_below])
def test_what_the_fixed_layout_does_not_describe_is_laid_out_as_the_constrained_one(make):
    fixed, constrained = make(FixedLayout()), make("constrained")
    assert lay_out(fixed) and lay_out(constrained)
    for a, b in zip(fixed.axes, constrained.axes, strict=True):
        assert np.allclose(a.get_position().bounds, b.get_position().bounds)
    plt.close(fixed)
    plt.close(constrained)


def _two_panels_with_a_legend() -> tuple[plt.Figure, np.ndarray]:
    fig, axes = figure(1, 2, (8, 3))
    for ax in axes.flat:
        ax.plot([1, 2, 3], [10, 2_000, 30_000], label="a line")
        ax.set_ylabel("engineers")
    legend_outside(fig, axes[0, 0], title="firms")
    return fig, axes


@pytest.mark.parametrize("fmt", ["pdf", "svg"])
def test_a_figure_in_the_fixed_layout_saves_to_other_formats_laid_out_alike(fmt):
    """Saved as PDF or SVG, the figure is laid out with that format's own renderer, the
    panels where the PNG's layout puts them (to a hundredth of the figure: the formats
    measure text alike), the legend's room kept."""
    fig, axes = _two_panels_with_a_legend()
    fig.savefig(io.BytesIO(), format=fmt)
    png, png_axes = _two_panels_with_a_legend()
    assert lay_out(png)
    for ax, reference in zip(axes.flat, png_axes.flat, strict=True):
        assert np.allclose(ax.get_position().bounds, reference.get_position().bounds,
                           atol=0.01)
    assert axes[0, 1].get_position().x1 < 0.9  # room for the legend on the right
    plt.close(fig)
    plt.close(png)


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


def test_nothing_of_replicate_plots_and_their_comparison_is_cut_off(two_tier_replicates,
                                                                     tmp_path, monkeypatch):
    """Figures with a title over a grid of panels several rows tall, a y label for the
    whole figure, legends outside: each is checked as it is saved (laid out, then drawn)."""
    checked: list[str] = []
    savefig = Figure.savefig

    def check_then_save(fig, fname, *args, **kwargs):
        fig.canvas.draw()
        assert_nothing_cut_off(fig, str(fname))
        checked.append(str(fname))
        return savefig(fig, fname, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", check_then_save)
    base, _, counterfactual = two_tier_replicates
    compare_replicates([base, counterfactual], tmp_path / "comparison")
    plot_replicates(shutil.copytree(base, tmp_path / "base"))
    assert len(checked) >= 6, checked


def test_titles_and_labels_longer_than_their_panel_are_given_room():
    """A title or x label wider than its panel reaches past its sides, a y label taller
    than it past its top and bottom: the layout keeps them in the figure and off the
    neighbouring panel."""
    fig, axes = figure(2, 2, (8, 5))
    for ax in axes.flat:
        ax.plot([1, 2, 3])
    axes[0, 1].set_title("a title a little wider than the panel over it")
    axes[1, 0].set_xlabel("an x label a little wider than the panel it stands under, so")
    axes[1, 1].set_ylabel("a y label taller than its panel, by far")
    fig.canvas.draw()
    assert_nothing_cut_off(fig, "long texts")
    plt.close(fig)


def test_an_annotation_the_figure_does_not_draw_takes_no_room():
    """An annotation of a point outside the view (or missing) is not drawn: the panels
    are placed as without it."""
    def panel(annotated: bool) -> tuple[float, ...]:
        fig, axes = figure(1, 1, (8, 4))
        ax = axes[0, 0]
        ax.plot([1, 2, 3], [1, 2, 3])
        ax.annotate("drawn", (2, 2))
        if annotated:
            ax.annotate("not drawn: no point", (float("nan"), 1.0))
            ax.annotate("not drawn: out of view", (50.0, 1.0))
        assert lay_out(fig)
        bounds = tuple(ax.get_position().bounds)
        plt.close(fig)
        return bounds

    assert np.allclose(panel(annotated=True), panel(annotated=False))


def test_fit_lines_cuts_at_spaces_to_the_width_and_keeps_words_whole():
    text = ("Δ share of the top tier, percentage points (senior_ai_research_engineer_tier; "
            "share of all engineers of the tier, employed or not)")
    lines = fit_lines(text, 2.0, 8).split("\n")
    width = int(2.0 * 72 / (0.65 * 8))  # 27 characters
    assert len(lines) > 1 and " ".join(lines) == text
    long_word = "(senior_ai_research_engineer_tier;"
    assert all(len(line) <= width or line == long_word for line in lines)
    assert long_word in lines  # longer than a line, kept whole
    assert fit_lines("short", 2.0, 8) == "short"


def test_mathtext_tick_labels_are_given_the_room_they_take_drawn():
    """Outside plain text, a log axis labels its ticks in mathtext (``$10^{2}$``): the
    room kept for them is what they take drawn, not the length of their source text."""
    fig, axes = figure(1, 1, (6, 3))
    ax = axes[0, 0]
    ax.plot([1, 2, 3], [1, 100, 10_000])
    ax.set_yscale("log")
    fig.canvas.draw()  # laid out and drawn with mathtext on
    renderer = fig.canvas.get_renderer()
    assert any("$" in t.get_text() for t in ax.get_yticklabels())
    unused = ax.get_tightbbox(renderer).x0 / fig.dpi  # inches left of the drawn labels
    assert 0 <= unused < 0.2
    plt.close(fig)
