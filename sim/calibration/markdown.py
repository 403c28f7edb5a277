"""A calibration folder's results as Markdown, for documentation generated from the folder.

:func:`calibration_markdown` renders what ``talentwar calibrate`` wrote
(``parameters.csv``, ``moments.csv``, ``identification.json``) as Markdown tables: the
estimates with standard errors and 95% intervals, the fit of every fitted moment, the
held-out checks (against the model's 95% prediction intervals, where the folder has them)
and the identification summary. ``benchmarks/calibration_docs.py`` splices
it into docs/calibration.md between the markers of :func:`markers`, and a test checks that
the block there is exactly what this function renders from the folder kept beside it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import UserError


def markers(name: str) -> tuple[str, str]:
    """The comments that open and close the generated block ``name`` of a document."""
    return (f"<!-- BEGIN generated: {name} (do not edit by hand) -->",
            f"<!-- END generated: {name} -->")


def number(x: Any) -> str:
    """A number in a table: 3 significant figures below 1,000, whole numbers with thousands
    separators from 1,000 up; '-' if missing."""
    if x is None or pd.isna(x) or not math.isfinite(float(x)):
        return "-"
    x = float(x)
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _read(folder: Path, name: str) -> pd.DataFrame:
    path = folder / name
    if not path.is_file():
        raise UserError(f"{path}: missing (not a finished calibration folder)")
    return pd.read_csv(path, keep_default_na=True)


OLD_OBJECTIVE = ("distance, not a test (no p-value): the SEs of this calibration are "
                 "judgements, so J scales with them")
"""How J reads in a folder written before ``identification.json`` said so itself."""


def target_text(row: Mapping[Any, Any]) -> str:
    """A moment's target as the tables show it: the number, after ≥ or ≤ for a bound."""
    sign = {"at_least": "≥ ", "at_most": "≤ "}.get(str(row.get("bound", "equal")), "")
    return sign + number(row["target"])


def calibration_markdown(folder: Path | str) -> str:
    """Markdown of a finished calibration folder: parameters, moments, identification.

    The parameters table gives each estimate θ̂_k with its SMM standard error
    (sandwich, with the simulation-noise factor 1 + 1/R) and the 95% interval of
    ``parameters.csv`` (inside the parameter's range: θ̂_k ± 1.96 se_k on the logit scale
    of its unit coordinate, or cut at a bound; :mod:`sim.calibration.inference`); the
    moments tables give the target m_j (≥ or ≤ before a bound), the mean and spread over
    replicates at the estimate, the SE s_j, whether s_j comes from the data or is a
    judgement, and the deviation in SEs g_j / s_j (m̂_j - m_j for an equality; for a bound 0
    while the model keeps it). J is reported as a distance (no p-value).
    """
    folder = Path(folder)
    params = _read(folder, "parameters.csv")
    moments = _read(folder, "moments.csv")
    ident_path = folder / "identification.json"
    if not ident_path.is_file():
        raise UserError(f"{ident_path}: missing (not a finished calibration folder)")
    ident = json.loads(ident_path.read_text(encoding="utf-8"))

    out = [f"Objective J = {number(ident['objective'])} at the estimate, "
           f"{ident['replicates']} replicates a point (common random numbers); scaled "
           f"Jacobian of rank {ident['rank']} of {ident['parameters']}, condition number "
           f"{number(ident['condition_number'])}. J is a "
           f"{ident.get('objective_is', OLD_OBJECTIVE)}.", ""]
    warnings = ident.get("warnings", [])
    out += [f"- **Warning:** {w}" for w in warnings] or ["No identification warning."]
    out += ["", "**Estimates** (`parameters.csv`):", ""]
    rows = []
    p: dict[Any, Any]
    for p in params.to_dict("records"):
        interval = (f"[{number(p['ci95_low'])}, {number(p['ci95_high'])}]"
                    if pd.notna(p["ci95_low"]) else "-")
        rows.append([f"`{p['parameter']}`", number(p["estimate"]), number(p["se"]), interval,
                     f"{number(p['min'])}-{number(p['max'])} ({p['scale']})",
                     str(p["on_bound"]), str(p["identified"])])
    out.append(_table(["parameter", "estimate", "SE", "95% interval", "bounds",
                       "on a bound", "identified"], rows))
    for role, title in (("fitted", "Fit of the fitted moments"),
                        ("held out", "Held-out checks (not fitted)")):
        part = moments[moments["role"] == role]
        out += ["", f"**{title}** (`moments.csv`):", ""]
        if role == "held out" and "pi95_low" in moments:
            out.append(_prediction_table(part))
            continue
        rows = [[f"`{m['moment']}`", target_text(m), number(m["fitted_mean"]),
                 number(m["fitted_sd"]), number(m["se"]), str(m.get("se_basis", "judgement")),
                 number(m["t_ratio"])]
                for m in part.to_dict("records")]
        out.append(_table(["moment", "target", "model (mean over replicates)",
                           "spread (sd)", "SE", "SE from", "deviation / SE"], rows))
    return "\n".join(out) + "\n"


def _prediction_table(part: pd.DataFrame) -> str:
    """The held-out moments against the model's 95% prediction intervals
    (:func:`sim.calibration.inference.predict`): the target (and when it was published),
    the prediction m̂ with its interval m̂ ± 1.96 sd, the SE of the target, z = (m̂ −
    target) / sqrt(sd² + SE²) (for a bound only the side that breaks it) and whether
    |z| ≤ 1.96."""
    rows = []
    for m in part.to_dict("records"):
        z = float(m["z_prediction"])
        agrees = "-" if not math.isfinite(z) else ("yes" if abs(z) <= 1.96 else "no")
        published = m.get("published")
        rows.append([f"`{m['moment']}`", target_text(m),
                     str(published) if isinstance(published, str) and published else "-",
                     number(m["fitted_mean"]),
                     f"[{number(m['pi95_low'])}, {number(m['pi95_high'])}]",
                     number(m["se"]), f"{z:+.2f}" if math.isfinite(z) else "-", agrees])
    return _table(["moment", "target", "published", "model's prediction",
                   "95% prediction interval", "SE of the target", "z",
                   "agrees at 5% (z within ±1.96)"], rows)


def splice(document: str, name: str, block: str) -> str:
    """``document`` with its generated block ``name`` (between :func:`markers`) replaced
    by ``block``."""
    begin, end = markers(name)
    _check_markers(document, name)
    head, rest = document.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{block}{end}{tail}"


def generated_block(document: str, name: str) -> str:
    """The text of the generated block ``name`` of ``document``."""
    begin, end = markers(name)
    _check_markers(document, name)
    return document.split(begin, 1)[1].split(end, 1)[0].removeprefix("\n")


def _check_markers(document: str, name: str) -> None:
    """Raise :class:`UserError` unless the block ``name`` is marked exactly once, in order."""
    begin, end = markers(name)
    if document.count(begin) != 1 or document.count(end) != 1:
        raise UserError(f"the document must mark the generated block {name!r} exactly once "
                        f"({begin} ... {end})")
    if document.index(end) < document.index(begin):
        raise UserError(f"the generated block {name!r} ends before it begins")
