"""``talentwar report``: one self-contained HTML file of a run or of several runs."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import pandas as pd
import pytest

from sim import cli
from sim.errors import UserError
from sim.output.compare import compare_runs, format_cells
from sim.output.plots import RUN_PLOTS
from sim.output.report import write_report
from tests.conftest import TWO_TIER_SCENARIO

SCENARIO = TWO_TIER_SCENARIO


@pytest.fixture(scope="module")
def runs(two_tier_runs) -> tuple[Path, Path, Path]:
    """Two tiny runs with plots (seeds 1 and 2) and one written without plots."""
    return two_tier_runs


def embedded_pngs(text: str) -> list[bytes]:
    """The PNG files embedded as data URIs in an HTML report."""
    return [base64.b64decode(m) for m in
            re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)]


def assert_self_contained(text: str) -> None:
    """No scripts and nothing fetched from elsewhere: every src is a data URI."""
    assert "<script" not in text.lower()
    assert "<link" not in text.lower()
    assert "@import" not in text and "url(" not in text
    for match in re.finditer(r'\b(?:src|href)\s*=\s*"([^"]*)"', text):
        assert match.group(1).startswith("data:"), match.group(0)[:80]


def test_run_report(runs):
    a = runs[0]
    path = write_report(a)
    assert path == a / "report.html"
    text = path.read_text()
    assert_self_contained(text)
    pngs = sorted(a.glob("*.png"))
    assert len(pngs) == len(RUN_PLOTS)
    assert sorted(embedded_pngs(text)) == sorted(p.read_bytes() for p in pngs)
    # Key figures: the final values of market.csv, formatted as compare prints them.
    market = pd.read_csv(a / "market.csv")
    assert "Key figures at the end of the horizon" in text
    assert "unemployment rate (%)" in text
    assert f"{100 * market['unemployment_rate'].iloc[-1]:.3f}" in text
    assert f"{market['pay_median_researcher'].iloc[-1]:,.0f}" in text
    assert f"{market['top_hhi'].iloc[-1]:,.0f}" in text
    # Scenario and manifest, escaped.
    manifest = json.loads((a / "manifest.json").read_text())
    assert manifest["started"] in text and str(manifest["git_commit"]) in text
    assert "<b>& escaping</b>" not in text
    assert "&lt;b&gt;&amp; escaping&lt;/b&gt;" in text
    assert "&quot;search_unemployed&quot;: 0.5" in text
    assert not list(a.glob(".report.html*")), "temporary file left behind"


def test_run_without_plots_draws_them_without_touching_the_folder(runs, tmp_path):
    bare = runs[2]
    before = sorted(p.name for p in bare.iterdir())
    out = write_report(bare, tmp_path / "bare.html")
    assert sorted(p.name for p in bare.iterdir()) == before
    text = out.read_text()
    assert len(embedded_pngs(text)) == len(RUN_PLOTS)
    assert "drawn from its result files" in text


def test_compare_report(runs, tmp_path, monkeypatch):
    a, b, _ = runs
    monkeypatch.chdir(tmp_path)
    path = write_report([a, b])
    # The default is results/compare/<UTC timestamp>/report.html, as for compare.
    assert re.fullmatch(r"results/compare/\d{8}-\d{6}/report\.html", path.as_posix())
    assert not Path("report-compare.html").exists()
    text = path.read_text()
    assert_self_contained(text)
    table, compare_pngs = compare_runs([a, b], tmp_path / "cmp")
    expected = ([p.read_bytes() for p in compare_pngs]
                + [p.read_bytes() for p in sorted(a.glob("*.png"))]
                + [p.read_bytes() for p in sorted(b.glob("*.png"))])
    images = embedded_pngs(text)
    assert len(images) == len(expected) == len(compare_pngs) + 2 * len(RUN_PLOTS)
    run_images = expected[len(compare_pngs):]
    assert sorted(images[len(compare_pngs):]) == sorted(run_images)
    # Every cell of the difference table appears as a cell of the HTML table.
    cells = format_cells(table)
    for column in table.columns:
        assert f"<th>{column}</th>" in text
    for name, row in cells.iterrows():
        assert f"<tr><td>{name}</td>" + "".join(f"<td>{v}</td>" for v in row) in text


def test_bad_input_is_a_user_error(runs, tmp_path):
    a = runs[0]
    with pytest.raises(UserError, match="not a run folder"):
        write_report(tmp_path)
    with pytest.raises(UserError, match="no such folder"):
        write_report(tmp_path / "missing")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UserError, match="cannot write the report"):
        write_report(a, blocker / "report.html")
    with pytest.raises(UserError, match="cannot write the report"):
        write_report(a, tmp_path)  # a folder, not a file


def test_cli(runs, tmp_path, monkeypatch, capsys):
    a, b, _ = runs
    out = tmp_path / "deep" / "r.html"
    assert cli.main(["report", "--compare", str(a), str(b), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert out.is_file()
    assert cli.main(["report", str(a), str(b)]) == 2
    assert "add --compare" in capsys.readouterr().err
    assert cli.main(["report", "--compare", str(a)]) == 2
    assert "at least 2 run folders" in capsys.readouterr().err
    assert cli.main(["report", str(tmp_path)]) == 2
    assert "not a run folder" in capsys.readouterr().err


# --------------------------------------------------------------------------- in a browser

CHECK_SCRIPT = """
<script>
window.addEventListener("load", function () {
  var lines = [];
  document.querySelectorAll("img").forEach(function (img) {
    var box = img.getBoundingClientRect();
    lines.push([img.getAttribute("data-file"), img.complete, img.naturalWidth,
                Math.round(box.width), Math.round(box.height)].join("|"));
  });
  var table = document.querySelector("table.key");
  var out = document.createElement("pre");
  out.id = "browser-check";
  out.textContent = "images=" + lines.length + "\\n" + lines.join("\\n") + "\\ntable=" +
    (table ? Math.round(table.getBoundingClientRect().height) : -1);
  document.body.appendChild(out);
});
</script>
"""


def browser() -> str | None:
    """Debian's ``chromium`` (or ``chromium-browser``), or skip or fail if it is missing."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("TALENTWAR_REQUIRE_BROWSER") == "1":
            pytest.fail("TALENTWAR_REQUIRE_BROWSER=1 but chromium is not on PATH")
        pytest.skip("chromium is not installed")
    return found


def render(html_file: Path, tmp_path: Path) -> dict[str, object]:
    """Open a test copy of a report (plus a checking script) in headless Chromium.

    Returns the number of images, each image's (file, complete, natural width, displayed
    width, displayed height) and the displayed height of the key-figure table.
    """
    chromium = browser()
    copy = tmp_path / f"check-{html_file.name}"
    copy.write_text(html_file.read_text().replace("</body>", CHECK_SCRIPT + "</body>"))
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}",
         "--window-size=1280,1024", "--virtual-time-budget=10000", "--dump-dom",
         copy.resolve().as_uri()],
        capture_output=True, text=True, timeout=90,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'<pre id="browser-check">(.*?)</pre>', result.stdout, re.S)
    assert found, "the check script did not run:\n" + result.stdout[-2000:]
    lines = found.group(1).splitlines()
    images = [line.split("|") for line in lines[1:-1]]
    return {"count": int(lines[0].removeprefix("images=")), "images": images,
            "table": int(lines[-1].removeprefix("table="))}


def assert_displayed(html_file: Path, tmp_path: Path, key_table: bool = True) -> None:
    expected = len(embedded_pngs(html_file.read_text()))
    assert expected > 0
    seen = render(html_file, tmp_path)
    assert seen["count"] == expected
    for name, complete, natural, width, height in seen["images"]:
        assert complete == "true", name
        assert int(natural) > 0, f"{name} did not decode"
        assert int(width) > 100 and int(height) > 50, f"{name} is not displayed"
    if key_table:
        assert seen["table"] > 50, "key-figure table not displayed"


def test_browser_displays_run_report(runs, tmp_path):
    browser()
    path = write_report(runs[0], tmp_path / "run.html")
    assert "unemployment rate (%)" in path.read_text()
    assert_displayed(path, tmp_path)


def test_browser_displays_compare_report(runs, tmp_path):
    browser()
    assert_displayed(write_report(runs[:2], tmp_path / "compare.html"), tmp_path)
