"""The drawing kit of every matplotlib figure: panels, axes, legends and saving.

Every PNG of a run, a comparison, a replicate folder and a sweep is drawn with these
helpers, so that they look alike: legends outside the data, dates on the x axis, pay in
dollars, free text as plain text, each file written atomically.
"""

from __future__ import annotations

import contextlib
import os
import struct
import textwrap
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, Literal

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.text import Text
from matplotlib.ticker import (
    FuncFormatter,
    LogFormatterMathtext,
    LogFormatterSciNotation,
    NullFormatter,
)
from matplotlib.transforms import Bbox

from sim.files import atomic_file
from sim.output.layout import FixedLayout
from sim.output.palette import FirmLabels

LEGEND_FONT = 8


def plain_number(value: float) -> str:
    """A tick value as plain text: ``1``, ``20``, ``1,000``, ``0.05``."""
    return f"{value:,.0f}" if value >= 1 and float(value).is_integer() else f"{value:,.4g}"


class PlainLogFormatter(LogFormatterSciNotation):
    """Matplotlib's log-axis tick labels (the same ticks labelled) as plain numbers
    (``1``, ``100``, ``2,000``) instead of mathtext powers of ten, which a figure drawn as
    plain text (:func:`plain_text`) would show as raw ``$\\mathdefault{10^{2}}$``."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return plain_number(x) if super().__call__(x, pos) else ""


def plain_log_ticks(fig: plt.Figure) -> None:
    """Give every log axis of ``fig`` (colour bars too) :class:`PlainLogFormatter`s in
    place of matplotlib's mathtext ones, with the same settings."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for get, put in ((axis.get_major_formatter, axis.set_major_formatter),
                             (axis.get_minor_formatter, axis.set_minor_formatter)):
                old = get()
                if isinstance(old, LogFormatterMathtext) and not isinstance(
                        old, PlainLogFormatter):
                    put(PlainLogFormatter(base=getattr(old, "_base", 10.0),
                                          labelOnlyBase=old.labelOnlyBase,
                                          minor_thresholds=old.minor_thresholds,
                                          linthresh=getattr(old, "_linthresh", None)))


def _texts(fig: plt.Figure) -> Iterator[Text]:
    """Every text ``fig`` holds, as ``fig.findobj(Text)`` finds them, except that of an
    axis only the label, the offset text and the ticks it has already made are walked:
    ``Axis.get_children`` would first make a tick for every place its locator gives (a
    costly step that drawing repeats anyway)."""
    stack: list[Artist] = [fig]
    while stack:
        artist = stack.pop()
        if isinstance(artist, Text):
            yield artist
        if isinstance(artist, Axis):  # ticks are made on first use (lazily) by matplotlib
            made = vars(artist)
            stack += [artist.label, artist.offsetText, *made.get("majorTicks", ()),
                      *made.get("minorTicks", ())]
        else:
            stack += artist.get_children()


@contextlib.contextmanager
def plain_text(fig: plt.Figure) -> Iterator[None]:
    """Draw every text of ``fig`` as plain text, never matplotlib mathtext, while in this
    context (draw or save ``fig`` in it): labels hold free text (scenario, folder and firm
    names, sweep labels), in which ``$`` is a dollar sign, and a pair of them must neither
    turn the words between into maths nor, if they are not valid mathtext, stop the
    drawing. A dollar escaped for mathtext (``\\$``) becomes ``$``. Log axes label their
    ticks as plain numbers (:func:`plain_log_ticks`).

    The texts ``fig`` holds are made plain on entry (``set_parse_math(False)``); those
    made while drawing in the context (the labels of ticks an axis makes for its tick
    places) are made plain by ``rcParams["text.parse_math"] = False``, from which a text
    takes its setting when it is made.
    """
    plain_log_ticks(fig)
    for text in _texts(fig):
        content = text.get_text()
        if "$" in content:
            text.set_text(content.replace("\\$", "$"))
        text.set_parse_math(False)
    with matplotlib.rc_context({"text.parse_math": False}):
        yield


DPI = 110
"""The resolution of every PNG :func:`save` writes (dots per inch)."""

PNG_COMPRESSION = 3
"""zlib's level for every PNG. Levels 1-3 use zlib's fast search; with the rows
unfiltered (:func:`png_bytes`), level 3 compresses a run's twelve plots in about a third of
the time Pillow takes at the same level, into files a few per cent smaller."""

TEXT_HINTING = "no_hinting"
"""How FreeType fits the glyphs of every PNG :func:`save` writes to the pixel grid
(matplotlib's ``rcParams["text.hinting"]``): not at all, the glyphs drawn as the font
draws them. matplotlib's default runs the font's own hinting program (DejaVu's TrueType
instructions) for every glyph of every text drawn or measured: on a run's twelve plots,
12% of the instructions of drawing them (valgrind's callgrind: 21.1 billion with the
default, 18.6 without hinting)."""


def text_settings() -> contextlib.AbstractContextManager[object]:
    """Draw and measure text in this context as every PNG is drawn (:func:`save`): without
    hinting (:data:`TEXT_HINTING`). A figure laid out outside it (``tight_layout`` when it
    is built) would be laid out for other glyph widths than it is drawn with."""
    return matplotlib.rc_context({"text.hinting": TEXT_HINTING})


def lay_out(fig: plt.Figure, dpi: float = DPI) -> bool:
    """Apply ``fig``'s layout (fixed, :class:`~sim.output.layout.FixedLayout`, or
    constrained) once, as drawing it at ``dpi`` would, and take the layout engine off, so
    that saving it draws it once instead of twice.

    ``savefig`` of a figure with a layout engine first draws the whole figure with
    drawing switched off, only to run the engine (which fixes the panels' positions), then
    draws it again for the file with the engine off. This does what that first pass does
    for the layout: at ``dpi``, it applies each panel's aspect (as a drawing does before
    the layout) and runs the engine, which places the panels; the image saved afterwards
    is the same, byte for byte. Returns whether the engine was taken off: not if ``fig``
    has neither layout or has no panels (nothing is done then), nor if a
    ``figure.autolayout`` or ``figure.constrained_layout.use`` setting puts an engine back
    (``savefig`` then lays the figure out again, as it would have).
    """
    engine = fig.get_layout_engine()
    if not isinstance(engine, ConstrainedLayoutEngine | FixedLayout) or not fig.axes:
        return False
    old_dpi = fig.dpi
    fig.dpi = dpi
    try:
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        for ax in fig.axes:
            panels = [ax, *(c for c in ax.get_children() if isinstance(c, Axes))]
            for panel in panels:  # an Axes and the Axes inside it (insets)
                locator = panel.get_axes_locator()
                panel.apply_aspect(locator(panel, renderer) if locator is not None else None)
        with contextlib.suppress(ValueError):  # as Figure.draw: a layout that cannot apply
            engine.execute(fig)
    finally:
        fig.dpi = old_dpi
    fig.set_layout_engine(None)
    if fig.get_layout_engine() is not None:  # a layout set by rcParams came back
        fig.set_layout_engine(engine)
        return False
    return True


def tight_box(fig: plt.Figure, dpi: float = DPI) -> Bbox:
    """The box, in inches, to which ``savefig(bbox_inches="tight")`` cuts ``fig`` at
    ``dpi`` (``fig``'s tight box, as drawing it at ``dpi`` gives it, padded by
    ``rcParams["savefig.pad_inches"]`` on every side), found without drawing ``fig``.

    ``savefig`` finds this box by first drawing the whole figure with drawing switched off,
    then asking it for its tight box; the tight box alone does what that drawing does for
    it (each panel's aspect is applied, each axis places its ticks and their labels), so
    that the image saved with this box is the same, byte for byte, for one drawing less.
    """
    old_dpi = fig.dpi
    fig.dpi = dpi
    try:
        box = fig.get_tightbbox(fig.canvas.get_renderer())  # type: ignore[attr-defined]
    finally:
        fig.dpi = old_dpi
    pad = float(matplotlib.rcParams["savefig.pad_inches"])
    return box.padded(pad, pad)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

PNG_CHUNK = 1 << 24
"""The most bytes of deflated rows :func:`png_bytes` puts in one IDAT chunk (16 MB)."""


def png_bytes(rgba: np.ndarray, dpi: float, level: int = PNG_COMPRESSION) -> bytes:
    """A PNG file of the image ``rgba`` (height x width x 4, uint8, RGBA rows from the
    top), 8 bits a channel, its resolution ``dpi`` recorded (``pHYs``: dots a metre,
    int(dpi / 0.0254 + 0.5), as Pillow records it) and no other metadata.

    Every row is stored unfiltered (PNG filter type 0) and the rows deflated at zlib
    ``level``. Pillow, which matplotlib saves PNGs through, tries the five filters on
    every row and keeps the one that looks most compressible, and offers no way to skip
    that: on a plot (flat colours, thin lines, text) the filters cost two thirds of its
    time and make the file larger, not smaller (a run's twelve plots: 0.30 s and
    1,626 kB through Pillow at level 3, 0.11 s and 1,608 kB unfiltered). The pixels are
    the same: any PNG reader decodes them into ``rgba``. The deflated rows are stored in
    IDAT chunks of at most :data:`PNG_CHUNK` bytes (a chunk's length is 31 bits)."""
    height, width, channels = rgba.shape
    if channels != 4 or rgba.dtype != np.uint8:
        raise ValueError(f"expected an RGBA image of bytes, not {rgba.shape} {rgba.dtype}")
    if height == 0 or width == 0:
        raise ValueError(f"cannot write an empty image ({width} x {height} pixels)")
    rows = np.empty((height, 1 + 4 * width), dtype=np.uint8)
    rows[:, 0] = 0  # each row's filter type: none
    rows[:, 1:] = rgba.reshape(height, 4 * width)
    per_metre = int(dpi / 0.0254 + 0.5)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    deflated = zlib.compress(rows.data, level)
    return b"".join((
        PNG_SIGNATURE,
        chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)),
        chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
        *(chunk(b"IDAT", deflated[at:at + PNG_CHUNK])
          for at in range(0, len(deflated), PNG_CHUNK)),
        chunk(b"IEND", b""),
    ))


class PngCanvas(FigureCanvasAgg):
    """matplotlib's Agg canvas, whose PNGs are written by :func:`png_bytes` instead of
    Pillow: ``savefig(format="png")`` on a figure given this canvas draws it as Agg does
    (size, resolution, a cut to ``bbox_inches``: matplotlib's own handling) and writes the
    pixels drawn. Metadata and Pillow's options are not taken (the file has none;
    metadata whose every value is None, matplotlib's way of asking for none, is
    accepted); the drawing options ``savefig`` passes every print method (resolution,
    colours, orientation, the box's restore) are already applied to the figure it
    draws."""

    def print_png(self, filename_or_obj: str | os.PathLike[str] | BinaryIO, *,
                  metadata: dict[str, str | None] | None = None,
                  pil_kwargs: dict[str, object] | None = None, **_applied: object) -> None:
        if any(value is not None for value in (metadata or {}).values()) or pil_kwargs:
            raise ValueError("PngCanvas writes PNGs without metadata or Pillow's options")
        FigureCanvasAgg.draw(self)
        data = png_bytes(np.asarray(self.buffer_rgba()), self.figure.dpi)
        if isinstance(filename_or_obj, str | os.PathLike):
            Path(os.fspath(filename_or_obj)).write_bytes(data)
        else:
            filename_or_obj.write(data)


def save(fig: plt.Figure, path: Path) -> Path:
    """Save a figure as PNG atomically (:func:`sim.files.atomic_file`), with every text as
    plain text (:func:`plain_text`). A figure in the fixed layout (:func:`figure`) or the
    constrained one already keeps its legends and labels inside it and is saved as laid
    out (laid out once, :func:`lay_out`, then drawn once); one with no layout engine is
    cut to what it draws, as ``bbox_inches="tight"`` cuts it (:func:`tight_box`, then
    drawn once), so that nothing drawn outside the axes, such as a legend, is cut off; any
    other is cut by ``bbox_inches="tight"`` (which draws it twice). The PNG is written by
    :func:`png_bytes` (:class:`PngCanvas`: rows unfiltered, zlib level
    :data:`PNG_COMPRESSION`, no metadata), its text drawn and measured without hinting
    (:data:`TEXT_HINTING`)."""
    engine = fig.get_layout_engine()
    laid_out = isinstance(engine, ConstrainedLayoutEngine | FixedLayout)
    try:
        with (atomic_file(path, "the plot") as tmp, plain_text(fig), text_settings()):
            if laid_out:
                lay_out(fig)
            box = None if laid_out else tight_box(fig) if engine is None else "tight"
            PngCanvas(fig)  # the figure's canvas from now on
            fig.savefig(tmp, format="png", dpi=DPI, bbox_inches=box)
    finally:
        plt.close(fig)
    return path


def log_scale(ax: plt.Axes, axis: str, *values: object) -> None:
    """Put ``axis`` (``"x"`` or ``"y"``) of ``ax`` on a log scale if any of ``values`` is
    finite and positive; leave it linear otherwise (matplotlib cannot log-scale data that
    is all missing or <= 0, which a readable but damaged table can hold)."""
    arrays = [np.asarray(v, dtype=float).ravel() for v in values]
    data = np.concatenate(arrays) if arrays else np.array([])
    if np.any(np.isfinite(data) & (data > 0)):
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log")


def money(value: float, _pos: int | None = None) -> str:
    """Tick label for pay and prices: $950k, $1.2M, $1.3B."""
    if value >= 1e9:
        return f"${value / 1e9:.4g}B"
    if value >= 1e6:
        return f"${value / 1e6:.4g}M"
    if value >= 1e3:
        return f"${value / 1e3:.4g}k"
    return f"${value:.4g}"


def money_text(value: float) -> str:
    """A price in a label: ``$1.3B``, ``$650M`` (the dollar escaped from mathtext)."""
    for scale, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return rf"\${value / scale:.3g}{unit}"
    return rf"\${value:.3g}"


def money_axis(ax: plt.Axes) -> None:
    """Label the y axis of ``ax`` in dollars ($950k, $1.2M); minor ticks too if the data
    span less than a decade or so (call it once the data are drawn)."""
    ax.yaxis.set_major_formatter(FuncFormatter(money))
    low, high = ax.get_ylim()
    if ax.get_yscale() == "log" and low > 0 and high / low < 15:
        ax.yaxis.set_minor_formatter(FuncFormatter(money))
        ax.tick_params(axis="y", which="minor", labelsize=7)
    else:
        ax.yaxis.set_minor_formatter(NullFormatter())


def date_axis(ax: plt.Axes, most: int | None = None) -> None:
    """Concise calendar dates on the x axis of ``ax`` (no rotated labels); at most about
    ``most`` ticks (matplotlib's choice if None), for a narrow panel."""
    locator = mdates.AutoDateLocator(maxticks=most)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def legend_outside(fig: plt.Figure, ax: plt.Axes | None = None, *, title: str | None = None,
                   handles: Sequence[Artist] | None = None,
                   labels: Sequence[str] | None = None,
                   where: Literal["upper", "lower"] = "upper") -> None:
    """A figure legend to the right of every panel, outside the data (the figure's layout,
    fixed or constrained, keeps room for it); its entries are ``handles``/``labels``, or
    ``ax``'s."""
    if handles is None:
        source = ax if ax is not None else fig.axes[0]
        found, texts = source.get_legend_handles_labels()
        handles, labels = found, texts
    if not handles or labels is None:
        return
    loc: Literal["outside right upper", "outside right lower"] = (
        "outside right upper" if where == "upper" else "outside right lower")
    fig.legend(handles, labels, loc=loc, fontsize=LEGEND_FONT,
               title=title, title_fontsize=LEGEND_FONT)


def axes_legend_outside(ax: plt.Axes, title: str | None = None) -> None:
    """The legend of one panel, to its right, outside the data."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                  fontsize=LEGEND_FONT, title_fontsize=LEGEND_FONT, title=title)


def figure(nrows: int = 1, ncols: int = 1, size: tuple[float, float] = (10, 4.8),
           sharex: bool = False, height_ratios: Sequence[float] | None = None
           ) -> tuple[plt.Figure, np.ndarray]:
    """A figure of ``nrows`` x ``ncols`` panels (an array, always 2-D) in the fixed layout
    (:class:`~sim.output.layout.FixedLayout`), which keeps legends outside the panels and
    nothing clipped, at a fraction of the cost of matplotlib's constrained layout (to which
    it turns for what it does not describe, such as a colour bar)."""
    fig, axes = plt.subplots(nrows, ncols, figsize=size, squeeze=False, layout=FixedLayout(),
                             sharex=sharex, height_ratios=height_ratios)
    return fig, axes


def fit_lines(text: str, inches: float, size: float) -> str:
    """``text`` cut into lines at spaces (words kept whole) so that each fits in
    ``inches`` at ``size`` points: at most ``inches x 72 / (0.65 x size)`` characters a
    line (0.65 of the size is a little more than an average character's width in
    matplotlib's default font), and at least 20."""
    width = max(20, int(inches * 72.0 / (0.65 * size)))
    lines = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines) or text


def bars(ax: plt.Axes, x: np.ndarray, height: np.ndarray, width: float,
         bottom: np.ndarray | None = None, *, color: str, label: str) -> PolyCollection:
    """Vertical bars of ``height`` from ``bottom`` (default 0), ``width`` wide and centred
    on ``x`` (numbers in the axis's data units: dates as :func:`matplotlib.dates.date2num`
    gives them, ``width`` in days), drawn as one :class:`PolyCollection`: the bar from
    x_k - w/2 to x_k + w/2 and from b_k to b_k + h_k, the pixels ``ax.bar`` draws (no
    edge; no margin of the y axis past a bar's bottom, as ``ax.bar`` keeps none), without
    one artist and one update of the axes' limits per bar, which is most of ``ax.bar``'s
    time for a run's months."""
    x = np.asarray(x, dtype=float)
    top = np.asarray(height, dtype=float)
    low = np.zeros_like(top) if bottom is None else np.asarray(bottom, dtype=float)
    top = low + top
    left, right = x - width / 2, x + width / 2
    corners = np.stack([np.stack(pair, axis=1) for pair in
                        ((left, low), (left, top), (right, top), (right, low))], axis=1)
    collection = PolyCollection(list(corners), closed=True, facecolors=color, edgecolors="none",
                                linewidths=0, label=label)
    # ax.bar makes each bar's bottom a sticky edge of the y axis (no margin past it)
    collection.sticky_edges.y.extend(np.unique(low).tolist())
    ax.add_collection(collection, autolim=True)
    ax.autoscale_view()
    return collection


def no_data(ax: plt.Axes, text: str) -> None:
    """Say in the middle of ``ax`` that there is nothing to draw."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)


def firm_line(ax: plt.Axes, dates: pd.Index, values: pd.Series, label: str,
              labels: FirmLabels, **kwargs: object) -> None:
    """One firm's (or the group's) line in its colour; the group dashed."""
    style = "--" if label == labels.rest else "-"
    ax.plot(dates, values, color=labels.colours[label], ls=style, label=label,
            **kwargs)  # type: ignore[arg-type]
