"""The page kit of every HTML report: run, comparison, replicates, sweep and calibration.

A report is a title, a lead line, an alert (warnings, a summary) and a list of
:class:`Section`. :func:`page` renders them through the Jinja2 templates shipped in
``sim/output/templates`` (``page.html.j2``: head, inline style sheet ``report.css``, the
contents list built from the sections' titles; ``tables.html.j2`` and
``figures.html.j2``: the partials for tables and figures). Autoescape is on: any text
handed to a template is escaped, so a name or a description holding ``<script>`` or ``&``
is shown as written; only :class:`markupsafe.Markup` (what the partials render, and
plotly's own chart ``<div>``) passes unchanged. The page needs no server and no
internet: plotly.js is inlined once, PNG plots are base64 ``data:`` URIs, the style sheet
is inline.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from sim.errors import UserError
from sim.output.interactive import Chart, page_script, plot_div

DEFAULT_REPORT = "report.html"
"""The report's file name in the folder it reports on."""
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_TABLE_ROWS = 200

CAPTIONS = {
    "headcount": "Headcount of each named firm and the generated firms over time",
    "pay_by_tier": "Pay by tier: final distribution and quantiles over time",
    "gpu_vs_top_share": "GPU stock against share of the top tier, final month",
    "moves_matrix": "Moves between named firms, the generated firms and unemployment, "
                    "by tier, over the run",
    "pay_by_firm": "Median pay of each tier by firm over time",
    "top_share_by_firm": "Each firm's share of the top tier over time",
    "timeline": "Deals and dated events by firm",
    "rates": "Unemployment and job-to-job rates",
    "compare_pay_by_tier": "Median pay by tier over time, all runs",
    "compare_top_share_by_firm": "Each firm's share of the top tier over time, all runs",
    "compare_rates": "Unemployment and AI / non-AI pay ratio, all runs",
    "compare_deals_layoffs": "Deals, layoffs and counter-offers, all runs",
}
"""Captions of the known PNG plots, by file stem, in the order a page shows them."""

Block = Markup | str
"""A piece of a section: Markup is kept as it is, text is escaped."""


@dataclass
class Section:
    """One ``<h2>`` section of a page: its title (text, in the contents list too) and its
    body, a list of blocks (Markup kept, text escaped)."""

    title: str
    body: list[Block] = field(default_factory=list)


def esc(text: Any) -> Markup:
    """Any value escaped for HTML text or attribute content, as :func:`html.escape` does
    (``&quot;`` and ``&#x27;`` for quotes); Markup is kept as it is."""
    if isinstance(text, Markup):
        return text
    return Markup(html.escape(str(text), quote=True))


def fmt(template: str, *values: Any) -> Markup:
    """``template`` (HTML) with each ``{}`` replaced by a value, escaped by :func:`esc`."""
    return Markup(template).format(*(esc(v) for v in values))


@cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the report templates: autoescape on, every value shown
    escaped by :func:`esc` (the ``finalize`` hook), so pages escape as they always have."""
    return jinja2.Environment(loader=jinja2.PackageLoader("sim.output", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True, finalize=esc)


def _macro(template: str, name: str) -> Any:
    return getattr(environment().get_template(template).module, name)


def page(title: str, lead: str, sections: Sequence[Section], *, alert: Block = "",
         scripts: Block = "") -> str:
    """A complete HTML document (``page.html.j2``): inline CSS, a contents list of the
    sections (when there are two or more), nothing fetched from elsewhere.

    Parameters
    ----------
    title, lead : str
        Plain text for the heading and the line under it.
    sections : sequence of Section
        The body; section ``k`` (from 1) gets the anchor ``section-k``.
    alert : Markup
        Shown before the contents list (the warnings, a summary).
    scripts : Markup
        Inline ``<script>`` elements for the ``<head>`` (:func:`page_scripts` for a page
        with charts); a page without them has no script at all.
    """
    made = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return environment().get_template("page.html.j2").render(
        title=title, lead=lead, sections=sections, alert=alert, scripts=scripts, made=made)


def page_scripts() -> Markup:
    """The scripts of a page with charts: the error handler, then plotly.js, inline."""
    return Markup(page_script())


# --------------------------------------------------------------------------- tables


def table(columns: Sequence[Block], rows: Iterable[Sequence[Block]], cls: str = "", *,
          row_classes: Sequence[str] | None = None,
          cell_classes: Sequence[Sequence[str]] | None = None) -> Markup:
    """A table in a box that scrolls sideways when it is wider than the page."""
    return Markup(_macro("tables.html.j2", "table")(
        list(columns), [list(r) for r in rows], cls, row_classes, cell_classes))


def _number(value: Any) -> str:
    """A table cell: ``n/a`` for a missing value, floats at 4 significant digits (whole
    numbers from 1,000 up with thousands separators), anything else as text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


def data_table(df: pd.DataFrame, max_rows: int = MAX_TABLE_ROWS) -> Markup:
    """Any table, cut to ``max_rows`` rows with a note."""
    note = Markup()
    if len(df) > max_rows:
        note = para(f"First {max_rows:,} of {len(df):,} rows.")
        df = df.head(max_rows)
    rows = ([_number(v.item() if hasattr(v, "item") else v) for v in row]
            for row in df.itertuples(index=False, name=None))
    return note + table([str(c) for c in df.columns], rows, "dataframe data")


def facts(items: dict[str, Any]) -> Markup:
    """A two-column table of named facts, skipping empty ones."""
    return Markup(_macro("tables.html.j2", "facts")(
        [(k, v) for k, v in items.items() if v not in (None, "")]))


def para(text: Block) -> Markup:
    """A note: a small grey paragraph."""
    return Markup(_macro("tables.html.j2", "note")(text))


def heading(text: str, level: int = 3) -> Markup:
    """A heading below the sections' ``<h2>`` (not in the contents list)."""
    return fmt(f"<h{level}>{{}}</h{level}>", text)


def json_block(data: Any) -> Markup:
    """Pretty JSON in an escaped ``<pre>`` block."""
    text = json.dumps(data, indent=2, default=str, ensure_ascii=False)
    return Markup(_macro("tables.html.j2", "json_block")(text))


def details(summary: str, body: Block, cls: str = "") -> Markup:
    """A closed ``<details>`` section."""
    return Markup(_macro("tables.html.j2", "details")(summary, body, cls))


def warnings_box(warnings: Sequence[str], what: str = "run") -> Markup:
    """The warnings in a box of their own (empty if there are none)."""
    if not warnings:
        return Markup()
    return Markup(_macro("tables.html.j2", "warnings")(list(warnings), what))


def all_warnings(labelled: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
    """Each warning prefixed with the run it belongs to."""
    return [f"{label}: {w}" for label, warnings in labelled for w in warnings]


# --------------------------------------------------------------------------- figures


def png_data_uri(path: Path) -> str:
    """A PNG file as a ``data:image/png;base64,...`` URI.

    Raises
    ------
    UserError
        If the file cannot be read or is not a PNG image.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise UserError(f"{path}: cannot be read: {err.strerror or err}") from None
    if not data.startswith(PNG_SIGNATURE):
        raise UserError(f"{path}: not a PNG image (redraw the plots with talentwar plot)")
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def figure(path: Path, caption: str | None = None) -> Markup:
    """A ``<figure>`` with the PNG embedded and a caption naming the file."""
    path = Path(path)
    caption = caption or CAPTIONS.get(path.stem, path.stem.replace("_", " "))
    return Markup(_macro("figures.html.j2", "png")(png_data_uri(path), caption, path.name))


def figures(paths: Iterable[Path]) -> Markup:
    """PNG figures, one after the other."""
    return Markup("\n").join(figure(p) for p in paths)


def chart(item: Chart) -> Markup:
    """An interactive chart: plotly's ``<div>`` and script (plotly.js not included; the
    figure's JSON escapes ``<``), then the caption."""
    return Markup(_macro("figures.html.j2", "chart")(
        item.name, Markup(plot_div(item)), item.caption))


def charts(items: Sequence[Chart]) -> Markup:
    """Interactive charts, one after the other, with a line on how to use them."""
    return Markup(_macro("figures.html.j2", "charts")([chart(c) for c in items]))


# --------------------------------------------------------------------------- reading


def pngs_in(folder: Path) -> list[Path]:
    """The PNG files of a folder: known plots in their usual order, then the rest by name.

    Hidden files and anything that is not a file (a folder named ``x.png``) are left out.
    """
    found = sorted(p for p in Path(folder).glob("*.png")
                   if not p.name.startswith(".") and p.is_file())
    order = {name: k for k, name in enumerate(CAPTIONS)}
    return sorted(found, key=lambda p: (order.get(p.stem, len(order)), p.name))


def read_csv(path: Path) -> pd.DataFrame:
    """A CSV table, with a clear :class:`UserError` if it cannot be read."""
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError,
            OSError) as err:
        raise UserError(f"{path}: not a readable CSV table: {' '.join(str(err).split())}"
                        ) from None
