"""One self-contained HTML report of a run, of several runs or of replicates, and the pieces
of such pages.

``talentwar report RUN_DIR`` writes ``RUN_DIR/report.html``; ``talentwar report --compare
RUN_DIR RUN_DIR...`` writes ``results/compare/<UTC timestamp>/report.html`` (where
``talentwar compare`` writes). A replicate folder (``talentwar run --replicates N``) gets a
report of its means and 95% intervals, and replicate folders are compared by the paired
differences of :mod:`sim.output.replicates`. ``--out FILE`` writes elsewhere. The reports
of sweep and calibration folders (:mod:`sim.sweeps.report`, :mod:`sim.calibration.report`)
are built from the same pieces: :func:`page`, :func:`figure_html`, :func:`data_table_html`
and the others.

A report opens with what the run is (scenario, description, seed, size), its warnings in a
box of their own, and a table of contents. Its charts are interactive
(:mod:`sim.output.interactive`: hover, zoom, click a legend entry to hide a firm); the
PNG plots of the run folder follow in a closed section that opens for printing. The file
needs no server and no internet: plotly.js is inlined once, the PNG plots are base64
``data:`` URIs, the style sheet is inline, and the scenario and manifest are printed as
escaped JSON; every text that comes from a scenario file (names, descriptions) is escaped.
Wide tables scroll sideways inside their box. Like every plot, the report reads result
files only, never a model; it checks them all (manifest, tables, PNG files) before
writing, and is written atomically (a temporary file beside it, then a rename).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import math
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim import columns as col
from sim.errors import UserError
from sim.files import write_text
from sim.output.compare import (
    default_compare_dir,
    difference_table,
    format_cells,
    load_runs,
    write_comparison,
)
from sim.output.effect_charts import effect_charts, firm_share_chart, firm_table, percent_chart
from sim.output.effects import (
    EFFECT_PLOTS,
    FINAL_MONTH,
    multiple_comparison_note,
    place_colours,
    plot_market_effects,
    plot_percent_effects,
    plot_top_share_effects,
)
from sim.output.firm_effects import FIRM_SHARES_PLOT, place_order, plot_firm_shares
from sim.output.interactive import (
    Chart,
    band_charts,
    blocked_deals,
    chart_html,
    compare_charts,
    deal_origins,
    page_script,
    run_charts,
    run_colours,
)
from sim.output.numbers import format_row, measure_kind
from sim.output.palette import named_firms
from sim.output.plots import RUN_PLOTS, check_plottable, save
from sim.output.replicates import (
    SUMMARY,
    SUMMARY_COLUMNS,
    Comparison,
    ReplicateFolder,
    compare_folders,
    is_replicate_folder,
    open_folders,
)
from sim.output.rundir import RunFolder
from sim.output.scenario_diff import scenario_differences

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

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1d2330; background: #fafbfc; line-height: 1.45; }
main { max-width: 1200px; margin: 0 auto; padding: 1.5rem 2rem 4rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #d8dde6;
     padding-bottom: 0.25rem; overflow-wrap: anywhere; }
h3 { font-size: 1.05rem; margin-top: 1.6rem; }
p.lead { color: #4a5568; margin-top: 0; }
.table-box { max-width: 100%; overflow-x: auto; margin: 0.6rem 0; }
table { border-collapse: collapse; font-size: 0.9rem; background: #fff; }
th, td { border: 1px solid #d8dde6; padding: 0.25rem 0.6rem; vertical-align: top; }
th { background: #eef1f6; text-align: left; }
td.num, table.key td:not(:first-child), table.data td { text-align: right;
     font-variant-numeric: tabular-nums; }
table.data td:first-child, table.key td:first-child { text-align: left; }
table.facts th { width: 12rem; }
table.facts td, td.text { overflow-wrap: anywhere; max-width: 40rem; }
table.changes td { text-align: left; min-width: 6rem; max-width: 22rem;
     overflow-wrap: anywhere; }
table.changes td.key { font-family: ui-monospace, monospace; font-size: 0.85rem;
     overflow-wrap: normal; }
tr.same td { color: #8a94a6; }
.summary { background: #eef6ff; border: 2px solid #0b3c5d; border-left-width: 8px;
           padding: 0.4rem 1.2rem; margin: 1rem 0; }
.summary h2 { border: 0; margin-top: 0.4rem; }
.summary li { margin: 0.2rem 0; overflow-wrap: anywhere; }
td.differs { background: #eef6ff; }
figure { margin: 1.2rem 0; background: #fff; border: 1px solid #d8dde6; padding: 0.6rem; }
figure img { max-width: 100%; height: auto; display: block; margin: 0 auto; }
figcaption { font-size: 0.9rem; color: #4a5568; margin-top: 0.4rem; }
pre { background: #fff; border: 1px solid #d8dde6; padding: 0.8rem; overflow-x: auto;
      font-size: 0.8rem; max-height: 40rem; }
details summary { cursor: pointer; font-weight: 600; margin: 0.6rem 0; }
.note { color: #4a5568; font-size: 0.9rem; }
nav.toc { background: #fff; border: 1px solid #d8dde6; padding: 0.4rem 1.2rem;
          margin: 1rem 0; }
nav.toc ol { margin: 0.3rem 0; padding-left: 1.4rem; columns: 2 18rem; }
nav.toc h2 { margin-top: 0.4rem; border: 0; font-size: 1rem; }
.warnings { background: #fff8e1; border: 2px solid #e0a800; border-left-width: 8px;
            padding: 0.4rem 1.2rem; margin: 1rem 0; }
.warnings h2 { border: 0; margin-top: 0.4rem; color: #7a4f00; }
.warnings li { margin: 0.3rem 0; overflow-wrap: anywhere; }
pre.errors { background: #fdecea; border: 2px solid #c62828; color: #8e0000;
             white-space: pre-wrap; }
footer { margin-top: 3rem; color: #718096; font-size: 0.8rem; }
@media print {
  figure.chart, nav.toc { display: none; }
  details.static::details-content { content-visibility: visible; }
  .table-box { overflow: visible; }
  main { max-width: none; padding: 0; }
}
"""


# --------------------------------------------------------------------------- HTML pieces


def esc(text: Any) -> str:
    """Escape any value for HTML text or attribute content."""
    return html.escape(str(text), quote=True)


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


def figure_html(path: Path, caption: str | None = None) -> str:
    """An ``<figure>`` with the PNG embedded and a caption naming the file."""
    path = Path(path)
    caption = caption or CAPTIONS.get(path.stem, path.stem.replace("_", " "))
    return (f'<figure><img src="{png_data_uri(path)}" alt="{esc(caption)}" '
            f'data-file="{esc(path.name)}">'
            f"<figcaption>{esc(caption)} <span class=\"note\">({esc(path.name)})</span>"
            "</figcaption></figure>")


def json_block(data: Any) -> str:
    """Pretty JSON in an escaped ``<pre>`` block."""
    return f"<pre>{esc(json.dumps(data, indent=2, default=str, ensure_ascii=False))}</pre>"


def table_box(table: str) -> str:
    """A table in a box that scrolls sideways when the table is wider than the page."""
    return f'<div class="table-box">{table}</div>'


def key_table_html(table: pd.DataFrame) -> str:
    """The key-figures (difference) table as HTML, formatted as ``talentwar compare`` prints."""
    cells = format_cells(table)
    head = "".join(f"<th>{esc(c)}</th>" for c in [table.index.name or "measure",
                                                  *table.columns])
    body = "".join(
        "<tr><td>" + esc(name) + "</td>" + "".join(f"<td>{esc(v)}</td>" for v in row)
        + "</tr>" for name, row in zip(cells.index, cells.to_numpy(), strict=True)
    )
    return table_box(f'<table class="key"><thead><tr>{head}</tr></thead>'
                     f"<tbody>{body}</tbody></table>")


def _number(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


def data_table_html(df: pd.DataFrame, max_rows: int = MAX_TABLE_ROWS) -> str:
    """Any table as escaped HTML, cut to ``max_rows`` rows with a note."""
    note = ""
    if len(df) > max_rows:
        note = f'<p class="note">First {max_rows:,} of {len(df):,} rows.</p>'
        df = df.head(max_rows)
    text = df.to_html(index=False, escape=True, border=0, na_rep="n/a",
                      float_format=_number, classes="data")
    return note + table_box(text)


def facts_html(facts: dict[str, Any]) -> str:
    """A two-column table of named facts, skipping empty ones."""
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>"
                   for k, v in facts.items() if v not in (None, ""))
    return table_box(f'<table class="facts">{rows}</table>')


def warnings_html(warnings: Sequence[str], what: str = "run") -> str:
    """The warnings in a box of their own (empty if there are none)."""
    if not warnings:
        return ""
    items = "".join(f"<li>{esc(w)}</li>" for w in warnings)
    return (f'<section class="warnings" role="alert"><h2>Warnings ({len(warnings)})</h2>'
            f'<p class="note">What the {esc(what)} found odd about the market: read these '
            f"before the results.</p><ul>{items}</ul></section>")


def _toc(body: str) -> tuple[str, str]:
    """Give every ``<h2>`` of ``body`` an id and return ``(body, table of contents)``."""
    entries: list[tuple[str, str]] = []

    def number(match: re.Match[str]) -> str:
        anchor = f"section-{len(entries) + 1}"
        entries.append((anchor, match.group(1)))
        return f'<h2 id="{anchor}">{match.group(1)}</h2>'

    body = re.sub(r"<h2>(.*?)</h2>", number, body, flags=re.S)
    if len(entries) < 2:
        return body, ""
    items = "".join(f'<li><a href="#{a}">{text}</a></li>' for a, text in entries)
    return body, f'<nav class="toc"><h2>Contents</h2><ol>{items}</ol></nav>'


def page(title: str, lead: str, sections: Sequence[str], *, alert: str = "",
         scripts: str = "") -> str:
    """A complete HTML document: inline CSS, a table of contents of its ``<h2>``
    sections, nothing fetched from elsewhere.

    Parameters
    ----------
    title, lead : str
        Plain text (escaped here) for the heading and the line under it.
    sections : sequence of str
        The body, as HTML.
    alert : str
        HTML shown before the table of contents (the warnings).
    scripts : str
        Inline ``<script>`` elements for the ``<head>`` (:func:`interactive.page_script`
        for a page with charts); a page without them has no script at all.
    """
    made = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    body, toc = _toc("\n".join(sections))
    errors = '<pre id="script-errors" class="errors" hidden></pre>\n' if scripts else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n{scripts}</head>\n<body>\n"
        f"<main>\n<h1>{esc(title)}</h1>\n<p class=\"lead\">{esc(lead)}</p>\n{errors}"
        f"{alert}\n{toc}\n{body}"
        f"\n<footer>Written by talentwar report on {esc(made)} UTC from result files "
        "only.</footer>\n</main>\n</body>\n</html>\n"
    )


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


def charts_html(charts: Sequence[Chart]) -> str:
    """Interactive charts, one after the other, with a line on how to use them."""
    return ('<p class="note">Hover a line for its values; drag to zoom (double-click to '
            "zoom out); click a name in the legend to hide or show it, double-click to show "
            "it alone.</p>\n" + "\n".join(chart_html(c) for c in charts))


# --------------------------------------------------------------------------- one run


def run_facts(run: RunFolder) -> dict[str, Any]:
    """The facts about a run shown at the top of its section."""
    m = run.manifest
    scenario = m.get("scenario") or {}
    versions = m.get("versions") or {}
    named = named_firms(scenario)
    firms = m.get("firms")
    return {
        "scenario": run.scenario_name,
        "description": scenario.get("description"),
        "seed": run.seed,
        "start": scenario.get("start"),
        "months": m.get("months"),
        "engineers": f"{m['engineers']:,}" if isinstance(m.get("engineers"), int) else None,
        "firms": (f"{firms} ({len(named)} named, {firms - len(named)} generated)"
                  if isinstance(firms, int) else None),
        "named firms": ", ".join(named),
        "tiers": ", ".join(run.tiers),
        "warnings": len(m.get("warnings") or []),
        "folder": str(run.dir.resolve()),
        "started": m.get("started"),
        "finished": m.get("finished"),
        "wall time (s)": m.get("wall_time_seconds"),
        "git commit": m.get("git_commit"),
        "versions": ", ".join(f"{k} {v}" for k, v in versions.items()),
    }


def run_figures(run: RunFolder) -> str:
    """Every PNG of the run folder embedded; drawn afresh (not saved) if it has none."""
    pngs = pngs_in(run.dir)
    if pngs:
        return "\n".join(figure_html(p) for p in pngs)
    with tempfile.TemporaryDirectory() as tmp:
        drawn = [save(draw(run), Path(tmp) / f"{name}.png")
                 for name, draw in RUN_PLOTS.items()]
        return ('<p class="note">The run folder has no plots; these were drawn from its '
                "result files for this report.</p>\n"
                + "\n".join(figure_html(p) for p in drawn))


def static_figures(run: RunFolder) -> str:
    """The run's PNG plots in a closed section, opened when the page is printed."""
    return ('<details class="static"><summary>Static figures (PNG, as printed)</summary>\n'
            '<p class="note">The plots of the run folder, as <code>talentwar plot</code> draws '
            "them; printing the page shows these instead of the interactive charts.</p>\n"
            f"{run_figures(run)}</details>")


def scenario_and_manifest(run: RunFolder, level: str = "h2") -> str:
    """The scenario and the rest of the manifest as escaped JSON."""
    manifest = {k: v for k, v in run.manifest.items() if k != "scenario"}
    return (f"<{level}>Scenario</{level}>\n"
            '<p class="note">As resolved for this run (defaults filled in).</p>\n'
            f"{json_block(run.manifest.get('scenario', {}))}\n"
            f"<{level}>Manifest</{level}>\n{json_block(manifest)}")


def _column(table: pd.DataFrame, column: str) -> pd.Series:
    """A column as numbers (all NaN if the table lacks it)."""
    if column not in table.columns:
        return pd.Series(math.nan, index=table.index, dtype=float)
    return pd.to_numeric(table[column], errors="coerce").astype(float)


def deals_by_origin(runs: Sequence[RunFolder]) -> pd.DataFrame:
    """Deals of each run counted by origin: scheduled (dated in the scenario's timeline)
    or the model's own; with those blocked, engineers moved, value and the median price
    per engineer of the deals done."""
    rows = []
    for run in runs:
        deals = run.deals
        if deals.empty:
            continue
        origin, blocked = deal_origins(deals), blocked_deals(deals)
        for name in [*col.DEAL_ORIGINS, *sorted(set(origin) - set(col.DEAL_ORIGINS))]:
            mine = origin == name
            if not mine.any():
                continue
            done = deals[mine & ~blocked]
            rows.append({"run": run.label, "origin": name, "deals": int(mine.sum()),
                         "blocked": int((mine & blocked).sum()),
                         "engineers moved": _column(done, col.DEAL_ENGINEERS_MOVED).sum(),
                         "value ($)": _column(done, col.DEAL_PRICE).sum(),
                         "median price per engineer ($)":
                             _column(done, col.DEAL_PRICE_PER_ENGINEER).median()})
    table = pd.DataFrame(rows)
    if len(runs) == 1 and not table.empty:
        table = table.drop(columns="run")
    return table


def deals_section(run: RunFolder, level: str = "h2") -> str:
    """The run's deals: counted by origin, then every deal (empty if it recorded none)."""
    deals = run.deals
    if deals.empty:
        return ""
    return (f"<{level}>Deals</{level}>\n"
            '<p class="note"><b>scheduled</b>: dated deals of the scenario\'s timeline '
            "(the deals that happened); <b>model</b>: deals the model's firms made on their "
            "own.</p>\n" + data_table_html(deals_by_origin([run])) + data_table_html(deals))


def check_figures(run: RunFolder) -> None:
    """Check what :func:`run_figures` will read: the files of the plots if the run folder
    has none, so that a damaged folder is refused before anything is drawn."""
    if not pngs_in(run.dir):
        check_plottable(run)


def run_report(run_dir: Path) -> str:
    """The HTML report of one run folder."""
    run = RunFolder.finished(run_dir)
    check_figures(run)
    table = difference_table([run])
    sections = [
        "<h2>What the run is</h2>", facts_html(run_facts(run)),
        "<h2>Key figures at the end of the horizon</h2>",
        '<p class="note">Rates and pay are the final month\'s; deals, layoffs and '
        "counter-offers are totals over the run.</p>",
        key_table_html(table),
        "<h2>Charts</h2>", charts_html(run_charts(run)),
        static_figures(run),
        deals_section(run),
        scenario_and_manifest(run),
    ]
    description = str((run.manifest.get("scenario") or {}).get("description", ""))
    return page(f"talentwar report: {run.label}", description, sections,
                alert=warnings_html(run.manifest.get("warnings") or []),
                scripts=page_script())


# --------------------------------------------------------------------------- several runs


def changes_html(labels: Sequence[str], scenarios: Sequence[dict[str, Any]]) -> str:
    """What each run changed: the scenario keys whose values differ between the runs (one
    column per run), then each run's changes against the first as ``key: old → new``."""
    rows = scenario_differences(scenarios)
    if not rows:
        return '<p class="note">The runs\' resolved scenarios and seeds are the same.</p>'
    head = "".join(f"<th>{esc(label)}</th>" for label in labels)
    body = "".join(
        f'<tr><td class="key">{_breakable(path)}</td>'
        + "".join(f"<td>{esc(v)}</td>" for v in values) + "</tr>"
        for path, values in rows)
    table = table_box(f'<table class="changes"><thead><tr><th>key</th>{head}</tr></thead>'
                      f"<tbody>{body}</tbody></table>")
    lists = []
    for k, label in enumerate(labels[1:], start=1):
        items = "".join(f"<li><code>{esc(path)}</code>: {esc(values[0])} → "
                        f"{esc(values[k])}</li>"
                        for path, values in rows if values[k] != values[0])
        lists.append(f"<li><b>{esc(label)}</b>"
                     + (f"<ul>{items}</ul>" if items else ": the same as the reference")
                     + "</li>")
    return (f'<p class="note">{len(rows)} key(s) of the resolved scenarios (as each '
            "run's manifest records them, with the run's seed as <code>seed</code>) differ "
            "between the runs.</p>\n" + table
            + f"<h3>Changes against the reference ({esc(labels[0])})</h3>"
            + f"<ul>{''.join(lists)}</ul>")


def _whole(value: Any) -> str:
    """A count with thousands separators (as it is if it is not a whole number)."""
    return f"{value:,}" if isinstance(value, int) else esc(value)


def _breakable(path: str) -> str:
    """A key path, escaped, that may wrap after each dot (and nowhere else)."""
    return esc(path).replace(".", ".<wbr>")


def _with_seed(manifest: Any) -> dict[str, Any]:
    """The resolved scenario with the run's seed as its ``seed``."""
    scenario = dict(manifest.get("scenario") or {})
    if "seed" in manifest:
        scenario["seed"] = manifest["seed"]
    return scenario


def all_warnings(labelled: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
    """Each warning prefixed with the run it belongs to."""
    return [f"{label}: {w}" for label, warnings in labelled for w in warnings]


def compare_report(run_dirs: Sequence[Path]) -> str:
    """The HTML report comparing several runs (the first is the reference)."""
    runs = load_runs(run_dirs)
    with tempfile.TemporaryDirectory() as tmp:
        table, pngs = write_comparison(runs, Path(tmp) / "compare")
        figures = "\n".join(figure_html(p) for p in pngs)
    listing = "".join(
        f"<tr><td>{esc(r.label)}</td><td>{esc(r.scenario_name)}</td>"
        f'<td class="text">{esc((r.manifest.get("scenario") or {}).get("description", ""))}'
        f"</td><td>{esc(r.seed)}</td><td>{_whole(r.manifest.get('engineers'))}</td>"
        f"<td>{esc(r.manifest.get('months'))}</td>"
        f"<td>{len(r.manifest.get('warnings') or [])}</td>"
        f'<td class="text">{esc(r.dir.resolve())}</td></tr>' for r in runs)
    colours = run_colours(runs)
    deals = deals_by_origin(runs)
    sections = [
        "<h2>Runs</h2>",
        table_box("<table><thead><tr><th>run</th><th>scenario</th><th>description</th>"
                  "<th>seed</th><th>engineers</th><th>months</th><th>warnings</th>"
                  f"<th>folder</th></tr></thead><tbody>{listing}</tbody></table>"),
        "<h2>What each run changed</h2>",
        changes_html([r.label for r in runs], [_with_seed(r.manifest) for r in runs]),
        "<h2>Key figures at the end of the horizon</h2>",
        f'<p class="note">Δ columns: each run minus the first ({esc(runs[0].label)}). '
        "Deals, layoffs and counter-offers are totals over the run.</p>",
        key_table_html(table),
        "<h2>Charts: all runs on shared axes</h2>", charts_html(compare_charts(runs)),
        '<details class="static"><summary>Static figures (PNG, as printed)</summary>'
        f"{figures}</details>",
    ]
    if not deals.empty:
        sections += ["<h2>Deals by origin, all runs</h2>", data_table_html(deals)]
    for k, run in enumerate(runs, start=1):
        sections += [f"<h2>Run: {esc(run.label)}</h2>", facts_html(run_facts(run)),
                     charts_html([Chart(f"run{k}-{c.name}", c.caption, c.figure)
                                  for c in run_charts(run, colours)]),
                     deals_section(run, "h3"),
                     "<details><summary>Scenario and manifest</summary>"
                     + scenario_and_manifest(run, "h3") + "</details>"]
    return page("talentwar report: comparison of " + ", ".join(r.label for r in runs),
                f"{len(runs)} runs compared; the first, {runs[0].label}, is the reference.",
                sections,
                alert=warnings_html(all_warnings(
                    [(r.label, r.manifest.get("warnings") or []) for r in runs]), "runs"),
                scripts=page_script())


# --------------------------------------------------------------------------- replicates


def _summary(folder: ReplicateFolder) -> pd.DataFrame:
    """The folder's ``summary.csv``, checked."""
    path = folder.dir / SUMMARY
    table = read_csv(path)
    missing = [c for c in SUMMARY_COLUMNS if c not in table.columns]
    if missing:
        raise UserError(f"{path}: missing column(s) {', '.join(missing)} (the report "
                        "needs the mean and interval of every month)")
    for column in [*SUMMARY_COLUMNS[2:], "month"]:
        table[column] = pd.to_numeric(table[column], errors="coerce")
    return table


def _first_run(folder: ReplicateFolder) -> RunFolder:
    """The folder's first replicate (its tiers and calendar are every replicate's)."""
    return next(iter(folder.runs.values()))


def _dates(folder: ReplicateFolder) -> dict[int, Any]:
    """Month number to calendar month, from the first replicate."""
    run = _first_run(folder)
    return dict(zip(run.market[col.MONTH].astype(int), run.dates(), strict=True))


def replicate_warnings(folder: ReplicateFolder) -> list[str]:
    """The replicates' warnings, each once, with how many replicates gave it."""
    counts: dict[str, int] = {}
    for run in folder.runs.values():
        for w in run.manifest.get("warnings") or []:
            counts[w] = counts.get(w, 0) + 1
    n = len(folder.runs)
    return [f"{w} (in {k} of {n} replicates)" for w, k in counts.items()]


def final_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """The final month's row of every measure: mean, 95% interval, deviation."""
    last = summary[summary["month"] == summary["month"].max()]
    return last[["measure", "mean", "ci_low", "ci_high", "std", "replicates"]].rename(
        columns={"ci_low": "95% low", "ci_high": "95% high", "std": "std. dev."})


def replicate_facts(folder: ReplicateFolder) -> dict[str, Any]:
    """The facts about a replicate folder."""
    m = folder.manifest
    scenario = m.get("scenario") or {}
    run = _first_run(folder)
    return {
        "scenario": scenario.get("name"),
        "description": scenario.get("description"),
        "root seed": m.get("seed"),
        "replicates": len(folder.runs),
        "seeds": ", ".join(str(s) for s in folder.runs),
        "months": m.get("months"),
        "engineers": (f"{run.manifest['engineers']:,}"
                      if isinstance(run.manifest.get("engineers"), int) else None),
        "firms": run.manifest.get("firms"),
        "folder": str(folder.dir.resolve()),
        "finished": m.get("finished"),
        "git commit": m.get("git_commit"),
    }


def replicate_report(path: Path) -> str:
    """The HTML report of a replicate folder: means over replicates with 95% intervals."""
    folder = ReplicateFolder.open(path)
    summary = _summary(folder)
    run = _first_run(folder)
    sections = [
        "<h2>What the runs are</h2>", facts_html(replicate_facts(folder)),
        "<h2>Final month: mean over replicates and 95% interval of the mean</h2>",
        data_table_html(final_summary(summary)),
        "<h2>Charts</h2>",
        charts_html(band_charts([(folder.label, summary, _dates(folder))], run.tiers)),
        "<h2>Scenario</h2>", json_block(folder.manifest.get("scenario", {})),
        "<h2>Manifest</h2>",
        json_block({k: v for k, v in folder.manifest.items() if k != "scenario"}),
    ]
    return page(f"talentwar report: {folder.label}, {len(folder.runs)} replicates",
                str((folder.manifest.get("scenario") or {}).get("description", "")),
                sections, alert=warnings_html(replicate_warnings(folder), "replicates"),
                scripts=page_script())


def differences_html(table: pd.DataFrame) -> str:
    """Paired differences as a table; rows whose interval holds zero are greyed and
    marked ``≈ 0``. Numbers are formatted by the kind of their measure (one precision a
    row); Δ is also given in % of the reference, and beside the per-measure verdict the
    verdict with the false discovery rate controlled (Benjamini–Hochberg)."""
    def pct(v: Any) -> str:
        return "n/a" if v is None or math.isnan(float(v)) else f"{float(v):+.1f}%"

    def bh(r: pd.Series) -> str:
        if "distinguishable_fdr" not in r:
            return "n/a"
        return "differs" if r["distinguishable_fdr"] else "≈ 0"

    def row(name: object, r: pd.Series) -> str:  # one precision a row, by kind
        ref, other, diff, low, high = format_row(
            [r["reference_mean"], r["other_mean"], r["mean_difference"], r["low"], r["high"]],
            measure_kind(str(name)), [False, False, True, False, False])
        verdict = "differs" if r["distinguishable"] else "≈ 0 (not distinguishable)"
        return (f'<tr class="{"" if r["distinguishable"] else "same"}"><td>{esc(name)}</td>'
                f"<td>{ref}</td><td>{other}</td><td>{diff}</td><td>[{low}, {high}]</td>"
                f"<td>{pct(r.get('percent_difference'))}</td><td>{verdict}</td>"
                f"<td>{bh(r)}</td><td>{int(r['pairs'])}</td></tr>")

    rows = "".join(row(name, r) for name, r in table.iterrows())
    return table_box(
        '<table class="key"><thead><tr><th>measure</th><th>reference mean</th>'
        "<th>other mean</th><th>Δ mean</th><th>95% interval of Δ</th><th>Δ % of reference"
        "</th><th>verdict</th><th>verdict, BH (false discovery rate 5%)</th>"
        f"<th>pairs</th></tr></thead><tbody>{rows}</tbody></table>")


def summary_html(comparisons: Sequence[Comparison], reference: str) -> str:
    """The three-line summary of each comparison, in a box at the top of the page."""
    items = "".join(
        f"<li><b>{esc(c.label)} minus {esc(reference)}</b><ul>"
        + "".join(f"<li>{esc(line)}</li>" for line in c.summary) + "</ul></li>"
        for c in comparisons)
    return (f'<section class="summary"><h2>In three lines</h2><ul>{items}</ul>'
            '<p class="note">Changed: the 95% paired interval excludes 0 and the verdict '
            "holds with the false discovery rate controlled (Benjamini–Hochberg, 5%) over "
            "the table's measures.</p></section>")


def firm_tables_html(firms: pd.DataFrame) -> str:
    """Per tier, a table of places (rows) by firm measures (columns), each cell the paired
    difference ``Δ [95% interval]``; a cell whose interval excludes 0 is bold, and marked
    ``*`` when the verdict holds with the false discovery rate controlled."""
    parts = []
    for tier in dict.fromkeys(firms["tier"]):
        cells = firm_table(firms, tier)
        marks = cells.attrs["marks"]
        head = "".join(f"<th>{esc(c)}</th>" for c in ["firm", *cells.columns])
        body = "".join(
            f"<tr><td>{esc(place)}</td>" + "".join(
                (f'<td class="differs"><b>{esc(v)}{" *" if m == "differs-bh" else ""}</b></td>'
                 if m else f"<td>{esc(v)}</td>")
                for v, m in zip(row, marks.loc[place], strict=True)) + "</tr>"
            for place, row in cells.iterrows())
        parts.append(f"<h3>{esc(tier)}</h3>" + table_box(
            f'<table class="key firms"><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
            "</table>"))
    return "\n".join(parts)


def deal_teams_html(teams: pd.DataFrame) -> str:
    """Where each deal's team works at the end, in both folders (deals tried in at least
    two paired seeds, places with at least one engineer on either side)."""
    shown = teams[(teams["pairs"] >= 2)
                  & ((teams["reference_mean"] > 0) | (teams["other_mean"] > 0))]
    if shown.empty:
        return ('<p class="note">No deal was tried in both folders in two or more paired '
                "seeds.</p>")
    table = shown.rename(columns={"reference_outcome": "outcome, reference",
                                  "other_outcome": "outcome, other",
                                  "firm_at_end": "works at the end at",
                                  "reference_mean": "engineers, reference",
                                  "other_mean": "engineers, other",
                                  "mean_difference": "Δ", "low": "95% low",
                                  "high": "95% high"})
    return data_table_html(table)


def effects_sections(folders: Sequence[ReplicateFolder], comparisons: Sequence[Comparison]
                     ) -> list[str]:
    """The report's sections on effects: over time, in % of the reference, by firm, and
    where deals' teams end; then the comparison's PNG plots, closed, for printing."""
    reference = folders[0]
    first = _first_run(reference)
    places = place_order([_first_run(f) for f in folders])
    colours = place_colours(places)
    timed = [(c.label, c.effects) for c in comparisons]
    sections = [
        "<h2>Effects over time: the paired difference and its band</h2>",
        '<p class="note">Each scenario\'s level with its own band across seeds (the charts '
        "further down) can overlap while the difference is clearly not 0: the seeds' common "
        "noise cancels in the difference. These charts draw the difference itself, other − "
        "reference, month by month: the mean over seeds with its 95% paired t interval. Where "
        "the band leaves the dotted line, the effect is distinguishable from 0 in that "
        "month.</p>",
        charts_html(effect_charts(timed, _dates(reference), colours)),
        "<h2>Effects in % of the reference</h2>",
        charts_html([percent_chart([(c.label, c.market) for c in comparisons])]),
        "<h2>By firm: paired differences at the end</h2>",
        '<p class="note">For each named firm, the generated firms together and the '
        "unemployed, per tier: headcount at the end, share of all engineers of the tier (%), "
        "median pay in the final month, hires and quits over the run, and moves from and to "
        "other named firms over the run (job-to-job and by deals). Each cell: the mean over "
        "paired seeds of other − reference, [its 95% interval]; <b>bold</b>: the interval "
        "excludes 0; *: also with the false discovery rate controlled over the firm table "
        "(Benjamini–Hochberg, 5%). Every value is in firm_differences.csv; every replicate's "
        "in firm_measures.csv.</p>",
    ]
    share = firm_share_chart([(c.label, c.firms) for c in comparisons], colours)
    if share is not None:
        sections.append(charts_html([share]))
    for c in comparisons:
        if len(comparisons) > 1:
            sections.append(f"<h3>{esc(c.label)} minus {esc(reference.label)}</h3>")
        sections.append(f'<p class="note">{esc(multiple_comparison_note(len(c.firms)))}</p>'
                        + firm_tables_html(c.firms))
    sections.append("<h2>Deals: where each target's engineers work at the end</h2>")
    sections.append('<p class="note">For each deal tried (by date, buyer and target), done '
                    "or blocked: the engineers of the target's team at the attempt, by where "
                    "they work when the run ends (deal_teams.csv of each replicate), mean "
                    "over the paired seeds in which both folders tried it. All rows: "
                    "deal_team_differences.csv.</p>")
    for c in comparisons:
        if len(comparisons) > 1:
            sections.append(f"<h3>{esc(c.label)} minus {esc(reference.label)}</h3>")
        sections.append(deal_teams_html(c.deal_teams))
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp)
        figures = [
            save(plot_firm_shares([(c.label, c.firms) for c in comparisons], reference.label,
                                  colours), stage / f"{FIRM_SHARES_PLOT}.png"),
            save(plot_market_effects(timed, _dates(reference)),
                 stage / f"{EFFECT_PLOTS[0]}.png"),
            save(plot_top_share_effects(timed, _dates(reference), first.tiers[0], colours),
                 stage / f"{EFFECT_PLOTS[1]}.png"),
            save(plot_percent_effects([(c.label, c.market) for c in comparisons]),
                 stage / f"{EFFECT_PLOTS[2]}.png")]
        static = "\n".join(figure_html(p) for p in figures)
    sections.append('<details class="static"><summary>Static figures of the effects (PNG, '
                    f"as printed)</summary>{static}</details>")
    return sections


def replicate_compare_report(paths: Sequence[Path]) -> str:
    """The HTML report comparing replicate folders with the first, paired by seed."""
    folders = open_folders(paths)
    summaries = [_summary(f) for f in folders]
    comparisons = [compare_folders(folders[0], f) for f in folders[1:]]
    tiers: list[str] = []
    for f in folders:
        tiers.extend(t for t in _first_run(f).tiers if t not in tiers)
    listing = "".join(
        f"<tr><td>{esc(f.label)}</td><td>{len(f.runs)}</td><td>{esc(f.manifest.get('seed'))}"
        f'</td><td class="text">{esc(f.dir.resolve())}</td></tr>' for f in folders)
    sections = [
        "<h2>Replicate folders</h2>",
        table_box("<table><thead><tr><th>folder</th><th>replicates</th><th>root seed</th>"
                  f"<th>path</th></tr></thead><tbody>{listing}</tbody></table>"),
        "<h2>What each folder changed</h2>",
        changes_html([f.label for f in folders],
                     [_with_seed(f.manifest) for f in folders]),
    ]
    for c in comparisons:
        table = c.market
        tested = int((table.index != FINAL_MONTH).sum())
        sections += [
            f"<h2>Paired differences: {esc(c.label)} minus {esc(folders[0].label)}</h2>",
            f'<p class="note">Key measures at the end of the horizon: the mean over '
            f"{int(table['pairs'].max()) if len(table) else 0} replicates paired by seed "
            "(common random numbers) of the difference, with its 95% paired t interval. "
            "Greyed rows, ≈ 0: the interval holds zero, so the runs do not tell the two "
            "scenarios apart on that measure.</p>", differences_html(table),
            f'<p class="note">{esc(multiple_comparison_note(tested))}</p>']
    sections += effects_sections(folders, comparisons)
    sections += [
        "<h2>Charts: every folder's mean and 95% interval</h2>",
        charts_html(band_charts([(f.label, s, _dates(f))
                                 for f, s in zip(folders, summaries, strict=True)], tiers)),
    ]
    warnings = all_warnings([(f.label, replicate_warnings(f)) for f in folders])
    return page("talentwar report: comparison of " + ", ".join(f.label for f in folders),
                f"{len(folders)} replicate folders compared with the first, "
                f"{folders[0].label}.", sections,
                alert=summary_html(comparisons, folders[0].label)
                + warnings_html(warnings, "replicates"), scripts=page_script())


# --------------------------------------------------------------------------- writing


def write_report(paths: Sequence[Path | str] | Path | str, out: Path | str | None = None
                 ) -> Path:
    """Write one self-contained HTML report and return its path.

    Parameters
    ----------
    paths : Path or sequence of Path
        One run or replicate folder, or two or more run folders (or replicate folders) to
        compare (the first is the reference for the differences).
    out : Path, optional
        The HTML file to write. Default: ``report.html`` in the folder, or
        ``results/compare/<UTC timestamp>/report.html`` when comparing.

    Returns
    -------
    Path
        The report written.

    Raises
    ------
    UserError
        No folder, a folder that is not a run or is damaged, run folders mixed with
        replicate folders, or an unwritable ``out``; nothing is written then.
    """
    folders = [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]
    if not folders:
        raise UserError("report needs a run folder, a sweep folder or several run folders")
    for folder in folders:
        if not folder.is_dir():
            raise UserError(f"{folder}: no such folder")
    replicated = [is_replicate_folder(f) for f in folders]
    if any(replicated) and not all(replicated):
        raise UserError("report: give only replicate folders (of runs with "
                        "{option:replicates} N) or only run folders, not both")
    if len(folders) == 1:
        folder = folders[0]
        text = replicate_report(folder) if replicated[0] else run_report(folder)
        target = Path(out) if out is not None else folder / DEFAULT_REPORT
    else:
        text = (replicate_compare_report(folders) if replicated[0]
                else compare_report(folders))
        target = Path(out) if out is not None else default_compare_dir() / DEFAULT_REPORT
    return write_text(target, text, what="the report")
