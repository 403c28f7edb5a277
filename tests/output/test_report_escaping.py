"""Every kind of HTML report shows hostile text as text: a scenario description, a warning,
a run folder's name, a sweep's parameter and measure labels, a calibration's name and its
tables holding ``<script>`` or ``&`` are escaped (the templates autoescape), and no script
but the report's own reaches the page.

Firm names cannot hold such text in a scenario (the schema allows letters, digits and
``_ . -`` only); a manifest edited to hold one is escaped too. Engineers have no names."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

from sim.calibration.report import write_calibration_report
from sim.output.report import write_report
from sim.sweeps.report import write_sweep_report
from sim.sweeps.run import run_sweep
from tests.sweeps.common import HEADER

HOSTILE = '<script>alert("x")</script> & <b>co</b>\'s'
ESCAPED = html.escape(HOSTILE)


def assert_escaped(text: str, least: int = 1) -> None:
    """The hostile text appears escaped (at least ``least`` times) and never raw; every
    ``<script>`` of the page is the report's own (the error handler, plotly.js, a chart)."""
    assert HOSTILE not in text
    assert "<script>alert" not in text and "<b>co</b>" not in text
    assert text.count(ESCAPED) >= least
    for tag in re.findall(r"<script\b[^>]*>(.{0,40})", text, flags=re.S):
        assert "alert" not in tag


def hostile_copy(folder: Path, to: Path) -> Path:
    """A copy of a run folder whose manifest has the hostile text as its scenario's
    description and as a warning."""
    shutil.copytree(folder, to)
    path = to / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["scenario"]["description"] = HOSTILE
    manifest["warnings"] = [HOSTILE]
    path.write_text(json.dumps(manifest))
    return to


def test_run_and_compare_reports_escape(two_tier_runs, tmp_path):
    a = hostile_copy(two_tier_runs[0], tmp_path / "run-a")
    text = write_report(a, tmp_path / "a.html").read_text()
    # the lead line, the facts, the warnings box and the scenario's JSON
    assert_escaped(text, least=3)
    assert f"<p class=\"lead\">{ESCAPED}</p>" in text
    assert f"<li>{ESCAPED}</li>" in text
    text = write_report([a, two_tier_runs[1]], tmp_path / "ab.html").read_text()
    # the runs table, what each run changed (table and list), the run's own section
    assert_escaped(text, least=4)
    assert f'<td class="text">{ESCAPED}</td>' in text


def test_a_firm_name_is_escaped(two_tier_runs, tmp_path):
    """A manifest edited to name a firm with markup (the scenario schema would refuse it)."""
    folder = tmp_path / "run"
    shutil.copytree(two_tier_runs[0], folder)
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    firms = manifest["scenario"]["firms"]
    manifest["scenario"]["firms"] = {HOSTILE: firms["Lab"], **firms}
    path.write_text(json.dumps(manifest))
    text = write_report(folder, tmp_path / "r.html").read_text()
    assert_escaped(text)  # the named firms of the facts (the JSON escapes its quotes)
    assert f"<tr><th>named firms</th><td>{ESCAPED}, Lab, BigCo</td></tr>" in text


def test_replicate_reports_escape(two_tier_replicates, tmp_path):
    base, _, cf = two_tier_replicates
    copy = tmp_path / "base"
    shutil.copytree(base, copy)
    path = copy / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["scenario"]["description"] = HOSTILE
    path.write_text(json.dumps(manifest))
    first = sorted(p for p in copy.iterdir() if p.name.startswith("rep-"))[0]
    rep = json.loads((first / "manifest.json").read_text())
    rep["warnings"] = [HOSTILE]
    (first / "manifest.json").write_text(json.dumps(rep))
    text = write_report(copy, tmp_path / "one.html").read_text()
    assert_escaped(text, least=3)  # lead, facts, the warnings box
    text = write_report([copy, cf], tmp_path / "two.html").read_text()
    assert_escaped(text, least=2)  # the warnings box, what each folder changed


SWEEP = HEADER + f'''
name = "hostile"
replicates = 1

[[parameters]]
key = "compute.threshold"
values = [1000, 100000]
label = {json.dumps(HOSTILE)}

[[measures]]
column = "top_hhi"
label = {json.dumps(HOSTILE)}
'''


def test_sweep_report_escapes(tmp_path):
    path = tmp_path / "sweep.toml"
    path.write_text(SWEEP)
    folder = tmp_path / "out"
    run_sweep(path, out=folder, workers=1, progress=False)
    (folder / "notes.csv").write_text(f"what\n{json.dumps(HOSTILE)}\n")
    text = write_sweep_report(folder, tmp_path / "sweep.html").read_text()
    assert_escaped(text, least=3)  # the response table, its heading, notes.csv
    assert f"<h3>{ESCAPED}</h3>" in text
    assert f"<td>{ESCAPED}</td>" in text
    assert "<script" not in text  # a sweep report has no script at all


def test_calibration_report_escapes(tmp_path):
    folder = tmp_path / "cal"
    folder.mkdir()
    (folder / "calibration.json").write_text(json.dumps({
        "calibration": {"name": HOSTILE}, "calibration_file": HOSTILE,
        "base_path": "x.toml"}))
    (folder / "parameters.csv").write_text(f"parameter,estimate\n{json.dumps(HOSTILE)},1.5\n")
    text = write_calibration_report(folder).read_text()
    assert_escaped(text, least=4)  # title, heading, facts, the parameters table, the JSON
    assert f"<title>talentwar calibration report: {ESCAPED}</title>" in text
    assert f"<tr><th>name</th><td>{ESCAPED}</td></tr>" in text
    assert "<script" not in text
