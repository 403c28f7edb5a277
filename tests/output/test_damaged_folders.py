"""Damaged run folders are refused by ``plot``, ``report`` and ``compare`` before anything is
written: one line naming the file and what is wrong, exit status 2, no traceback, nothing
new. Plots are added to a folder as a set. Outputs are safe to open (HTML escaped, no CSV
formulas). ``report --compare`` writes under ``results/compare/``."""

from __future__ import annotations

import gzip
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import sim.output.plots
from sim.errors import UserError
from sim.output.compare import differences_csv
from sim.output.plots import RUN_PLOTS, plot_run
from sim.output.run import run_scenario
from sim.scenario import load_scenario
from tests.conftest import TWO_TIER_SCENARIO
from tests.output.folders import (
    add_deals,
    assert_refused,
    copy_run,
    edit_manifest,
    edit_table,
    leftovers,
    make_directory,
    run_cli,
    tree,
)

Damage = Callable[[Path], Any]


def _set(key: str, value: Any) -> Damage:
    def change(folder: Path) -> None:
        def edit(data: dict[str, Any]) -> None:
            data[key] = value
        edit_manifest(folder, edit)
    return change


def _column(name: str, column: str, value: Any) -> Damage:
    def change(folder: Path) -> None:
        def edit(table: pd.DataFrame) -> None:
            table[column] = table[column].astype(object)
            table.loc[table.index[len(table) // 2], column] = value
        edit_table(folder, name, edit)
    return change


def _drop(name: str, column: str) -> Damage:
    return lambda folder: edit_table(folder, name, lambda t: t.drop(columns=[column]))


def _text(name: str, text: str | bytes) -> Damage:
    def change(folder: Path) -> None:
        if isinstance(text, bytes):
            (folder / name).write_bytes(text)
        else:
            (folder / name).write_text(text)
    return change


def _truncate(name: str, fraction: float) -> Damage:
    def change(folder: Path) -> None:
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[: int(len(data) * fraction)])
    return change


def _flip_byte(name: str) -> Damage:
    """Invert one byte of the compressed data (past the 10-byte gzip header)."""
    def change(folder: Path) -> None:
        data = bytearray((folder / name).read_bytes())
        data[len(data) // 2] ^= 0xFF
        (folder / name).write_bytes(bytes(data))
    return change


def _gzip(name: str, content: bytes) -> Damage:
    """Replace a file by a valid gzip file of ``content``."""
    return lambda folder: (folder / name).write_bytes(gzip.compress(content))


# (test id, damage, file named in the message, the words that say what is wrong,
#  the commands that read the file).
ALL = ("plot", "report", "compare")
CASES: list[tuple[str, Damage, str, str, tuple[str, ...]]] = [
    # Manifests that gave AttributeError / TypeError / KeyError.
    ("manifest_scenario_is_text", _set("scenario", "two_tier_test"), "manifest.json",
     "scenario: expected an object", ALL),
    ("manifest_is_an_array", lambda f: edit_manifest(f, lambda d: [d]), "manifest.json",
     "expected a JSON object", ALL),
    ("manifest_seed_is_text", _set("seed", "one"), "manifest.json",
     "seed: expected a whole number", ("report", "compare")),
    ("manifest_months_missing", lambda f: edit_manifest(f, lambda d: d.pop("months") and d),
     "manifest.json", "months: missing", ("report", "compare")),
    ("manifest_compute_is_a_number",
     lambda f: edit_manifest(f, lambda d: d["scenario"].update(compute=3)), "manifest.json",
     "scenario.compute: expected an object", ALL),
    ("manifest_versions_is_a_list", _set("versions", ["numpy"]), "manifest.json",
     "versions: expected an object", ("report",)),
    ("manifest_invalid_json", _text("manifest.json", '{"scenario": {'), "manifest.json",
     "not valid JSON", ALL),
    ("manifest_not_utf8", _text("manifest.json", b'{"\xff\xfe": 1}'), "manifest.json",
     "not UTF-8", ALL),
    ("manifest_deeply_nested", _text("manifest.json", "[" * 100_000), "manifest.json",
     "nested too deeply", ALL),
    ("manifest_is_a_folder", lambda f: make_directory(f, "manifest.json"), "manifest.json",
     "is a folder", ALL),
    # Tables.
    ("market_rate_is_text", _column("market.csv", "unemployment_rate", "high"), "market.csv",
     "column unemployment_rate: expected numbers", ALL),
    ("market_month_not_whole", _column("market.csv", "month", 2.5), "market.csv",
     "column month: expected whole numbers", ALL),
    ("market_date_not_a_month", _column("market.csv", "date", "soon"), "market.csv",
     "column date: expected a month", ALL),
    ("market_cut_short", _truncate("market.csv", 0.55), "market.csv", "", ALL),
    ("market_is_empty", _text("market.csv", ""), "market.csv", "empty file", ALL),
    ("market_random_bytes", _text("market.csv", bytes(range(256)) * 4), "market.csv",
     "not UTF-8", ALL),
    ("market_tier_name_markup", lambda f: edit_table(
        f, "market.csv", lambda t: t.rename(columns={"employed_engineer": "employed_$x^$"})),
     "market.csv", "not a tier name", ALL),
    ("firms_without_cash", _drop("firms.csv", "cash"), "firms.csv", "missing column(s) cash",
     ("plot",)),
    ("firms_without_firm", _drop("firms.csv", "firm"), "firms.csv", "missing column(s) firm",
     ALL),
    ("firms_gpus_is_text", _column("firms.csv", "gpus", "many"), "firms.csv",
     "column gpus: expected numbers", ALL),
    ("firms_name_is_markup", _column("firms.csv", "firm", "$\\frac$"), "firms.csv",
     "column firm: expected a name", ALL),
    ("firms_infinite_cash", _column("firms.csv", "cash", "inf"), "firms.csv",
     "expected finite numbers", ALL),
    ("deals_random_bytes", _text("deals.csv", b"\x00\x9f" * 300), "deals.csv", "", ALL),
    ("deals_is_a_folder", lambda f: make_directory(f, "deals.csv"), "deals.csv", "is a folder",
     ALL),
    ("deals_blocked_not_a_flag", _column("deals.csv", "blocked", "maybe"), "deals.csv",
     "column blocked: expected True or False", ALL),
    ("flows_month_is_text", _column("flows.csv", "month", "x"), "flows.csv",
     "column month", ("plot",)),
    ("flows_negative_engineers", _column("flows.csv", "engineers", -3), "flows.csv",
     "column engineers: expected whole numbers >= 0", ("plot",)),
    ("engineers_pay_is_text", _column("engineers.csv.gz", "pay", "lots"), "engineers.csv.gz",
     "column pay: expected numbers", ("plot",)),
    ("engineers_without_tier", _drop("engineers.csv.gz", "tier"), "engineers.csv.gz",
     "missing column(s) tier", ("plot",)),
    # The compressed engineer table: cut short, not gzip, a flipped byte (CRC), and CSV
    # damage under a valid gzip layer.
    ("engineers_gz_cut_short", _truncate("engineers.csv.gz", 0.5), "engineers.csv.gz",
     "not a readable gzip file", ("plot", "report")),
    ("engineers_gz_not_gzip", _text("engineers.csv.gz", "id,tier\n1,a\n"), "engineers.csv.gz",
     "not a readable gzip file", ("plot",)),
    ("engineers_gz_flipped_byte", _flip_byte("engineers.csv.gz"), "engineers.csv.gz",
     "not a readable gzip file", ("plot",)),
    ("engineers_gz_of_random_bytes", _gzip("engineers.csv.gz", b"\x00\x9f" * 300),
     "engineers.csv.gz", "not UTF-8", ("plot",)),
]


@pytest.fixture(scope="module")
def runs(two_tier_runs) -> tuple[Path, Path, Path]:
    return two_tier_runs


@pytest.mark.parametrize(("damage", "file", "words", "commands"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_damaged_folder_is_refused_before_anything_is_written(runs, tmp_path, damage, file,
                                                                 words, commands):
    a, b, _ = runs
    damaged = copy_run(a, tmp_path / "damaged")
    other = copy_run(b, tmp_path / "other")
    add_deals(damaged)
    damage(damaged)
    for png in damaged.glob("*.png"):  # plot must not write some before failing
        png.unlink()
    argvs = {"plot": ["plot", damaged], "report": ["report", damaged],
             "compare": ["compare", other, damaged]}
    for command in commands:
        before = tree(tmp_path)
        outcome = run_cli(argvs[command], tmp_path)
        assert_refused(outcome, file)
        assert words in outcome.err, (command, outcome.err)
        assert tree(tmp_path) == before, f"{command} wrote something"
    assert leftovers(tmp_path) == []


def test_report_refuses_a_damaged_plot(runs, tmp_path):
    damaged = copy_run(runs[0], tmp_path / "damaged")
    (damaged / "rates.png").write_bytes(b"not a png")
    before = tree(tmp_path)
    outcome = run_cli(["report", damaged], tmp_path)
    assert_refused(outcome, "rates.png")
    assert "not a PNG image" in outcome.err
    assert tree(tmp_path) == before


def test_plots_are_added_as_a_set(runs, tmp_path, monkeypatch):
    """A plot that fails half-way leaves the folder as it was (no PNG of the set)."""
    folder = copy_run(runs[2], tmp_path / "bare")  # written without plots
    add_deals(folder)  # so that deals are drawn too
    before = tree(tmp_path)

    def broken(run: Any) -> Any:
        raise RuntimeError("out of memory while drawing")

    monkeypatch.setitem(sim.output.plots.RUN_PLOTS, "headcount", broken)
    for workers in (1, 2):  # drawn here, and in processes (terminated at the failure)
        with pytest.raises(RuntimeError, match="out of memory"):
            plot_run(folder, workers=workers)
        assert tree(tmp_path) == before
    monkeypatch.undo()
    paths = plot_run(folder, workers=2)
    assert sorted(p.name for p in paths) == sorted(f"{n}.png" for n in RUN_PLOTS)
    assert all(p.stat().st_size > 0 for p in paths)
    assert leftovers(tmp_path) == []


def test_a_folder_named_like_a_plot_is_refused(runs, tmp_path):
    folder = copy_run(runs[0], tmp_path / "run")
    (folder / "rates.png").unlink()
    (folder / "rates.png").mkdir()
    before = tree(tmp_path)
    outcome = run_cli(["plot", folder], tmp_path)
    assert_refused(outcome, "rates.png")
    assert tree(tmp_path) == before


def test_older_optional_tables_may_be_absent_or_empty(runs, tmp_path):
    """A run without flows or deals (or with empty files for them) is still a run."""
    folder = copy_run(runs[0], tmp_path / "run")
    (folder / "flows.csv").unlink()
    (folder / "deals.csv").write_text("")
    (folder / "engineers.csv.gz").unlink()
    assert run_cli(["plot", folder], tmp_path).status == 0
    assert run_cli(["report", folder], tmp_path).status == 0


# --------------------------------------------------------------------------- safe to open


HOSTILE_DESCRIPTION = '<script>alert(1)</script> =HYPERLINK("http://evil.example") @SUM(1)'


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory, runs) -> Path:
    """A tiny run whose scenario description holds markup and spreadsheet formulas."""
    root = tmp_path_factory.mktemp("hostile")
    path = root / "hostile.toml"
    path.write_text(TWO_TIER_SCENARIO.replace(
        'description = "Tiny two-tier market for tests <b>& escaping</b>"',
        f"description = '{HOSTILE_DESCRIPTION}'").replace("months = 12", "months = 4"))
    folder = run_scenario(load_scenario(path), seed=5, out=root / "run", progress=False,
                          plots=False)
    for png in runs[0].glob("*.png"):
        shutil.copy(png, folder / png.name)
    return folder


def test_scenario_text_stays_escaped_in_the_report(hostile_run, tmp_path):
    html_file = tmp_path / "report.html"
    assert run_cli(["report", hostile_run, "--out", html_file], tmp_path).status == 0
    text = html_file.read_text()
    # The page's own scripts (plotly and the charts) are there; the scenario's is not.
    assert "<script>alert(1)" not in text
    assert text.count("alert(1)") == text.count("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def formula_cells(csv_file: Path) -> list[str]:
    """Text cells (header included) that a spreadsheet would run as a formula."""
    table = pd.read_csv(csv_file, dtype=str, header=None, keep_default_na=False)
    cells = [str(v) for v in table.to_numpy().ravel()]

    def number(v: str) -> bool:
        try:
            float(v.replace(",", ""))
        except ValueError:
            return False
        return True

    return [v for v in cells if v[:1] in ("=", "+", "-", "@") and not number(v)]


def test_no_csv_the_tool_writes_holds_a_formula(hostile_run, runs, tmp_path):
    out = tmp_path / "cmp"
    assert run_cli(["compare", hostile_run, runs[1], "--out", out], tmp_path).status == 0
    written = [*hostile_run.glob("*.csv"), *hostile_run.glob("*.csv.gz"),
               out / "differences.csv"]
    assert len(written) >= 6
    for path in written:
        assert formula_cells(path) == [], path


def test_difference_labels_that_look_like_formulas_are_neutralised():
    table = pd.DataFrame({"=cmd seed 1": [1.0], "Δ =cmd seed 1": [0.0], "+x": [2.0],
                          "-y": [3.0], "@z": [4.0], "safe": [5.0]},
                         index=pd.Index(["-measure"], name="measure"))
    text = differences_csv(table)
    header, row = text.splitlines()
    assert header.split(",") == ["measure", "'=cmd seed 1", "Δ =cmd seed 1", "'+x", "'-y",
                                 "'@z", "safe"]
    assert row.startswith("'-measure,")


def test_a_scenario_name_that_is_a_formula_is_refused(runs, tmp_path):
    """A hand-edited manifest cannot put a formula into differences.csv (today it did)."""
    a = copy_run(runs[0], tmp_path / "a")
    edit_manifest(a, lambda d: d["scenario"].update(name='=HYPERLINK("http://x")'))
    before = tree(tmp_path)
    outcome = run_cli(["compare", a, runs[1], "--out", tmp_path / "cmp"], tmp_path)
    assert_refused(outcome, "manifest.json")
    assert "scenario.name" in outcome.err
    assert tree(tmp_path) == before


# --------------------------------------------------------------------------- report --compare


def test_report_compare_writes_under_results_compare(runs, tmp_path):
    a, b, _ = runs
    outcome = run_cli(["report", "--compare", a, b], tmp_path)
    assert outcome.status == 0, outcome.err
    written = Path(outcome.out.strip())
    assert re.fullmatch(r"results/compare/\d{8}-\d{6}/report\.html", written.as_posix())
    assert (tmp_path / written).is_file()
    assert not (tmp_path / "report-compare.html").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["results"]
    help_text = run_help(["report", "--help"])
    assert "results/compare/<timestamp>/report.html" in " ".join(help_text.split())


def run_help(argv: list[str]) -> str:
    """The --help text of a command."""
    import contextlib
    import io

    from sim import cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        cli.main(argv)
    return out.getvalue()


def test_user_error_messages_name_the_file(runs, tmp_path):
    """The Python API raises the same UserError as the command line prints."""
    from sim.output.rundir import RunFolder

    damaged = copy_run(runs[0], tmp_path / "damaged")
    _column("firms.csv", "headcount", "x")(damaged)
    with pytest.raises(UserError, match=r"firms\.csv: column headcount: expected numbers"):
        RunFolder.finished(damaged)


def _empty_column(name: str, *columns: str) -> Damage:
    def change(folder: Path) -> None:
        def edit(table: pd.DataFrame) -> None:
            for column in columns:
                table[column] = float("nan")
        edit_table(folder, name, edit)
    return change


@pytest.mark.parametrize(("damage", "commands"), [
    # Found by the fuzz suite: all-missing prices made the log scale of the deals plot fail.
    (_empty_column("deals.csv", "price_per_engineer"), ("plot",)),
    (_empty_column("market.csv", "pay_median_researcher", "pay_p90_researcher",
                   "pay_median_engineer", "pay_p90_engineer"), ("plot",)),
], ids=["deal_prices_missing", "pay_missing"])
def test_readable_folders_with_missing_values_are_drawn(runs, tmp_path, damage, commands):
    """Missing numbers are allowed (a tier nobody is employed in has no pay median); the
    plots are drawn with what there is instead of failing on a log scale."""
    folder = copy_run(runs[0], tmp_path / "run")
    add_deals(folder)
    damage(folder)
    for command in commands:
        outcome = run_cli([command, folder], tmp_path)
        assert outcome.status == 0, outcome.err
