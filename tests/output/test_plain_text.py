"""Every saved figure draws its texts as text, never as matplotlib mathtext."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter

from sim.output.plotkit import PNG_COMPRESSION, TEXT_HINTING, save


def test_saved_figures_draw_dollars_as_text_and_never_fail_on_bad_mathtext(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label=r"folder $\frac{a$ (not maths)")
    ax.set_title("pay from $5 to $10")  # a pair of dollars: maths, unless drawn as text
    ax.set_ylabel(r"deal value \$1.3B")  # escaped for mathtext by older code
    ax.set_xticks([0, 1], [r"$\frac{", "b"])
    ax.legend()
    texts = [ax.title, ax.yaxis.label, ax.get_legend().get_texts()[0]]
    path = save(fig, tmp_path / "f.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
    # tick labels made while drawing (a formatter of free text) are plain text too
    fig, ax = plt.subplots()
    ax.plot(range(10))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: rf"${value:g} \frac{{$"))
    save(fig, tmp_path / "g.png")  # mathtext would raise on the unclosed \frac here
    ticks = [t for t in ax.get_yticklabels() if t.get_text()]
    assert ticks and all(t.get_text().startswith("$") and t.get_text().endswith(r"\frac{$")
                         for t in ticks)
    assert not any(t.get_parse_math() for t in ticks)
    assert [t.get_text() for t in texts] == ["pay from $5 to $10", "deal value $1.3B",
                                             r"folder $\frac{a$ (not maths)"]
    assert not any(t.get_parse_math() for t in texts)



def test_ticks_an_axis_makes_while_the_figure_is_laid_out_and_drawn_are_plain_text(tmp_path):
    """An axis makes its ticks when the figure is laid out and drawn (here it holds one
    before): the labels of the ticks made then (free text from a formatter, here invalid
    mathtext between two dollars) are plain text too, and the drawing goes on."""
    from sim.output.plotkit import figure

    fig, axes = figure(1, 1, (4, 3))
    ax = axes[0, 0]
    ax.plot([0, 7], [0, 7])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: rf"${value:g} \frac{{$"))
    made_before = len(vars(ax.xaxis).get("majorTicks", ()))
    save(fig, tmp_path / "wide.png")  # mathtext would raise on the unclosed \frac here
    ticks = [t for t in ax.get_xticklabels() if t.get_text()]
    assert len(ticks) > made_before  # ticks were made while laying out and drawing
    assert all(t.get_text().endswith(r"\frac{$") for t in ticks)
    assert not any(t.get_parse_math() for t in ticks)


def test_log_axes_and_log_colour_bars_label_their_ticks_as_plain_numbers(tmp_path):
    """Matplotlib labels log ticks in mathtext (10^2); drawn as plain text they would read
    '$\\mathdefault{10^{2}}$'. Saved figures label them 1, 10, 100, 1,000 instead."""
    from matplotlib.colors import LogNorm

    fig, (ax, heat) = plt.subplots(1, 2)
    ax.plot([1, 10, 100, 5_000])
    ax.set_yscale("log")
    image = heat.imshow(np.array([[1, 20], [300, 4_000]]), norm=LogNorm())
    bar = fig.colorbar(image, ax=heat)
    save(fig, tmp_path / "log.png")
    shown = [t.get_text() for t in (*ax.get_yticklabels(), *bar.ax.get_yticklabels())
             if t.get_text()]
    assert shown and not any("$" in t or "mathdefault" in t for t in shown)
    assert {"1", "10", "100", "1,000"} <= set(shown)


def test_price_ticks_of_a_billion_and_more_read_in_billions():
    from sim.output.plotkit import money

    assert [money(v) for v in (950e3, 1.2e6, 1.3e9, 1e10)] == ["$950k", "$1.2M", "$1.3B",
                                                               "$10B"]


def test_laid_out_figures_keep_their_size_and_others_are_cut_to_what_they_draw(tmp_path):
    """A figure in the constrained layout is saved as laid out (its size x 110 dpi: no
    second drawing for a tight box); any other is cut to what it draws, so a legend placed
    outside its axes is kept."""
    from PIL import Image

    from sim.output.plotkit import figure

    fig, axes = figure(1, 1, (4, 3))
    axes[0, 0].plot([0, 1], label="a line")
    save(fig, tmp_path / "laid_out.png")
    assert Image.open(tmp_path / "laid_out.png").size == (440, 330)
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], label="a line with a long legend entry")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    save(fig, tmp_path / "tight.png")
    assert Image.open(tmp_path / "tight.png").size[0] > 440  # widened to the legend


def _laid_out_figure() -> plt.Figure:
    """A figure in the constrained layout with what moves its panels: a figure legend
    outside them, a colour bar, a square image (fixed aspect), dates, a title over all."""
    import pandas as pd

    from sim.output.plotkit import date_axis, figure, legend_outside

    fig, axes = figure(2, 2, (8, 5))
    dates = pd.date_range("2023-01-31", periods=24, freq="ME")
    for k, ax in enumerate(axes[0]):
        ax.plot(dates, np.arange(24) ** (k + 1), label=f"firm {k} with a long name")
        date_axis(ax)
    image = axes[1, 0].imshow(np.arange(16.0).reshape(4, 4), aspect="equal")
    fig.colorbar(image, ax=axes[1, 0], label="moves")
    axes[1, 1].bar(["a", "b"], [3_000, 1_200_000])
    legend_outside(fig, axes[0, 0], title="firms")
    fig.suptitle("A title over every panel")
    return fig


def same_image(one: Path, other: Path) -> bool:
    """Whether two PNG files hold the same image: size, mode, resolution and every pixel
    (the files' bytes may differ: :func:`save` writes its PNGs itself, matplotlib through
    Pillow)."""
    from PIL import Image

    with Image.open(one) as a, Image.open(other) as b:
        return (a.size == b.size and a.mode == b.mode and a.info == b.info
                and np.array_equal(np.asarray(a), np.asarray(b)))


def _saved_once_as_matplotlib_saves_it(make, tmp_path, monkeypatch, **savefig) -> Path:
    """Save a figure of ``make()`` with :func:`save`, and another with matplotlib's own
    ``savefig(**savefig)`` (as plain text, at 110 dpi, zlib level
    :data:`PNG_COMPRESSION`, text unhinted, :data:`TEXT_HINTING`); check that :func:`save` drew it
    once, into the same image (:func:`same_image`); return the path it saved."""
    from matplotlib.figure import Figure

    from sim.output.plotkit import plain_text

    reference = make()
    with plain_text(reference), matplotlib.rc_context({"text.hinting": TEXT_HINTING}):
        reference.savefig(tmp_path / "matplotlib.png", format="png", dpi=110,
                          metadata={"Software": None},
                          pil_kwargs={"compress_level": PNG_COMPRESSION}, **savefig)
    plt.close(reference)
    draws = []
    draw = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda fig, renderer: (draws.append(fig),
                                                               draw(fig, renderer))[1])
    save(make(), tmp_path / "saved.png")
    assert len(draws) == 1
    assert same_image(tmp_path / "saved.png", tmp_path / "matplotlib.png")
    return tmp_path / "saved.png"


def test_laid_out_figures_are_drawn_once_into_the_bytes_of_matplotlibs_two_drawings(
        tmp_path, monkeypatch):
    """``savefig`` of a figure in the constrained layout draws it twice (once, with drawing
    off, to lay it out); :func:`save` lays it out first and draws it once, into the same
    PNG, byte for byte."""
    _saved_once_as_matplotlib_saves_it(_laid_out_figure, tmp_path, monkeypatch)


def _cut_figure() -> plt.Figure:
    """A figure with no layout engine and what lies outside its panels: a legend to the
    right, rotated tick labels, colour bars, square images (fixed aspect), a title over
    all that reaches past the panels."""
    fig, axes = plt.subplots(1, 2, figsize=(7, 3.5),
                             gridspec_kw={"left": 0.05, "right": 0.99, "top": 0.9})
    for k, ax in enumerate(axes):
        image = ax.imshow(np.arange(9.0).reshape(3, 3) + k, aspect="equal")
        ax.set_xticks(range(3), ["a firm with a long name", "b", "unemployment"],
                      rotation=90)
        fig.colorbar(image, ax=ax, label="moves", shrink=0.8)
    axes[1].plot([0, 2], [0, 2], label="a line with a long legend entry")
    axes[1].legend(loc="upper left", bbox_to_anchor=(1.3, 1.0))
    fig.suptitle("A title over every panel, longer than the figure is wide, "
                 "so that it reaches past both sides", y=1.02)
    return fig


def test_cut_figures_are_drawn_once_into_the_bytes_of_matplotlibs_tight_box(
        tmp_path, monkeypatch):
    """``savefig(bbox_inches="tight")`` draws a figure twice (once, with drawing off, to
    find the box that holds all it draws); :func:`save` finds the box without drawing and
    draws once, into the same image, pixel for pixel."""
    from PIL import Image

    saved = _saved_once_as_matplotlib_saves_it(_cut_figure, tmp_path, monkeypatch,
                                               bbox_inches="tight")
    width, height = Image.open(saved).size
    assert width > 7 * 110 and height > 3.5 * 110  # the box holds what lies outside


def test_saved_figures_draw_their_text_unhinted_whatever_matplotlibs_setting(tmp_path):
    """:func:`save` draws text without hinting (:data:`TEXT_HINTING`) under any
    ``rcParams["text.hinting"]``: the same PNG under matplotlib's default and under
    ``force_autohint``, and it is not the PNG matplotlib's default hinting draws."""
    from sim.output.plotkit import plain_text

    assert TEXT_HINTING == "no_hinting"
    for setting in ("default", "force_autohint"):
        with matplotlib.rc_context({"text.hinting": setting}):
            save(_laid_out_figure(), tmp_path / f"{setting}.png")
    assert (tmp_path / "default.png").read_bytes() == (
        tmp_path / "force_autohint.png").read_bytes()
    hinted = _laid_out_figure()
    with plain_text(hinted), matplotlib.rc_context({"text.hinting": "default"}):
        hinted.savefig(tmp_path / "hinted.png", format="png", dpi=110,
                       metadata={"Software": None},
                       pil_kwargs={"compress_level": PNG_COMPRESSION})
    plt.close(hinted)
    assert not same_image(tmp_path / "hinted.png", tmp_path / "default.png")
