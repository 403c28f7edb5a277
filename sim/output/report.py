"""One self-contained HTML report of a run or of several runs, and the pieces of such pages.

``talentwar report RUN_DIR`` writes ``RUN_DIR/report.html``; ``talentwar report --compare
RUN_DIR RUN_DIR...`` writes ``results/compare/<UTC timestamp>/report.html`` (where
``talentwar compare`` writes). ``--out FILE`` writes elsewhere. The report of a sweep
folder (:mod:`sim.sweeps.report`) is built from the same pieces: :func:`page`,
:func:`figure_html`, :func:`data_table_html` and the others.

The file needs no server, no internet and no JavaScript: plots are embedded as base64
``data:`` URIs, the style sheet is inline, and the scenario and manifest are printed as
escaped JSON; every text that comes from a scenario file (names, descriptions) is escaped.
Like every plot, the report reads result files only, never a model; it checks them all
(manifest, tables, PNG files) before writing, and is written atomically (a temporary file
beside it, then a rename).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import math
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import UserError
from sim.output.compare import (
    default_compare_dir,
    difference_table,
    format_cells,
    load_runs,
    write_comparison,
)
from sim.output.plots import RUN_PLOTS, check_plottable, save
from sim.output.rundir import RunFolder, atomic_write_text

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
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #d8dde6;
     padding-bottom: 0.25rem; }
h3 { font-size: 1.05rem; margin-top: 1.6rem; }
p.lead { color: #4a5568; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6rem 0; font-size: 0.9rem; background: #fff; }
th, td { border: 1px solid #d8dde6; padding: 0.25rem 0.6rem; }
th { background: #eef1f6; text-align: left; }
td.num, table.key td:not(:first-child), table.data td { text-align: right;
     font-variant-numeric: tabular-nums; }
table.data td:first-child { text-align: left; }
table.facts th { width: 12rem; }
figure { margin: 1.2rem 0; background: #fff; border: 1px solid #d8dde6; padding: 0.6rem; }
figure img { max-width: 100%; height: auto; display: block; margin: 0 auto; }
figcaption { font-size: 0.9rem; color: #4a5568; margin-top: 0.4rem; }
pre { background: #fff; border: 1px solid #d8dde6; padding: 0.8rem; overflow-x: auto;
      font-size: 0.8rem; max-height: 40rem; }
details summary { cursor: pointer; font-weight: 600; margin: 0.6rem 0; }
.note { color: #4a5568; font-size: 0.9rem; }
footer { margin-top: 3rem; color: #718096; font-size: 0.8rem; }
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


def key_table_html(table: pd.DataFrame) -> str:
    """The key-figures (difference) table as HTML, formatted as ``talentwar compare`` prints."""
    cells = format_cells(table)
    head = "".join(f"<th>{esc(c)}</th>" for c in [table.index.name or "measure",
                                                  *table.columns])
    body = "".join(
        "<tr><td>" + esc(name) + "</td>" + "".join(f"<td>{esc(v)}</td>" for v in row)
        + "</tr>" for name, row in zip(cells.index, cells.to_numpy(), strict=True)
    )
    return f'<table class="key"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


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
    return note + text


def facts_html(facts: dict[str, Any]) -> str:
    """A two-column table of named facts, skipping empty ones."""
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>"
                   for k, v in facts.items() if v not in (None, ""))
    return f'<table class="facts">{rows}</table>'


def page(title: str, lead: str, sections: Sequence[str]) -> str:
    """A complete HTML document: inline CSS, no scripts, no external resources."""
    made = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{esc(title)}</h1>\n<p class=\"lead\">{esc(lead)}</p>\n"
        + "\n".join(sections)
        + f"\n<footer>Written by talentwar report on {esc(made)} UTC from result files "
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


# --------------------------------------------------------------------------- sections


def run_facts(run: RunFolder) -> dict[str, Any]:
    """The facts about a run shown at the top of its section."""
    m = run.manifest
    versions = m.get("versions") or {}
    return {
        "folder": str(run.dir.resolve()),
        "scenario": run.scenario_name,
        "description": (m.get("scenario") or {}).get("description"),
        "seed": run.seed,
        "months": m.get("months"),
        "engineers": f"{m['engineers']:,}" if isinstance(m.get("engineers"), int) else None,
        "firms": m.get("firms"),
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


def scenario_and_manifest(run: RunFolder, level: str = "h2") -> str:
    """The scenario and the rest of the manifest as escaped JSON."""
    manifest = {k: v for k, v in run.manifest.items() if k != "scenario"}
    return (f"<{level}>Scenario</{level}>\n"
            '<p class="note">As resolved for this run (defaults filled in).</p>\n'
            f"{json_block(run.manifest.get('scenario', {}))}\n"
            f"<{level}>Manifest</{level}>\n{json_block(manifest)}")


def deals_section(run: RunFolder) -> str:
    """The run's deals table, if it recorded deals."""
    deals = run.deals
    if deals.empty:
        return ""
    return f"<h2>Deals</h2>\n{data_table_html(deals)}"


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
        "<h2>Run</h2>", facts_html(run_facts(run)),
        "<h2>Key figures at the end of the horizon</h2>",
        '<p class="note">Rates and pay are the final month\'s; deals, layoffs and '
        "counter-offers are totals over the run.</p>",
        key_table_html(table),
        "<h2>Figures</h2>", run_figures(run),
        deals_section(run),
        scenario_and_manifest(run),
    ]
    return page(f"talentwar report: {run.label}",
                str((run.manifest.get("scenario") or {}).get("description", "")), sections)


def compare_report(run_dirs: Sequence[Path]) -> str:
    """The HTML report comparing several runs (the first is the reference)."""
    runs = load_runs(run_dirs)
    for run in runs:
        check_figures(run)
    with tempfile.TemporaryDirectory() as tmp:
        table, pngs = write_comparison(runs, Path(tmp) / "compare")
        figures = "\n".join(figure_html(p) for p in pngs)
    listing = "".join(
        f"<tr><td>{esc(r.label)}</td><td>{esc(r.dir.resolve())}</td>"
        f"<td>{esc(r.manifest.get('months'))}</td><td>{esc(r.manifest.get('finished'))}</td>"
        "</tr>" for r in runs)
    sections = [
        "<h2>Runs</h2>",
        "<table><thead><tr><th>run</th><th>folder</th><th>months</th><th>finished</th>"
        f"</tr></thead><tbody>{listing}</tbody></table>",
        "<h2>Key figures at the end of the horizon</h2>",
        f'<p class="note">Δ columns: each run minus the first ({esc(runs[0].label)}). '
        "Deals, layoffs and counter-offers are totals over the run.</p>",
        key_table_html(table),
        "<h2>Figures: all runs on shared axes</h2>", figures,
    ]
    for run in runs:
        sections += [f"<h2>Run: {esc(run.label)}</h2>", facts_html(run_facts(run)),
                     run_figures(run), deals_section(run).replace("<h2>", "<h3>")
                     .replace("</h2>", "</h3>"),
                     "<details><summary>Scenario and manifest</summary>"
                     + scenario_and_manifest(run, "h3") + "</details>"]
    return page("talentwar report: comparison of " + ", ".join(r.label for r in runs),
                f"{len(runs)} runs compared.", sections)


# --------------------------------------------------------------------------- writing


def write_report(paths: Sequence[Path | str] | Path | str, out: Path | str | None = None
                 ) -> Path:
    """Write one self-contained HTML report and return its path.

    Parameters
    ----------
    paths : Path or sequence of Path
        One run folder, or two or more run folders to compare (the first is the reference
        for the differences).
    out : Path, optional
        The HTML file to write. Default: ``report.html`` in the run folder, or
        ``results/compare/<UTC timestamp>/report.html`` when comparing runs.

    Returns
    -------
    Path
        The report written.

    Raises
    ------
    UserError
        No folder, a folder that is not a run or is damaged, or an unwritable ``out``;
        nothing is written then.
    """
    folders = [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]
    if not folders:
        raise UserError("report needs a run folder, a sweep folder or several run folders")
    for folder in folders:
        if not folder.is_dir():
            raise UserError(f"{folder}: no such folder")
    if len(folders) == 1:
        folder = folders[0]
        text = run_report(folder)
        target = Path(out) if out is not None else folder / DEFAULT_REPORT
    else:
        text = compare_report(folders)
        target = Path(out) if out is not None else default_compare_dir() / DEFAULT_REPORT
    return atomic_write_text(target, text, what="the report")
