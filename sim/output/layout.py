"""A fixed layout: panels placed from margins worked out without drawing the figure.

Matplotlib's constrained layout places the panels by measuring every axis as drawn: it
makes each tick and its label and asks their boxes, twice, before the figure is drawn once
more for the file. On a run's plots that measuring cost about two thirds as much as the
drawing (``benchmarks/bench_plots.py``). :class:`FixedLayout` works the margins out
instead from what the panels will show, and measures only texts:

- the labels the axes' tick locators and formatters give (their widths, or one line of
  height), with the tick length and padding matplotlib's settings give;
- the axis labels, titles, axes legends, texts and annotations in the panels, figure
  legends and the figure's title and x and y labels, measured as the texts they are (the
  texts that move with a panel measured again once the panels are placed).

The panels keep the grid's proportions (as ``plt.subplots`` makes them, height and width
ratios included); the space around and between them is the largest that any panel of that
column or row needs. Figure legends go to the right of every panel (``loc="outside right
upper"`` or ``"... lower"``, as :func:`sim.output.plotkit.legend_outside` makes them), in a
margin as wide as the widest. A figure this layout does not describe (panels not in one
grid, a colour bar, an inset, twin axes, labels on the top or right, tick labels turned, a
figure legend elsewhere) is laid out by matplotlib's constrained layout instead, as all
these figures were before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, cast

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import cbook
from matplotlib.axes import Axes
from matplotlib.axis import Axis, YAxis
from matplotlib.backend_bases import RendererBase
from matplotlib.font_manager import FontProperties
from matplotlib.gridspec import GridSpec, SubplotSpec
from matplotlib.layout_engine import ConstrainedLayoutEngine, LayoutEngine
from matplotlib.legend import Legend
from matplotlib.text import Text
from matplotlib.ticker import NullFormatter

PAD = 0.06
"""Space (inches) kept clear at the figure's edges and between a panel's texts and its
neighbour's."""

TICK_SLACK = 0.09
"""Extra room (inches) beside a y axis's tick labels: the ticks drawn are those of the
final panel size, which may differ from the ones measured here by a label one digit wider
(a digit is about 0.09 inches at 10 points)."""


PASSES = 12
"""At most how many times the texts that move with the panels are measured and the panels
placed again (:class:`FixedLayout`). Most figures need one or two; a title wider than its
panel needs a few more, as it needs more room the more the panel narrows. A figure whose
texts still need more room after that is laid out by the constrained layout."""


@dataclass
class Sides:
    """Room (inches) a panel needs outside its axes box on each side."""

    left: float = 0.0
    right: float = 0.0
    top: float = 0.0
    bottom: float = 0.0


def _setting(key: str) -> Any:
    """Matplotlib's setting ``key`` (``rcParams``)."""
    return matplotlib.rcParams[key]  # type: ignore[index]  # keys made from parts


def _inch(renderer: RendererBase) -> float:
    """Pixels per inch of ``renderer`` (its dots per inch)."""
    return float(renderer.points_to_pixels(72.0))  # type: ignore[arg-type]


def _name(axis: Axis) -> str:
    """``"y"`` for a y axis, ``"x"`` otherwise."""
    return "y" if isinstance(axis, YAxis) else "x"


def _points(size: float | str) -> float:
    """A font size (points or a name such as ``"medium"``) in points."""
    return float(FontProperties(size=size).get_size_in_points())


def _is_math(text: str) -> bool:
    """Whether a tick label made now would be drawn as mathtext: texts take
    ``rcParams["text.parse_math"]`` when made, and matplotlib's own test decides the rest
    (an even, non-zero number of unescaped dollars)."""
    return bool(_setting("text.parse_math")) and bool(cbook.is_math_text(text))


def _text_size(renderer: RendererBase, text: str, size: float) -> tuple[float, float]:
    """Width and height (inches) of a tick label ``text`` at ``size`` points in the
    default font: one line of mathtext, or plain lines: the widest, and
    ``lines x size x 1.2`` (matplotlib's default line spacing)."""
    prop = FontProperties(size=size)
    inch = _inch(renderer)
    if _is_math(text):
        width, height, _ = renderer.get_text_width_height_descent(text, prop, ismath=True)
        return width / inch, max(height / inch, size * 1.2 / 72.0)
    lines = text.split("\n")
    width = max(renderer.get_text_width_height_descent(line, prop, ismath=False)[0]
                for line in lines)
    return width / inch, len(lines) * size * 1.2 / 72.0


def _extent(renderer: RendererBase, text: Text) -> tuple[float, float]:
    """Width and height (inches) of a visible, non-empty text as drawn (rotation
    included); (0, 0) otherwise."""
    if not text.get_visible() or not text.get_text():
        return 0.0, 0.0
    box = text.get_window_extent(renderer)
    inch = _inch(renderer)
    return float(box.width) / inch, float(box.height) / inch


def _made_ticks(axis: Axis, which: Literal["major", "minor"]) -> list[Any]:
    """The ticks ``axis`` has made so far (matplotlib makes them on first use; new ones
    copy the first one's text settings)."""
    return list(vars(axis).get("majorTicks" if which == "major" else "minorTicks", ()))


def _tick_labels(axis: Axis, which: Literal["major", "minor"]) -> tuple[list[str], float]:
    """The labels ``axis`` would draw for its ``which`` ticks inside its view, as its
    locator and formatter give them (all places formatted, then those outside the view
    dropped, as matplotlib does), and their size (points): that of the ticks already
    made, else the axis's tick settings."""
    params = axis.get_tick_params(which=which)
    side = "labelleft" if _name(axis) == "y" else "labelbottom"
    formatter = axis.get_major_formatter() if which == "major" else axis.get_minor_formatter()
    if not params.get(side, True) or isinstance(formatter, NullFormatter):
        return [], 0.0
    locator = axis.get_major_locator() if which == "major" else axis.get_minor_locator()
    low, high = sorted(axis.get_view_interval())
    span = (high - low) * 1e-9
    locs = [float(x) for x in np.asarray(locator(), dtype=float)]
    texts = formatter.format_ticks(locs) if locs else []
    labels = [t for x, t in zip(locs, texts, strict=True)
              if t and low - span <= x <= high + span]
    made = _made_ticks(axis, which)
    size = (made[0].label1.get_fontsize() if made
            else params.get("labelsize", _setting(f"{_name(axis)}tick.labelsize")))
    return labels, _points(size)


def _tick_room(renderer: RendererBase, axis: Axis) -> tuple[float, float]:
    """Room (inches) ``axis``'s ticks and their labels take outside the axes box: across
    the axis, the labels' widest width (y) or one line's height (x), plus the tick's
    length and its label's padding; and along it, half the longest label's length, by
    which a label at either end of the axis reaches past the box."""
    name = _name(axis)
    across = along = 0.0
    which: Literal["major", "minor"]
    for which in ("major", "minor"):
        labels, size = _tick_labels(axis, which)
        if not labels:
            continue
        sizes = [_text_size(renderer, label, size) for label in labels]
        widest = max(w for w, _ in sizes)
        tallest = max(h for _, h in sizes)
        length = float(_setting(f"{name}tick.{which}.size"))
        pad = float(_setting(f"{name}tick.{which}.pad"))
        label = widest if name == "y" else tallest
        slack = TICK_SLACK if name == "y" else 0.0  # a digit more widens, not heightens
        across = max(across, label + (length + pad) / 72.0 + slack)
        along = max(along, (tallest if name == "y" else widest) / 2.0)
    return across, along


def _offset_height(renderer: RendererBase, axis: Axis) -> float:
    """Height (inches) of ``axis``'s offset text (``1e6``, a date axis's year), if its
    formatter gives one; the formatter was just asked for its labels."""
    offset = axis.get_major_formatter().get_offset()
    if not offset:
        return 0.0
    size = _points(_setting(f"{_name(axis)}tick.labelsize"))
    return _text_size(renderer, offset, size)[1] + 2.0 / 72.0


def _legend_width(renderer: RendererBase, legend: Legend | None) -> float:
    """Width (inches) of a visible legend, its padding from what it is placed against
    included; 0 if there is none."""
    if legend is None or not legend.get_visible():
        return 0.0
    pad = legend.borderaxespad * legend.prop.get_size_in_points() / 72.0
    return float(legend.get_window_extent(renderer).width) / _inch(renderer) + pad


def _titles(ax: Axes) -> list[Text]:
    """The title texts of ``ax`` (centre, left and right), as matplotlib keeps them."""
    return [t for name in ("title", "_left_title", "_right_title")
            if isinstance(t := getattr(ax, name, None), Text)]


def panel_sides(renderer: RendererBase, ax: Axes) -> Sides:
    """Room (inches) ``ax`` needs outside its axes box: its y tick labels and y label on
    the left; its x tick labels, the x axis's offset text and its x label below; its title
    (and the y axis's offset text) above; on every side, the part of a tick label at the
    end of an axis that reaches past the box. Texts in the panel, its legend, and titles
    and labels longer than the panel: :func:`text_sides`."""
    ylabel_w = _extent(renderer, ax.yaxis.label)[0]
    xlabel_h = _extent(renderer, ax.xaxis.label)[1]
    label_pad = float(_setting("axes.labelpad")) / 72.0
    y_across, y_along = _tick_room(renderer, ax.yaxis)
    x_across, x_along = _tick_room(renderer, ax.xaxis)
    left = y_across + (ylabel_w + label_pad if ylabel_w else 0.0)
    bottom = x_across + (_offset_height(renderer, ax.xaxis) if x_across else 0.0)
    bottom += xlabel_h + label_pad if xlabel_h else 0.0
    title = max((_extent(renderer, t)[1] for t in _titles(ax)), default=0.0)
    top = title + float(_setting("axes.titlepad")) / 72.0 if title else 0.0
    top = max(top, _offset_height(renderer, ax.yaxis), y_along)
    return Sides(max(left, x_along), x_along, top, max(bottom, y_along))


def text_sides(renderer: RendererBase, ax: Axes) -> Sides:
    """Room (inches) that texts need past ``ax``'s box, as they lie at the panel's present
    place and size: the texts and annotations in it and its legend, on every side (an
    annotation not drawn, of a point outside the view, needs none); its titles and x label
    (centred on the panel) past its left and right edges when wider than the panel; its y
    label past its top and bottom when taller."""
    inch = _inch(renderer)
    box = ax.bbox
    sides = Sides()

    def reach(text: Text | Legend, across: bool, along: bool) -> None:
        if not (text.get_visible() and text.get_in_layout()):
            return
        if isinstance(text, Text) and not text.get_text():
            return
        # An annotation of a point outside the view is not drawn: its tight box is empty
        # (its window extent would be a pixel in the figure's corner).
        ext = text.get_tightbbox(renderer)
        if ext is None or not np.isfinite(ext.get_points()).all() or ext.width <= 0:
            return
        if across:
            sides.left = max(sides.left, (box.x0 - ext.x0) / inch)
            sides.right = max(sides.right, (ext.x1 - box.x1) / inch)
        if along:
            sides.bottom = max(sides.bottom, (box.y0 - ext.y0) / inch)
            sides.top = max(sides.top, (ext.y1 - box.y1) / inch)

    for text in ax.texts:
        reach(text, across=True, along=True)
    for text in (*_titles(ax), ax.xaxis.label):
        reach(text, across=True, along=False)
    reach(ax.yaxis.label, across=False, along=True)
    legend = ax.get_legend()
    if legend is not None:  # one placed beside the panel (or inside: it then needs none)
        reach(legend, across=True, along=True)
    return sides


def _figure_text_room(renderer: RendererBase, fig: plt.Figure) -> Sides:
    """Room (inches) the figure's own texts take from its edges, where matplotlib puts
    them: its title (``suptitle``) from the top, its x label (``supxlabel``) from the
    bottom, its y label (``supylabel``) from the left, each measured from the edge to the
    text's far side."""
    inch = _inch(renderer)
    edge = fig.bbox
    room = Sides()
    for name in ("_suptitle", "_supxlabel", "_supylabel"):  # where matplotlib keeps them
        text = getattr(fig, name, None)
        if (not isinstance(text, Text) or not text.get_visible() or not text.get_text()
                or not text.get_in_layout()):
            continue
        ext = text.get_window_extent(renderer)
        if name == "_suptitle":
            room.top = (edge.y1 - ext.y0) / inch
        elif name == "_supxlabel":
            room.bottom = (ext.y1 - edge.y0) / inch
        else:
            room.left = (ext.x1 - edge.x0) / inch
    return room


def _grid(fig: plt.Figure) -> tuple[GridSpec, list[SubplotSpec]] | None:
    """The grid that holds every panel of ``fig`` and each panel's place in it; None if
    ``fig`` holds what this layout does not describe: panels not all in one top-level grid
    (sub-figures, colour bars, insets), tick labels or axis labels on the top or the right
    (twin axes have theirs there), tick labels turned, or a figure legend anywhere but
    outside to the right."""
    specs = [ax.get_subplotspec() for ax in fig.axes]
    grids = {id(spec.get_gridspec()) if spec is not None else None for spec in specs}
    if fig.subfigs or len(grids) != 1:
        return None
    spec = specs[0]
    grid = spec.get_gridspec() if spec is not None else None
    if not isinstance(grid, GridSpec):
        return None
    if any(getattr(legend, "_outside_loc", None) != "right" for legend in fig.legends):
        return None  # a figure legend elsewhere than outside to the right
    for ax in fig.axes:
        if any(isinstance(c, Axes) for c in ax.get_children()):
            return None
        if (ax.xaxis.get_label_position() != "bottom"
                or ax.yaxis.get_label_position() != "left"):
            return None
        for axis, far in ((ax.xaxis, "labeltop"), (ax.yaxis, "labelright")):
            for which in ("major", "minor"):
                params = axis.get_tick_params(which=which)
                if params.get(far, False) or params.get("labelrotation", 0):
                    return None
            if any(t.label1.get_rotation() for t in _made_ticks(axis, "major")):
                return None
    return grid, [spec for spec in specs if spec is not None]


def _renderer(fig: plt.Figure) -> RendererBase:
    """The renderer ``fig`` is being drawn with (that of the canvas it is saved through, a
    PDF or SVG one too), as matplotlib's own layout engines ask for it."""
    get = getattr(fig, "_get_renderer", None)
    renderer = get() if callable(get) else fig.canvas.get_renderer()  # type: ignore[attr-defined]
    return cast(RendererBase, renderer)


def _largest(needs: Iterable[tuple[int, float]], count: int) -> list[float]:
    """The largest need at each of ``count`` places, from (place, need) pairs."""
    out = [0.0] * count
    for place, need in needs:
        out[place] = max(out[place], need)
    return out


def _within(a: Sides, b: Sides, slack: float = 0.01) -> bool:
    """Whether ``a`` needs at most ``slack`` inches more than ``b`` on every side."""
    return (a.left <= b.left + slack and a.right <= b.right + slack
            and a.top <= b.top + slack and a.bottom <= b.bottom + slack)


def _wider(a: Sides, b: Sides) -> Sides:
    """The larger of ``a`` and ``b`` on each side."""
    return Sides(max(a.left, b.left), max(a.right, b.right), max(a.top, b.top),
                 max(a.bottom, b.bottom))


class FixedLayout(LayoutEngine):
    """A layout engine that places a figure's grid of panels from margins worked out
    without drawing (see the module's description).

    With ``W`` x ``H`` the figure's size, ``L``, ``R``, ``T`` and ``B`` its margins and
    ``g_w``, ``g_h`` the gaps between columns and rows (inches), each of ``n`` columns is
    ``(W - L - R - (n - 1) g_w) / n`` wide (likewise for rows); ``L`` is the room the first
    column's panels need on their left plus :data:`PAD`, ``g_w`` the most any two
    neighbouring columns need between them plus :data:`PAD`, ``R`` the last column's need
    plus the widest figure legend, ``T`` the first row's need plus the room of the figure's
    title (from the top edge to its foot), ``B`` and ``L`` likewise with the figure's x and
    y labels. A figure the layout does not describe, or too small for its texts, is laid
    out by matplotlib's constrained layout.
    """

    _adjust_compatible = True
    _colorbar_gridspec = False  # colour bars made as for the constrained layout

    def set(self, **kwargs: object) -> None:
        """This layout takes no parameters."""
        if kwargs:
            raise TypeError(f"FixedLayout takes no parameters, not {sorted(kwargs)}")

    def execute(self, fig: plt.Figure) -> None:
        """Place ``fig``'s panels (see the class's description)."""
        if not fig.axes:
            return
        found = _grid(fig)
        if found is None:
            ConstrainedLayoutEngine().execute(fig)
            return
        grid, specs = found
        renderer = _renderer(fig)
        fixed = [panel_sides(renderer, ax) for ax in fig.axes]
        # The texts that move with the panels are measured where the panels are, then
        # again where this placed them, until they need no more room (a title wider than
        # its panel needs more as the panel narrows), at most PASSES times.
        needed: list[Sides] = []
        for placed in range(PASSES + 1):
            sides = [_wider(f, text_sides(renderer, ax))
                     for f, ax in zip(fixed, fig.axes, strict=True)]
            if needed and all(_within(a, b) for a, b in zip(sides, needed, strict=True)):
                return  # the texts fit where the last pass placed the panels
            needed = sides if not needed else [_wider(a, b) for a, b in
                                                zip(sides, needed, strict=True)]
            if placed == PASSES or not _place(fig, renderer, grid, specs, needed):
                break
        # Too small for its texts, or the texts still moving after PASSES placements.
        ConstrainedLayoutEngine().execute(fig)


def _place(fig: plt.Figure, renderer: RendererBase, grid: GridSpec, specs: list[SubplotSpec],
           sides: list[Sides]) -> bool:
    """Place ``fig``'s panels, at ``specs`` in ``grid``, each needing ``sides`` around it
    (both in the order of ``fig.axes``); False if the figure is too small for them."""
    width, height = (float(v) for v in fig.get_size_inches())
    nrows, ncols = grid.get_geometry()
    pairs = list(zip(specs, sides, strict=True))
    left = _largest(((p.colspan.start, s.left) for p, s in pairs), ncols)
    right = _largest(((p.colspan.stop - 1, s.right) for p, s in pairs), ncols)
    top = _largest(((p.rowspan.start, s.top) for p, s in pairs), nrows)
    bottom = _largest(((p.rowspan.stop - 1, s.bottom) for p, s in pairs), nrows)
    legends = max((_legend_width(renderer, leg) for leg in fig.legends), default=0.0)
    own = _figure_text_room(renderer, fig)
    margin_l = left[0] + PAD + (own.left + PAD if own.left else 0.0)
    margin_r = right[-1] + PAD + legends
    margin_t = top[0] + PAD + (own.top + PAD if own.top else 0.0)
    margin_b = bottom[-1] + PAD + (own.bottom + PAD if own.bottom else 0.0)
    gap_w = max((right[c] + left[c + 1] for c in range(ncols - 1)), default=0.0) + PAD
    gap_h = max((bottom[r] + top[r + 1] for r in range(nrows - 1)), default=0.0) + PAD
    panel_w = (width - margin_l - margin_r - (ncols - 1) * gap_w) / ncols
    panel_h = (height - margin_t - margin_b - (nrows - 1) * gap_h) / nrows
    if panel_w <= 0 or panel_h <= 0:
        return False
    # GridSpec.update places every panel of the grid anew.
    grid.update(left=margin_l / width, right=1 - margin_r / width,
                top=1 - margin_t / height, bottom=margin_b / height,
                wspace=gap_w / panel_w, hspace=gap_h / panel_h)
    return True
