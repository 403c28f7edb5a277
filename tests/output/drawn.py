"""A check of drawn figures shared by the plot tests: nothing cut off, nothing on top of
another panel."""

from __future__ import annotations

from matplotlib.figure import Figure


def assert_nothing_cut_off(fig: Figure, name: str) -> None:
    """Every panel's drawing (its drawn ticks, labels, title, texts and legend), every
    figure legend and the figure's title lie inside ``fig`` (drawn); no panel's drawing
    runs into another's; no figure legend, nor the figure's title, runs into a panel's
    drawing. Colour bars count as drawings, not as panels."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    fig_box = fig.get_window_extent(renderer)
    shown = [*(ax.get_tightbbox(renderer) for ax in fig.axes),
             *(legend.get_window_extent(renderer) for legend in fig.legends),
             *(text.get_window_extent(renderer) for text in fig.texts)]
    for box in shown:
        assert (box.x0 >= fig_box.x0 - 1 and box.x1 <= fig_box.x1 + 1
                and box.y0 >= fig_box.y0 - 1 and box.y1 <= fig_box.y1 + 1), (name, box)
    drawn = [ax.get_tightbbox(renderer) for ax in fig.axes
             if ax.get_subplotspec() is not None]
    for k, box in enumerate(drawn):
        assert not any(box.overlaps(other) for other in drawn[k + 1:]), name
    for outside in (*fig.legends, *fig.texts):
        box = outside.get_window_extent(renderer)
        assert not any(box.overlaps(panel) for panel in drawn), name
