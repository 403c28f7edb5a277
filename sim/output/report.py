"""One self-contained HTML report of a run, of several runs or of replicates, and the pieces
of such pages.

``talentwar report RUN_DIR`` writes ``RUN_DIR/report.html``; ``talentwar report --compare
RUN_DIR RUN_DIR...`` writes ``results/compare/<UTC timestamp>/report.html`` (where
``talentwar compare`` writes). A replicate folder (``talentwar run --replicates N``) gets a
report of its means and 95% intervals, and replicate folders are compared by the paired
differences of :mod:`sim.output.replicates`. ``--out FILE`` writes elsewhere. The reports
of sweep and calibration folders (:mod:`sim.sweeps.report`, :mod:`sim.calibration.report`)
and every report here are built from one page kit (:mod:`sim.output.pagekit`: Jinja2
templates with autoescape); the replicate reports are in :mod:`sim.output.replicate_report`.

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

import math
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from sim import columns as col
from sim.errors import UserError, log
from sim.files import require_folder, write_text
from sim.output.charts import blocked_deals, deal_origins, named_in_runs
from sim.output.compare import (
    default_compare_dir,
    difference_table,
    format_cells,
    load_runs,
    write_comparison,
)
from sim.output.interactive import Chart, compare_charts, run_charts
from sim.output.pagekit import (
    DEFAULT_REPORT,
    Block,
    Section,
    all_warnings,
    charts,
    data_table,
    details,
    facts,
    figures,
    json_block,
    page,
    page_scripts,
    para,
    pngs_in,
    table,
    warnings_box,
)
from sim.output.palette import named_firms
from sim.output.plotkit import save
from sim.output.plots import RUN_PLOTS, check_plottable
from sim.output.replicate_report import replicate_compare_report, replicate_report
from sim.output.replicates import is_replicate_folder
from sim.output.rundir import RunFolder, remove_leftovers
from sim.output.scenario_diff import changes_html, with_seed

__all__ = ["DEFAULT_REPORT", "deals_by_origin", "write_report"]


def key_table_html(key: pd.DataFrame) -> Markup:
    """The key-figures (difference) table, formatted as ``talentwar compare`` prints it."""
    cells = format_cells(key)
    return table([str(key.index.name or "measure"), *map(str, key.columns)],
                 ([str(name), *row] for name, row in zip(cells.index, cells.to_numpy(),
                                                        strict=True)), "key")


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


def run_figures(run: RunFolder) -> list[Block]:
    """Every PNG of the run folder embedded; drawn afresh (not saved) if it has none."""
    pngs = pngs_in(run.dir)
    if pngs:
        return [figures(pngs)]
    with tempfile.TemporaryDirectory() as tmp:
        drawn = [save(draw(run), Path(tmp) / f"{name}.png")
                 for name, draw in RUN_PLOTS.items()]
        return [para("The run folder has no plots; these were drawn from its result files "
                     "for this report."), figures(drawn)]


def static_figures(run: RunFolder) -> Markup:
    """The run's PNG plots in a closed section, opened when the page is printed."""
    return details("Static figures (PNG, as printed)", Markup("\n").join([
        para(Markup("The plots of the run folder, as <code>talentwar plot</code> draws them; "
                    "printing the page shows these instead of the interactive charts.")),
        *run_figures(run)]), "static")


SCENARIO_NOTE = "As resolved for this run (defaults filled in)."


def scenario_and_manifest(run: RunFolder) -> tuple[list[Block], list[Block]]:
    """The scenario and the rest of the manifest as escaped JSON."""
    manifest = {k: v for k, v in run.manifest.items() if k != "scenario"}
    return ([para(SCENARIO_NOTE), json_block(run.manifest.get("scenario", {}))],
            [json_block(manifest)])


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


DEALS_NOTE = Markup(
    "<b>scheduled</b>: dated deals of the scenario's timeline (the deals that happened); "
    "<b>model</b>: deals the model's firms made on their own.")


def deals_blocks(run: RunFolder) -> list[Block]:
    """The run's deals: counted by origin, then every deal (empty if it recorded none)."""
    if run.deals.empty:
        return []
    return [para(DEALS_NOTE), data_table(deals_by_origin([run])), data_table(run.deals)]


def check_figures(run: RunFolder) -> None:
    """Check what :func:`run_figures` will read: the files of the plots if the run folder
    has none, so that a damaged folder is refused before anything is drawn."""
    if not pngs_in(run.dir):
        check_plottable(run)


def run_report(run_dir: Path) -> str:
    """The HTML report of one run folder."""
    run = RunFolder.finished(run_dir)
    check_figures(run)
    scenario, manifest = scenario_and_manifest(run)
    sections = [
        Section("What the run is", [facts(run_facts(run))]),
        Section("Key figures at the end of the horizon", [
            para("Rates and pay are the final month's; deals, layoffs and counter-offers "
                 "are totals over the run."), key_table_html(difference_table([run]))]),
        Section("Charts", [charts(run_charts(run)), static_figures(run)]),
    ]
    deals = deals_blocks(run)
    if deals:
        sections.append(Section("Deals", deals))
    sections += [Section("Scenario", scenario), Section("Manifest", manifest)]
    description = str((run.manifest.get("scenario") or {}).get("description", ""))
    return page(f"talentwar report: {run.label}", description, sections,
                alert=warnings_box(run.manifest.get("warnings") or []),
                scripts=page_scripts())


# --------------------------------------------------------------------------- several runs


def _whole(value: Any) -> str:
    """A count with thousands separators (as it is if it is not a whole number)."""
    return f"{value:,}" if isinstance(value, int) else str(value)


def run_blocks(run: RunFolder, k: int, colour_order: Sequence[str]) -> list[Block]:
    """One run's part of a comparison: its facts, charts, deals, scenario and manifest."""
    scenario, manifest = scenario_and_manifest(run)
    deals = deals_blocks(run)
    return [facts(run_facts(run)),
            charts([Chart(f"run{k}-{c.name}", c.caption, c.figure)
                    for c in run_charts(run, colour_order)]),
            *([Markup("<h3>Deals</h3>"), *deals] if deals else []),
            details("Scenario and manifest", Markup("\n").join(
                [Markup("<h3>Scenario</h3>"), *scenario, Markup("<h3>Manifest</h3>"),
                 *manifest]))]


def compare_report(run_dirs: Sequence[Path]) -> str:
    """The HTML report comparing several runs (the first is the reference)."""
    runs = load_runs(run_dirs)
    with tempfile.TemporaryDirectory() as tmp:
        key, pngs = write_comparison(runs, Path(tmp) / "compare")
        static = figures(pngs)
    listing = [[r.label, r.scenario_name,
                str((r.manifest.get("scenario") or {}).get("description", "")), str(r.seed),
                _whole(r.manifest.get("engineers")), str(r.manifest.get("months")),
                str(len(r.manifest.get("warnings") or [])), str(r.dir.resolve())]
               for r in runs]
    colour_order = named_in_runs(runs)
    deals = deals_by_origin(runs)
    sections = [
        Section("Runs", [table(
            ["run", "scenario", "description", "seed", "engineers", "months", "warnings",
             "folder"], listing,
            cell_classes=[["", "", "text", "", "", "", "", "text"]] * len(listing))]),
        Section("What each run changed",
                changes_html([r.label for r in runs], [with_seed(r.manifest) for r in runs])),
        Section("Key figures at the end of the horizon", [
            para(f"Δ columns: each run minus the first ({runs[0].label}). Deals, layoffs and "
                 "counter-offers are totals over the run."), key_table_html(key)]),
        Section("Charts: all runs on shared axes", [
            charts(compare_charts(runs)),
            details("Static figures (PNG, as printed)", static, "static")]),
    ]
    if not deals.empty:
        sections.append(Section("Deals by origin, all runs", [data_table(deals)]))
    sections += [Section(f"Run: {run.label}", run_blocks(run, k, colour_order))
                 for k, run in enumerate(runs, start=1)]
    return page("talentwar report: comparison of " + ", ".join(r.label for r in runs),
                f"{len(runs)} runs compared; the first, {runs[0].label}, is the reference.",
                sections,
                alert=warnings_box(all_warnings(
                    [(r.label, r.manifest.get("warnings") or []) for r in runs]), "runs"),
                scripts=page_scripts())


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
        require_folder(folder)
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
    for path in remove_leftovers(target.parent):  # e.g. a report a kill left half-written
        log.info("removed %s, left by an interrupted command", path)
    return write_text(target, text, what="the report")
