"""One self-contained HTML report of a calibration folder (``talentwar report DIR``).

The estimates with standard errors, the fit of every moment (fitted and held out), the
identification checks, every plot and ``calibration.json``, built with the page kit of
every report (:mod:`sim.output.pagekit`: Jinja2 templates with autoescape) and written
atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

from sim.calibration.store import MANIFEST_FILE
from sim.errors import UserError
from sim.files import require_folder, write_text
from sim.output.pagekit import (
    DEFAULT_REPORT,
    Block,
    Section,
    data_table,
    facts,
    figures,
    fmt,
    json_block,
    page,
    para,
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
    about: list[Block] = [facts({
        "folder": str(folder.resolve()), "name": name,
        "calibration file": manifest.get("calibration_file"),
        "base scenario": manifest.get("base_path")})]
    ident_path = folder / "identification.json"
    if ident_path.is_file():
        ident = json.loads(ident_path.read_text(encoding="utf-8"))
        about.append(facts({"objective J": f"{ident['objective']:.4g}",
                            "J is": ident.get("objective_is", "a distance, not a test"),
                            "replicates per point": ident["replicates"],
                            "rank of the scaled Jacobian":
                            f"{ident['rank']} of {ident['parameters']}",
                            "condition number": ident["condition_number"]}))
        about += [para(fmt("<strong>Warning:</strong> {}", warning))
                  for warning in ident.get("warnings", [])]
    else:
        about.append(para("The calibration has not finished: no estimates yet (continue it "
                          "with talentwar calibrate --resume)."))
    sections = [Section("Calibration", about)]
    for title, file in (("Parameters", "parameters.csv"), ("Moments", "moments.csv"),
                        ("Jacobian of the moments at the estimate", "jacobian.csv")):
        if (folder / file).is_file():
            sections.append(Section(title, [data_table(read_csv(folder / file))]))
    pngs = pngs_in(folder)
    sections += [
        Section("Figures", [figures(pngs) if pngs else para("No plots in this folder.")]),
        Section(f"Definition ({MANIFEST_FILE})", [json_block(manifest.get("calibration", {}))]),
    ]
    return page(f"talentwar calibration report: {name}",
                "Simulated method of moments: estimates, fit and identification.", sections)


def write_calibration_report(folder: Path, out: Path | None = None) -> Path:
    """Write the HTML report of a calibration folder (default ``folder/report.html``)."""
    folder = require_folder(folder)
    target = Path(out) if out is not None else folder / DEFAULT_REPORT
    return write_text(target, calibration_report(folder), what="the report")
