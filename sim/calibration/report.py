"""One self-contained HTML report of a calibration folder (``talentwar report DIR``).

The estimates with standard errors, the fit of every moment (fitted and held out), the
identification checks, every plot and ``calibration.json``, built from the page pieces of
the run report (:mod:`sim.output.report`) and written atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

from sim.calibration.store import MANIFEST_FILE
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


def is_calibration(folder: Path) -> bool:
    """Whether ``folder`` is a calibration folder (it holds ``calibration.json``)."""
    return (Path(folder) / MANIFEST_FILE).is_file()


def calibration_report(folder: Path) -> str:
    """The HTML report of a calibration folder."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise UserError(f"{folder / MANIFEST_FILE}: not valid JSON: {err}") from None
    name = manifest.get("calibration", {}).get("name", folder.name)
    sections = ["<h2>Calibration</h2>", facts_html({
        "folder": str(folder.resolve()), "name": name,
        "calibration file": manifest.get("calibration_file"),
        "base scenario": manifest.get("base_path")})]
    ident_path = folder / "identification.json"
    if ident_path.is_file():
        ident = json.loads(ident_path.read_text(encoding="utf-8"))
        sections += [facts_html({"objective J": f"{ident['objective']:.4g}",
                                 "replicates per point": ident["replicates"],
                                 "rank of the scaled Jacobian":
                                 f"{ident['rank']} of {ident['parameters']}",
                                 "condition number": ident["condition_number"]})]
        for warning in ident.get("warnings", []):
            sections.append(f'<p class="note"><strong>Warning:</strong> {esc(warning)}</p>')
    else:
        sections.append('<p class="note">The calibration has not finished: no estimates '
                        "yet (continue it with talentwar calibrate --resume).</p>")
    for title, file in (("Parameters", "parameters.csv"), ("Moments", "moments.csv"),
                        ("Jacobian of the moments at the estimate", "jacobian.csv")):
        if (folder / file).is_file():
            sections += [f"<h2>{esc(title)}</h2>", data_table_html(read_csv(folder / file))]
    pngs = pngs_in(folder)
    sections.append("<h2>Figures</h2>")
    sections.append("\n".join(figure_html(p) for p in pngs) if pngs
                    else '<p class="note">No plots in this folder.</p>')
    sections += [f"<h2>Definition ({MANIFEST_FILE})</h2>",
                 json_block(manifest.get("calibration", {}))]
    return page(f"talentwar calibration report: {name}",
                "Simulated method of moments: estimates, fit and identification.", sections)


def write_calibration_report(folder: Path, out: Path | None = None) -> Path:
    """Write the HTML report of a calibration folder (default ``folder/report.html``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder")
    target = Path(out) if out is not None else folder / DEFAULT_REPORT
    return write_text(target, calibration_report(folder), what="the report")
