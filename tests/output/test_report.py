"""``talentwar report``: one self-contained HTML file of a run or of several runs."""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

from sim import cli
from sim.errors import UserError
from sim.output import report as report_module
from sim.output.compare import format_cells
from sim.output.interactive import (
    compare_charts,
    deals_chart,
    firm_pay_charts,
    gpu_top_share_chart,
    headcount_chart,
    top_share_chart,
)
from sim.output.palette import GENERATED, firm_colours
from sim.output.plots import RUN_PLOTS
from sim.output.replicates import ReplicateFolder, paired_differences
from sim.output.report import deals_by_origin, write_report
from sim.output.run import run_scenario
from sim.output.rundir import RunFolder
from sim.scenario import load_scenario
from tests.conftest import TWO_TIER_SCENARIO, chromium_tools, page_file

SCENARIO = TWO_TIER_SCENARIO


@pytest.fixture(scope="module")
def runs(two_tier_runs) -> tuple[Path, Path, Path]:
    """Two tiny runs with plots (seeds 1 and 2) and one written without plots."""
    return two_tier_runs


@pytest.fixture(scope="module")
def two_tier_path(runs) -> Path:
    """The scenario file of the tiny runs (beside run ``a``)."""
    return runs[0].parent / "two_tier.toml"


def embedded_pngs(text: str) -> list[bytes]:
    """The PNG files embedded as data URIs in an HTML report."""
    return [base64.b64decode(m) for m in
            re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)]


def without_scripts(text: str) -> str:
    """The page with the content of its inline scripts removed."""
    return re.sub(r"(<script\b[^>]*>).*?</script>", r"\1</script>", text, flags=re.S | re.I)


def assert_self_contained(text: str, scripts: bool = False) -> None:
    """Nothing fetched from elsewhere: every src is a data URI, every link an anchor of
    the page, every script inline (and, unless ``scripts``, no script at all)."""
    tags = re.findall(r"<script\b[^>]*>", text, flags=re.I)
    assert len(tags) == len(re.findall(r"</script>", text, flags=re.I))
    if not scripts:
        assert not tags
    for tag in tags:
        assert "src" not in tag.lower(), tag
    markup = without_scripts(text)
    assert "<link" not in markup.lower()
    assert "@import" not in markup and "url(" not in markup
    for match in re.finditer(r"\b(?:src|href|action|data)\s*=\s*[\"']([^\"']*)[\"']", markup):
        assert match.group(1).startswith(("data:", "#")), match.group(0)[:80]
    assert not re.search(r"\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", markup, flags=re.I)


def chart_names(text: str) -> list[str]:
    """The interactive charts of a page, by name."""
    return re.findall(r'<figure class="chart" data-chart="([^"]*)"', text)


def test_run_report(runs):
    a = runs[0]
    path = write_report(a)
    assert path == a / "report.html"
    text = path.read_text()
    assert_self_contained(text, scripts=True)
    # The static plots are kept (for printing), each PNG of the folder once.
    pngs = sorted(a.glob("*.png"))
    assert len(pngs) == len(RUN_PLOTS)
    assert sorted(embedded_pngs(text)) == sorted(p.read_bytes() for p in pngs)
    # Key figures: the final values of market.csv, formatted as compare prints them.
    market = pd.read_csv(a / "market.csv")
    assert "Key figures at the end of the horizon" in text
    assert "unemployment rate (%)" in text
    assert f"{100 * market['unemployment_rate'].iloc[-1]:.2f}" in text
    assert f"{market['pay_median_researcher'].iloc[-1]:,.0f}" in text
    assert f"{market['top_hhi'].iloc[-1]:,.0f}" in text
    # Scenario and manifest, escaped.
    manifest = json.loads((a / "manifest.json").read_text())
    assert manifest["started"] in text and str(manifest["git_commit"]) in text
    assert "<b>& escaping</b>" not in text
    assert "&lt;b&gt;&amp; escaping&lt;/b&gt;" in text
    assert "&quot;search_unemployed&quot;: 0.5" in text
    assert not list(a.glob(".report.html*")), "temporary file left behind"


def test_run_report_says_what_the_run_is_with_a_table_of_contents(runs):
    text = write_report(runs[0]).read_text()
    facts = re.search(r"<h2 id=\"section-\d+\">What the run is</h2>(.*?)</table>", text,
                      re.S)
    assert facts, "no section on what the run is"
    for name, value in [("scenario", "two_tier_test"), ("seed", "1"), ("months", "12"),
                        ("engineers", "2,000"), ("firms", "8 (2 named, 6 generated)"),
                        ("description", "Tiny two-tier market for tests &lt;b&gt;&amp; "
                                        "escaping&lt;/b&gt;")]:
        assert f"<tr><th>{name}</th><td>{value}</td></tr>" in facts.group(1)
    # Every section is in the table of contents, which links to it.
    toc = re.search(r'<nav class="toc">(.*?)</nav>', text, re.S)
    assert toc
    headings = re.findall(r'<h2 id="(section-\d+)">(.*?)</h2>', text)
    assert len(headings) >= 5
    for anchor, title in headings:
        assert f'<li><a href="#{anchor}">{title}</a></li>' in toc.group(1)
    assert text.index('<nav class="toc">') < text.index(f'id="{headings[0][0]}"')


def test_run_report_has_interactive_charts_and_plotly_once(runs):
    text = write_report(runs[0]).read_text()
    assert chart_names(text) == ["headcount", "top_share", "gpu_vs_top_share", "pay_by_tier",
                                 "firm_pay_researcher", "firm_pay_engineer", "rates"]
    # plotly.js inline, once; each chart drawn by its own small script.
    assert text.count(get_plotlyjs()) == 1
    assert text.count("Plotly.newPlot(") == len(chart_names(text)) + get_plotlyjs().count(
        "Plotly.newPlot(")
    assert '<pre id="script-errors" class="errors" hidden></pre>' in text


def test_charts_draw_named_firms_by_name_and_generated_firms_together(runs):
    run = RunFolder.finished(runs[0])
    colours = firm_colours(["Lab", "BigCo"])
    chart = headcount_chart(run)
    names = [trace.name for trace in chart.figure.data]
    assert names == ["Lab", "BigCo", GENERATED]
    assert [trace.line.color for trace in chart.figure.data] == [
        colours["Lab"], colours["BigCo"], colours[GENERATED]]
    # The lines add up to every firm's headcount, month by month.
    firms = pd.read_csv(runs[0] / "firms.csv")
    total = firms.groupby("month")["headcount"].sum().to_numpy()
    drawn = np.nansum([np.asarray(t.y, dtype=float) for t in chart.figure.data], axis=0)
    assert drawn == pytest.approx(total)
    # The top tier's shares (%), with its unemployed, add up to 100 in every month.
    share = top_share_chart(run)
    assert share is not None
    assert [t.name for t in share.figure.data] == ["Lab", "BigCo", GENERATED, "unemployment"]
    assert np.nansum([np.asarray(t.y, dtype=float) for t in share.figure.data], axis=0) \
        == pytest.approx(100.0)
    # The pay of the named firms per tier is their own pay_median_<tier>.
    pay = {c.name: c for c in firm_pay_charts(run)}["firm_pay_researcher"]
    lab = firms[(firms["firm"] == "Lab") & (firms["headcount_researcher"] > 0)]
    lab_drawn = np.asarray(pay.figure.data[0].y, dtype=float)
    assert lab_drawn[~np.isnan(lab_drawn)] == pytest.approx(
        lab["pay_median_researcher"].to_numpy())


def test_every_firm_is_a_point_of_the_gpu_chart_even_without_gpus(runs):
    run = RunFolder.finished(runs[0])
    chart = gpu_top_share_chart(run)
    assert chart is not None
    firms = pd.read_csv(runs[0] / "firms.csv")
    last = firms[firms["month"] == firms["month"].max()]
    drawn = np.concatenate([np.asarray(t.x, dtype=float) for t in chart.figure.data])
    real = np.concatenate([np.asarray(t.customdata, dtype=float) for t in chart.figure.data])
    assert (last["gpus"] == 0).any(), "the test needs a firm without GPUs"
    assert len(drawn) == len(last)  # one point per firm
    assert np.all(drawn >= 1) and sorted(real) == sorted(last["gpus"].astype(float))
    assert np.array_equal(drawn, np.maximum(real, 1))


def test_run_labels_are_escaped_in_the_charts(runs):
    """A label may hold a folder's name: plotly would read its tags, so it is escaped."""
    a, b = RunFolder.finished(runs[0]), RunFolder.finished(runs[1])
    a.label, b.label = "<b>x</b> (<a href='javascript:alert(1)'>a</a>)", "y"
    for chart in compare_charts([a, b]):
        for trace in chart.figure.data:
            assert "<" not in str(trace.name), (chart.name, trace.name)
    assert compare_charts([a, b])[0].figure.data[0].name == html.escape(a.label)


DEALS = """month,date,origin,buyer,target,form,price,licence_fee,retention_packages,\
buyer_cost,engineers_moved,left_after,price_per_engineer,premium,valuation,blocked,reason
3,2024-04,scheduled,BigCo,firm_1,acquisition,90000000.0,0.0,9000000.0,90000000.0,9,1,\
10000000.0,0.5,60000000.0,False,
6,2024-07,model,Lab,firm_2,license_and_hire,40000000.0,40000000.0,4000000.0,44000000.0,4,0,\
10000000.0,0.3,30000000.0,False,
8,2024-09,model,BigCo,firm_3,acquisition,50000000.0,0.0,5000000.0,50000000.0,0,0,\
0.0,0.3,40000000.0,True,antitrust review
"""


def test_scheduled_and_model_deals_are_told_apart(runs, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(runs[0], folder)
    (folder / "deals.csv").write_text(DEALS)
    text = write_report(folder, tmp_path / "r.html").read_text()
    assert "deals" in chart_names(text)
    table = deals_by_origin([RunFolder.finished(folder)])
    assert table.to_dict("records") == [
        {"origin": "scheduled", "deals": 1, "blocked": 0, "engineers moved": 9.0,
         "value ($)": 90_000_000.0, "median price per engineer ($)": 10_000_000.0},
        {"origin": "model", "deals": 2, "blocked": 1, "engineers moved": 4.0,
         "value ($)": 40_000_000.0, "median price per engineer ($)": 10_000_000.0}]
    assert "<td>scheduled</td>" in text and "<td>model</td>" in text
    chart = deals_chart(RunFolder.finished(folder))
    assert chart is not None
    assert [t.name for t in chart.figure.data] == ["scheduled", "model", "model (blocked)"]
    assert [t.marker.symbol for t in chart.figure.data] == ["diamond", "circle",
                                                            "circle-open"]


def test_warnings_are_shown_first(two_tier_path, tmp_path):
    folder = run_scenario(load_scenario(two_tier_path, ["tiers.engineer.output=0",
                                                        "months=3"]),
                          seed=4, out=tmp_path / "run", progress=False, plots=False)
    warnings = json.loads((folder / "manifest.json").read_text())["warnings"]
    assert any("output is 0" in w for w in warnings)
    for png in (two_tier_path.parent / "a").glob("*.png"):
        shutil.copy(png, folder / png.name)
    text = write_report(folder, tmp_path / "r.html").read_text()
    box = re.search(r'<section class="warnings" role="alert">(.*?)</section>', text, re.S)
    assert box and f"Warnings ({len(warnings)})" in box.group(1)
    for w in warnings:
        assert f"<li>{html.escape(w)}</li>" in box.group(1)
    assert text.index('class="warnings"') < text.index('<nav class="toc">')
    # A run without warnings has no box.
    assert 'class="warnings"' not in write_report(
        two_tier_path.parent / "a", tmp_path / "a.html").read_text()


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
    # The comparison the report draws (the one `talentwar compare` writes), seen as it is
    # made: the runs compared, the difference table and the plots.
    compared: list[tuple[list[Path], pd.DataFrame, list[Path]]] = []
    real = report_module.write_comparison

    def spy(opened, out_dir):
        table, pngs = real(opened, out_dir)
        compared.append(([run.dir for run in opened], table, pngs))
        return table, pngs

    monkeypatch.setattr(report_module, "write_comparison", spy)
    path = write_report([a, b])
    # The default is results/compare/<UTC timestamp>/report.html, as for compare.
    assert re.fullmatch(r"results/compare/\d{8}-\d{6}/report\.html", path.as_posix())
    assert not Path("report-compare.html").exists()
    text = path.read_text()
    assert_self_contained(text, scripts=True)
    assert text.count(get_plotlyjs()) == 1
    names = chart_names(text)
    assert names[:3] == ["compare_unemployment_rate", "compare_job_to_job_rate",
                         "compare_top_share_above_threshold"]
    assert "compare_pay" in names and "run1-headcount" in names and "run2-headcount" in names
    assert len(set(names)) == len(names)
    # What each run changed: the threshold and the seed, not the description.
    assert ('<tr><td class="key">compute.<wbr>threshold</td><td>10000</td><td>30000</td></tr>'
            in text)
    assert '<tr><td class="key">seed</td><td>1</td><td>2</td></tr>' in text
    assert "<code>compute.threshold</code>: 10000 → 30000" in text
    assert '<td class="key">description</td>' not in text
    # The static figures are the comparison's of a with b (each run's own are in its own
    # report): as many as it drew.
    [(compared_dirs, table, compare_pngs)] = compared
    assert [d.resolve() for d in compared_dirs] == [a.resolve(), b.resolve()]
    assert len(embedded_pngs(text)) == len(compare_pngs) > 0
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
    with pytest.raises(UserError, match=r"file: not a folder \(a file\)$"):
        write_report(blocker)  # a run's table given for its folder, say
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

CONSOLE_SCRIPT = """<script>
window.consoleErrors = [];
(function () {
  var original = console.error;
  console.error = function () {
    window.consoleErrors.push(Array.prototype.join.call(arguments, " "));
    original.apply(console, arguments);
  };
  window.addEventListener("error", function (e) { window.consoleErrors.push(String(e.message)); });
})();
</script>"""
"""Put first in the page: every console error and uncaught error is kept."""

CHECK_SCRIPT = """
<script>
window.addEventListener("load", function () { setTimeout(function () {
  document.querySelectorAll("details.static").forEach(function (d) { d.open = true; });
  var images = [];
  document.querySelectorAll("img").forEach(function (img) {
    var box = img.getBoundingClientRect();
    images.push([img.getAttribute("data-file"), img.complete, img.naturalWidth,
                 Math.round(box.width), Math.round(box.height)]);
  });
  var charts = [];
  document.querySelectorAll("figure.chart").forEach(function (fig) {
    var box = fig.getBoundingClientRect();
    charts.push({name: fig.getAttribute("data-chart"),
                 svgs: fig.querySelectorAll(".plot-container .main-svg").length,
                 traces: fig.querySelectorAll(".plot-container g.trace").length,
                 width: Math.round(box.width), height: Math.round(box.height)});
  });
  var page = document.documentElement;
  var boxes = [];
  document.querySelectorAll("table").forEach(function (t) {
    var box = t.parentElement.getBoundingClientRect();
    boxes.push({cls: t.className, right: Math.round(box.right),
                width: Math.round(t.scrollWidth), shown: Math.round(box.width),
                overflow: getComputedStyle(t.parentElement).overflowX});
  });
  var key = document.querySelector("table.key");
  var errors = document.getElementById("script-errors");
  var out = document.createElement("pre");
  out.id = "browser-check";
  out.textContent = JSON.stringify({
    images: images, charts: charts, tables: boxes,
    table: key ? Math.round(key.getBoundingClientRect().height) : -1,
    viewport: page.clientWidth, pageWidth: page.scrollWidth,
    pageErrors: errors ? errors.textContent : null,
    pageErrorList: window.talentwarErrors || [],
    consoleErrors: window.consoleErrors || [],
    resources: performance.getEntriesByType("resource").map(function (r) { return r.name; })
  });
  document.body.appendChild(out);
}, 200); });
</script>
"""
"""Put last in the page: once it has loaded and drawn, what the browser shows."""


def render(html_file: Path, driver: Any) -> dict[str, Any]:
    """Open a test copy of a report (plus the checking scripts) in the shared headless
    Chromium ``driver`` (the ``page_browser`` fixture: the network off, every request to a
    proxy on a closed port; the copy written to its :func:`page_file`) and return what the
    check script saw (see :data:`CHECK_SCRIPT`), with ``console``: every message the
    browser's console logged for the page."""
    from selenium.webdriver.common.by import By

    copy = page_file(driver)
    text = html_file.read_text()
    copy.write_text(text.replace("<head>", "<head>" + CONSOLE_SCRIPT, 1)
                    .replace("</body>", CHECK_SCRIPT + "</body>"))
    driver.get_log("browser")  # what earlier pages logged, read and dropped
    driver.get(copy.resolve().as_uri())
    deadline = time.monotonic() + 180
    while not (found := driver.find_elements(By.ID, "browser-check")):
        if time.monotonic() > deadline:
            pytest.fail("the check script did not run:\n" + driver.page_source[-2000:])
        time.sleep(0.05)
    seen: dict[str, Any] = json.loads(found[0].get_attribute("textContent"))
    seen["console"] = [f"{e['level']}: {e['message']}" for e in driver.get_log("browser")]
    return seen


def assert_no_script_errors(seen: dict[str, Any]) -> None:
    """No error in the page's own box, in the console, in Chromium's log; nothing
    fetched from the network."""
    assert not seen["pageErrors"], seen["pageErrors"]
    assert seen["pageErrorList"] == []
    assert seen["consoleErrors"] == []
    assert seen["console"] == []
    assert [r for r in seen["resources"] if not r.startswith(("data:", "file:"))] == []


def assert_displayed(html_file: Path, driver: Any, key_table: bool = True) -> dict[str, Any]:
    """Every image decoded and shown (static figures opened, as printing does), every
    chart drawn (plotly's SVG, with its traces), the tables inside the page, no script
    error. Returns what the browser saw."""
    text = html_file.read_text()
    expected = len(embedded_pngs(text))
    assert expected > 0
    seen = render(html_file, driver)
    assert len(seen["images"]) == expected
    for name, complete, natural, width, height in seen["images"]:
        assert complete, name
        assert natural > 0, f"{name} did not decode"
        assert width > 100 and height > 50, f"{name} is not displayed"
    assert [c["name"] for c in seen["charts"]] == chart_names(text)
    for chart in seen["charts"]:
        assert chart["svgs"] >= 2, f"chart {chart['name']} not drawn"
        assert chart["traces"] >= 1, f"chart {chart['name']} has no line drawn"
        assert chart["width"] > 300 and chart["height"] > 300, chart
    if key_table:
        assert seen["table"] > 50, "key-figure table not displayed"
    # Nothing sticks out of the page: a wide table scrolls inside its box.
    assert seen["pageWidth"] <= seen["viewport"], "the page scrolls sideways"
    for table in seen["tables"]:
        assert table["right"] <= seen["viewport"], table
        if table["width"] > table["shown"]:
            assert table["overflow"] == "auto", table
    assert_no_script_errors(seen)
    return seen


def test_browser_displays_run_report(runs, tmp_path, page_browser):
    path = write_report(runs[0], tmp_path / "run.html")
    assert "unemployment rate (%)" in path.read_text()
    seen = assert_displayed(path, page_browser)
    assert len(seen["charts"]) == 7


# --------------------------------------------------------------------------- six runs

LONG_DESCRIPTION = ("A variant whose description is long enough to need wrapping: "
                    + "counter-offers-never-and-a-much-higher-noise-" * 6)
VARIANTS = [
    ["policy_override.counter_offer=never"],
    ["choice.noise=0.9", f"description={LONG_DESCRIPTION}"],
    ["tiers.engineer.output=0"],
    ["firms.Lab.gpus=5000", "policy_override.counter_offer=beat"],
]


@pytest.fixture(scope="module")
def six_runs(runs, two_tier_path, tmp_path_factory) -> list[Path]:
    """Runs a and b and four variants of the tiny market (their PNGs copied from a, to
    save drawing them)."""
    root = tmp_path_factory.mktemp("six")
    out = [runs[0], runs[1]]
    for k, changes in enumerate(VARIANTS, start=3):
        folder = run_scenario(load_scenario(two_tier_path, changes), seed=k,
                              out=root / f"v{k}", progress=False, plots=False)
        for png in runs[0].glob("*.png"):
            shutil.copy(png, folder / png.name)
        out.append(folder)
    return out


@pytest.fixture(scope="module")
def six_report(six_runs, tmp_path_factory) -> Path:
    """The report comparing the six runs."""
    return write_report(six_runs, tmp_path_factory.mktemp("six-report") / "six.html")


def test_six_runs_compared_say_what_each_changed(six_report):
    text = six_report.read_text()
    table = re.search(r'<table class="changes">(.*?)</table>', text, re.S)
    assert table
    assert table.group(1).count("<th>") == 7  # the key, then six runs
    rows = dict(re.findall(r'<tr><td class="key">([^<]*)</td>(.*?)</tr>',
                           table.group(1).replace("<wbr>", "")))
    cells = {key: re.findall(r"<td>(.*?)</td>", row) for key, row in rows.items()}
    assert cells["seed"] == ["1", "2", "3", "4", "5", "6"]
    assert cells["policy_override.counter_offer"] == ["unset", "unset", "never", "unset",
                                                      "unset", "beat"]
    assert cells["choice.noise"][3] == "0.9"
    assert cells["compute.threshold"][:3] == ["10000", "30000", "10000"]
    assert cells["firms.Lab.gpus"] == ["20000"] * 5 + ["5000"]
    assert cells["description"][3] == LONG_DESCRIPTION
    assert "<code>policy_override.counter_offer</code>: unset → never" in text
    # The variant with a warning is named in the warnings box.
    box = re.search(r'<section class="warnings" role="alert">(.*?)</section>', text, re.S)
    assert box and "two_tier_test seed 5: tiers.engineer.output is 0" in box.group(1)


def test_browser_fits_six_runs_on_the_page(six_report, page_browser):
    seen = assert_displayed(six_report, page_browser)
    changes = next(t for t in seen["tables"] if t["cls"] == "changes")
    key = next(t for t in seen["tables"] if t["cls"] == "key")
    # Eleven columns of key figures are wider than the page: they scroll in their box.
    assert key["width"] > key["shown"] and key["overflow"] == "auto"
    assert changes["right"] <= seen["viewport"]


# --------------------------------------------------------------------------- replicates


@pytest.fixture(scope="module")
def replicate_folders(two_tier_replicates) -> tuple[Path, Path]:
    """Two replicate folders of the tiny market (3 replicates, 6 months): the base and a
    counterfactual with a much higher GPU threshold."""
    base, _, cf = two_tier_replicates
    return base, cf


@pytest.fixture(scope="module")
def replicate_report(replicate_folders) -> Path:
    """The report of the base replicate folder, at its default place (written once, read
    by the page and browser tests)."""
    return write_report(replicate_folders[0])


@pytest.fixture(scope="module")
def replicate_comparison_report(replicate_folders, tmp_path_factory) -> Path:
    """The report comparing the two replicate folders (written once, read by the page and
    browser tests)."""
    return write_report(list(replicate_folders), tmp_path_factory.mktemp("reps") / "reps.html")


def test_replicate_report_shows_means_and_intervals(replicate_folders, replicate_report):
    base = replicate_folders[0]
    path = replicate_report
    assert path == base / "report.html"
    text = path.read_text()
    assert_self_contained(text, scripts=True)
    assert "3 replicates" in text
    summary = pd.read_csv(base / "summary.csv")
    last = summary[(summary["month"] == 6) & (summary["measure"] == "unemployment_rate")]
    row = last.iloc[0]
    # The final month's mean and interval of every measure, as summary.csv has them.
    assert (f"<td>unemployment_rate</td><td>{row['mean']:.4g}</td>"
            f"<td>{row['ci_low']:.4g}</td><td>{row['ci_high']:.4g}</td>"
            ) in re.sub(r">\s+<", "><", text)
    names = chart_names(text)
    assert "band_unemployment_rate" in names and "band_pay_median_researcher" in names
    # Each chart has a band (the interval, filled) and the mean.
    seeds = json.loads((base / "manifest.json").read_text())["seeds"]
    assert f"<tr><th>seeds</th><td>{', '.join(map(str, seeds))}</td></tr>" in text


def test_replicate_comparison_marks_what_is_indistinguishable(replicate_folders,
                                                             replicate_comparison_report):
    base, cf = replicate_folders
    text = replicate_comparison_report.read_text()
    assert_self_contained(text, scripts=True)
    table = paired_differences(ReplicateFolder.open(base), ReplicateFolder.open(cf))
    rows = re.findall(r'<tr class="(same|)"><td>([^<]*)</td>(.*?)</tr>', text)
    verdicts = {name: (cls, cells) for cls, name, cells in rows}
    assert set(verdicts) == set(table.index)
    for name, r in table.iterrows():
        cls, cells = verdicts[name]
        assert (cls == "") == bool(r["distinguishable"])
        assert ("≈ 0 (not distinguishable)" in cells) == (not r["distinguishable"])
    # The top tier above the threshold clearly differs; the final month does not.
    assert verdicts["top tier at firms above GPU threshold (%)"][0] == ""
    assert verdicts["final month"][0] == "same"
    assert '<td class="key">compute.<wbr>threshold</td><td>10000</td><td>30000</td>' in text
    # The paired differences over time come before each folder's levels with their bands.
    names = chart_names(text)
    assert names[0] == "effect_0" and "band_unemployment_rate" in names


def test_report_refuses_runs_mixed_with_replicates(replicate_folders, runs, tmp_path):
    with pytest.raises(UserError, match="only replicate folders"):
        write_report([replicate_folders[0], runs[0]], tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()


def test_browser_displays_replicate_reports(replicate_report, replicate_comparison_report,
                                           page_browser):
    for path in (replicate_report, replicate_comparison_report):
        seen = render(path, page_browser)
        assert [c["name"] for c in seen["charts"]] == chart_names(path.read_text())
        for chart in seen["charts"]:
            # a band and its line; the effects in % and the firm shares: points and bars
            least = 1 if chart["name"] in ("effect_percent", "firm_shares") else 2
            assert chart["svgs"] >= 2 and chart["traces"] >= least, chart
        assert seen["pageWidth"] <= seen["viewport"]
        assert_no_script_errors(seen)


def test_printed_report_shows_the_static_figures(runs, tmp_path):
    """Printing (to PDF) opens the closed section of PNG plots: every one is printed."""
    chromium, _ = chromium_tools()
    path = write_report(runs[0], tmp_path / "run.html")
    pdf = tmp_path / "run.pdf"
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}",
         "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
         "--virtual-time-budget=20000", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
         path.resolve().as_uri()],
        capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert pdf.read_bytes().count(b"/Subtype /Image") == len(embedded_pngs(path.read_text()))


# --------------------------------------------------------------------------- effects by firm


@pytest.fixture(scope="module")
def deal_report(deal_replicates, tmp_path_factory) -> Path:
    """The report comparing the acquisition done with it blocked (3 paired replicates)."""
    return write_report(list(deal_replicates), tmp_path_factory.mktemp("deal") / "deal.html")


def test_replicate_comparison_answers_by_firm(deal_report):
    text = deal_report.read_text()
    assert_self_contained(text, scripts=True)
    # The three-line summary comes before the table of contents.
    box = re.search(r'<section class="summary">(.*?)</section>', text, re.S)
    assert box and text.index('<section class="summary">') < text.index('<nav class="toc">')
    lines = re.findall(r"<li>((?:Changed|By firm|Not distinguishable)[^<]*)</li>", box.group(1))
    assert [line.split(" ")[0] for line in lines] == ["Changed", "By", "Not"]
    assert "Gamma share of researchers (pp) +" in lines[1]
    # The key table has Δ in % and the BH verdict beside each measure's verdict.
    row = re.search(r"<td>deals blocked \(total over run\)</td>(.*?)</tr>", text)
    assert row and re.findall(r"<td>(.*?)</td>", row.group(1))[-4:] == [
        "n/a", "differs", "differs", "3"]
    assert "would read &quot;differs&quot; by chance" in text
    # Firm tables: Gamma's researcher headcount differs (bold, and * after BH).
    gamma = re.search(r"<h3>researcher</h3>.*?<tr><td>Gamma</td>(.*?)</tr>", text, re.S)
    assert gamma and gamma.group(1).startswith('<td class="differs"><b>+')
    assert " *</b>" in gamma.group(1)
    # Where the deal's team works at the end, with both outcomes.
    assert re.search(r"<td>acquisition in 3 of 3</td>\s*<td>blocked in 3 of 3</td>", text)
    names = chart_names(text)
    assert {"effect_0", "effect_top_share", "effect_percent", "firm_shares"} <= set(names)
    assert names.index("effect_0") < names.index("band_unemployment_rate")
    assert len(embedded_pngs(text)) == 4  # the effect plots, for print


def test_browser_displays_the_effects_and_firm_tables(deal_report, page_browser):
    seen = assert_displayed(deal_report, page_browser)
    drawn = {c["name"]: c for c in seen["charts"]}
    for name in ("effect_0", "effect_top_share", "effect_percent", "firm_shares"):
        assert drawn[name]["traces"] >= 1, name
    classes = [t["cls"] for t in seen["tables"]]
    assert classes.count("key firms") == 2  # one per tier
    assert "dataframe data" in classes  # the deal teams


def test_a_report_a_kill_left_half_written_is_removed_by_the_next(runs, tmp_path):
    # `report RUN --out DIR/name.html` killed while writing leaves .name.html.tmp-<pid>;
    # the next report into that folder removes it (a live writer's is kept).
    dead = subprocess.Popen(["true"])
    dead.wait()
    half = tmp_path / f".name.html.tmp-{dead.pid}"
    half.write_text("<html>")
    live = tmp_path / f".other.html.tmp-{os.getpid()}"
    live.write_text("<html>")
    write_report(runs[0], tmp_path / "name.html")
    assert not half.exists() and live.exists() and (tmp_path / "name.html").is_file()
