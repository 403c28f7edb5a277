"""docs/notebooks/first_look.ipynb runs as written and shows what its text says."""

from __future__ import annotations

import base64

import nbformat
import pytest

from tests.conftest import ROOT

NOTEBOOK = ROOT / "docs" / "notebooks" / "first_look.ipynb"


def test_first_look_notebook_runs_and_shows_a_firm_comparison_and_a_plot(monkeypatch,
                                                                         tmp_path):
    # The notebook works in a fresh temporary folder, as a reader's would; here that folder
    # is made under the test's own, so nothing is left behind (the kernel inherits TMPDIR).
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    nbclient = pytest.importorskip("nbclient", reason="pip install -e '.[test]'")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # kept without outputs, so the file shows what the code is, not an old result
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    code = [c for c in notebook.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert errors == []

    def text(cell) -> str:
        return "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "")
                       for o in cell.outputs)

    summary = next(c for c in code if "comparison.summary" in c.source)
    lines = [line for line in text(summary).splitlines() if line.strip()]
    assert lines[0].startswith("Changed (95% interval excludes 0, false discovery rate 5%)")
    # no counter-offers at all: their total falls by every one the flagship made
    assert "counter-offers (total over run) -" in lines[0] and "(-100.0%)" in lines[0]
    assert lines[1].startswith("By firm (") and lines[2].startswith("Not distinguishable")
    quits = next(c for c in code if '"quits"' in c.source)
    for firm in ("Meta", "OpenAI", "Anthropic", "generated firms"):
        assert firm in text(quits)
    plot = code[-1]
    png = next(o.data["image/png"] for o in plot.outputs if "image/png" in o.get("data", {}))
    assert base64.b64decode(png).startswith(b"\x89PNG")
