"""One self-contained HTML report of a sweep folder.

``talentwar report SWEEP_DIR`` writes ``SWEEP_DIR/report.html`` (``--out FILE`` writes
elsewhere): the sweep's name, a summary and the first rows of ``runs.csv``, the sensitivity
table, every other table, every plot, and ``sweep.json``. The page is built from the pieces of
the run report (:mod:`sim.output.report`), so both read alike; like it, the report reads
result files only and is written atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sim.errors import UserError
from sim.files import write_text
from sim.output.report import (
    DEFAULT_REPORT,
    data_table_html,
    esc,
    facts_html,
    figure_html,
    json_block,
    page,
    pngs_in,
    read_csv,
)
from sim.sweeps.analysis import read_tables
from sim.sweeps.store import (
    MEASURES_FILE,
    RUNS_FILE,
    SENSITIVITY_FILE,
    SWEEP_FILE,
    SweepState,
    load_plan,
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


def table_summary(df: pd.DataFrame) -> str:
    """Rows and columns of a table, counts of its text columns, statistics of numbers."""
    parts = [f'<p class="note">{len(df):,} rows, {len(df.columns)} columns: '
             f"{esc(', '.join(map(str, df.columns)))}.</p>"]
    for column in df.columns:
        numeric = pd.api.types.is_numeric_dtype(df[column])
        distinct = df[column].nunique()
        if not numeric and 1 < distinct <= 12 and distinct < len(df):
            counts = df[column].value_counts(dropna=False).rename_axis(column)
            parts.append(data_table_html(counts.reset_index(name="rows")))
    numbers = df.select_dtypes("number")
    if not numbers.empty:
        stats = numbers.describe(percentiles=[0.5]).T.reset_index(names="column")
        parts.append(data_table_html(stats))
    return "\n".join(parts)


def _first_rows(df: pd.DataFrame) -> str:
    return ("<details><summary>First rows</summary>" + data_table_html(df, FIRST_ROWS)
            + "</details>")


def sweep_report(sweep_dir: Path) -> str:
    """The HTML report of a sweep folder (``sweep.json``, ``runs.csv``, tables, PNGs)."""
    folder = Path(sweep_dir)
    try:
        sweep = json.loads((folder / SWEEP_FILE).read_text())
    except json.JSONDecodeError as err:
        raise UserError(f"{folder / SWEEP_FILE}: not valid JSON: {err}") from None
    name = sweep.get("name", folder.name) if isinstance(sweep, dict) else folder.name
    state = folder_state(folder)
    sections = ["<h2>Sweep</h2>"]
    warning = partial_warning(folder, state)
    if warning:
        sections.append(f'<p class="note partial"><strong>Partial sweep: '
                        f"{esc(state.describe())}.</strong> {esc(warning)}</p>")
    sections.append(facts_html({
        "folder": str(folder.resolve()), "name": name,
        "runs": f"{state.recorded:,} of {state.total:,} recorded ({state.done:,} done, "
                f"{state.failed:,} failed)",
        "status": "complete" if state.complete else "partial",
    }))
    runs_csv = folder / RUNS_FILE
    sections.append("<h2>Runs</h2>")
    runs, measures = read_tables(folder)
    if runs_csv.is_file():
        df = runs
        sections += [table_summary(df), _first_rows(df)]
    else:
        sections.append(f'<p class="note">No {RUNS_FILE} in this folder.</p>')
    sensitivity = folder / SENSITIVITY_FILE
    if sensitivity.is_file():
        sections += ["<h2>Sensitivity</h2>", data_table_html(read_csv(sensitivity))]
    for path in sorted(folder.glob("*.csv")):
        if path.name in (RUNS_FILE, SENSITIVITY_FILE) or path.name.startswith("."):
            continue
        df = measures if path.name == MEASURES_FILE else read_csv(path)
        sections += [f"<h2>Table {esc(path.name)}</h2>", table_summary(df), _first_rows(df)]
    pngs = pngs_in(folder)
    sections.append("<h2>Figures</h2>")
    sections.append("\n".join(figure_html(p) for p in pngs) if pngs
                    else '<p class="note">No plots in this folder.</p>')
    sections += [f"<h2>Sweep definition ({SWEEP_FILE})</h2>", json_block(sweep)]
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
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder")
    target = Path(out) if out is not None else folder / DEFAULT_REPORT
    return write_text(target, sweep_report(folder), what="the report")
