"""One self-contained HTML report of a sweep folder.

``talentwar report SWEEP_DIR`` writes ``SWEEP_DIR/report.html`` (``--out FILE`` writes
elsewhere): the sweep's name, the response table (each measure's mean and 95% interval per
value of each parameter, or per design point: :func:`sim.sweeps.analysis.response_table`),
the runs by status and the first rows of ``runs.csv``, the sensitivity table, every other
table, every plot (or the command that draws them), and ``sweep.json``. The page is built
with the page kit of every report (:mod:`sim.output.pagekit`: Jinja2 templates with
autoescape), so all read alike; like the others, the report reads result files only and is
written atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from sim.errors import UserError
from sim.files import require_folder, write_text
from sim.output.numbers import decimals, format_interval, format_number, measure_kind
from sim.output.pagekit import (
    DEFAULT_REPORT,
    Block,
    Section,
    data_table,
    details,
    facts,
    figures,
    fmt,
    heading,
    json_block,
    page,
    para,
    pngs_in,
    read_csv,
    table,
)
from sim.sweeps.analysis import read_tables, response_table
from sim.sweeps.plan import SWEEP_FILE, load_plan
from sim.sweeps.spec import display_value
from sim.sweeps.store import (
    MEASURES_FILE,
    RUNS_FILE,
    SENSITIVITY_FILE,
    SweepState,
    sweep_state,
)

FIRST_ROWS = 50


def is_sweep(folder: Path) -> bool:
    """Whether ``folder`` is a sweep folder (it holds ``sweep.json``)."""
    return (Path(folder) / SWEEP_FILE).is_file()


def folder_state(folder: Path) -> SweepState:
    """How far the sweep in ``folder`` is (a :class:`UserError` for a damaged folder)."""
    return sweep_state(folder, load_plan(folder))


def partial_warning(folder: Path, state: SweepState | None = None) -> str | None:
    """The warning for a sweep folder that is not complete (None for a complete one)."""
    state = state or folder_state(folder)
    if state.complete:
        return None
    if state.recorded == state.total:
        what = (f"all {state.total:,} runs are recorded but the sweep was not marked "
                "complete (stopped at its end)")
    else:
        what = f"only {state.describe()}"
    return (f"{folder} is a partial sweep: {what}; what is shown covers the recorded runs "
            f"only. Finish it with: talentwar sweep --resume {folder}")


def noise_warning(folder: Path) -> str | None:
    """The warning for a design with one replicate a point (None otherwise): simulation
    noise cannot be measured, so no interval can be given and an effect cannot be told from
    noise."""
    spec = load_plan(Path(folder)).spec
    if spec.replicates > 1:
        return None
    extra = (" (Morris: sigma mixes interactions with noise)" if spec.design.kind == "morris"
             else "")
    return (f"{folder}: one replicate per design point: simulation noise cannot be "
            f"measured, so the results have no intervals and an effect cannot be told from "
            f"noise{extra}; set replicates = 2 or more in the sweep file")


def response_html(folder: Path, state: SweepState) -> list[Block]:
    """The response table (:func:`sim.sweeps.analysis.response_table`), one table per
    measure, numbers formatted by the measure's kind at one precision a table."""
    plan = load_plan(folder)
    if state.done == 0:
        return [para("No successful run yet: no response to show.")]
    response = response_table(folder, plan)
    level = plan.spec.design.conf_level
    labels = {p.key: p.label or p.key for p in plan.spec.parameters}
    grid = plan.spec.design.kind == "grid"
    out: list[Block] = [para(
        "Mean of each measure over the successful runs "
        + ("at each value of each parameter (with two or more varied parameters, over every "
           "value of the others)" if grid else "of each design point (its replicates)")
        + f", with the {level:.0%} Student-t interval of the mean (n/a with one run).")]
    for m in plan.spec.measures:
        rows = response[response["measure"] == m.out]
        kind = measure_kind(m.column)
        places = decimals(kind, [*rows["mean"], *rows["ci_low"], *rows["ci_high"]])
        keys = ["parameter", "value"] if grid else ["point", *plan.keys]
        head = [labels.get(k, k) if not grid else k for k in keys]
        body = []
        for _, r in rows.iterrows():
            cells = ([labels.get(r["parameter"], r["parameter"]), display_value(r["value"])]
                     if grid else [r["point"], *(display_value(r[k]) for k in plan.keys)])
            body.append([*map(str, cells), f"{int(r['runs']):,}",
                         format_number(r["mean"], kind, places),
                         format_interval(r["ci_low"], r["ci_high"], kind, places)])
        out += [heading(m.display),
                table([*head, "runs", "mean", f"{level:.0%} interval"], body, "key")]
    return out


def table_summary(df: pd.DataFrame) -> list[Block]:
    """Rows and columns of a table and counts of its text columns (a run's status...)."""
    parts: list[Block] = [para(f"{len(df):,} rows, {len(df.columns)} columns: "
                               f"{', '.join(map(str, df.columns))}.")]
    for column in df.columns:
        numeric = pd.api.types.is_numeric_dtype(df[column])
        distinct = df[column].nunique()
        if not numeric and 1 < distinct <= 12 and distinct < len(df):
            counts = df[column].value_counts(dropna=False).rename_axis(column)
            parts.append(data_table(counts.reset_index(name="rows")))
    return parts


def _first_rows(df: pd.DataFrame) -> Markup:
    return details("First rows", data_table(df, FIRST_ROWS))


def _partial(headline: str, text: str) -> Markup:
    return fmt('<p class="note partial"><strong>{}</strong> {}</p>', headline, text)


def sweep_report(sweep_dir: Path) -> str:
    """The HTML report of a sweep folder (``sweep.json``, ``runs.csv``, tables, PNGs)."""
    folder = Path(sweep_dir)
    try:
        sweep = json.loads((folder / SWEEP_FILE).read_text())
    except json.JSONDecodeError as err:
        raise UserError(f"{folder / SWEEP_FILE}: not valid JSON: {err}") from None
    spec = sweep.get("sweep") if isinstance(sweep, dict) else None
    name = spec.get("name", folder.name) if isinstance(spec, dict) else folder.name
    state = folder_state(folder)
    about: list[Block] = []
    warning = partial_warning(folder, state)
    if warning:
        about.append(_partial(f"Partial sweep: {state.describe()}.", warning))
    about.append(facts({
        "folder": str(folder.resolve()), "name": name,
        "runs": f"{state.recorded:,} of {state.total:,} recorded ({state.done:,} done, "
                f"{state.failed:,} failed)",
        "status": "complete" if state.complete else "partial",
    }))
    noise = noise_warning(folder)
    if noise:
        about.append(_partial("One replicate.", noise))
    sections = [Section("Sweep", about)]
    runs_csv = folder / RUNS_FILE
    if runs_csv.is_file():
        sections.append(Section("Response", response_html(folder, state)))
    runs, measures = read_tables(folder)
    sections.append(Section("Runs", [*table_summary(runs), _first_rows(runs)]
                            if runs_csv.is_file()
                            else [para(f"No {RUNS_FILE} in this folder.")]))
    sensitivity = folder / SENSITIVITY_FILE
    if sensitivity.is_file():
        sections.append(Section("Sensitivity", [data_table(read_csv(sensitivity))]))
    for path in sorted(folder.glob("*.csv")):
        if path.name in (RUNS_FILE, SENSITIVITY_FILE) or path.name.startswith("."):
            continue
        df = measures if path.name == MEASURES_FILE else read_csv(path)
        sections.append(Section(f"Table {path.name}", [*table_summary(df), _first_rows(df)]))
    pngs = pngs_in(folder)
    sections += [
        Section("Figures", [figures(pngs) if pngs else para(fmt(
            "No plots in this folder: draw them with <code>talentwar plot {}</code>, then "
            "write this report again.", folder))]),
        Section(f"Sweep definition ({SWEEP_FILE})", [json_block(sweep)]),
    ]
    return page(f"talentwar sweep report: {name}", "", sections)


def write_sweep_report(folder: Path, out: Path | None = None) -> Path:
    """Write the HTML report of a sweep folder (default ``folder/report.html``), atomically;
    return its path.

    Raises
    ------
    UserError
        A folder that does not exist, an unreadable ``sweep.json`` or table, or an
        unwritable ``out``.
    """
    folder = require_folder(folder)
    target = Path(out) if out is not None else folder / DEFAULT_REPORT
    return write_text(target, sweep_report(folder), what="the report")
