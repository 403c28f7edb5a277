"""``talentwar compare``: shared-axes plots and the end-of-horizon difference table."""

from __future__ import annotations

import shutil
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from sim import cli
from sim.errors import UserError
from sim.output import compare as compare_module
from sim.output.compare import (
    DIFF_PREFIX,
    compare_runs,
    default_compare_dir,
    format_table,
    load_runs,
)
from tests.conftest import TWO_TIER_SCENARIO

SCENARIO = TWO_TIER_SCENARIO

BASE_PLOTS = {"compare_pay_by_tier.png", "compare_top_share_by_firm.png", "compare_rates.png",
              "compare_deals_layoffs.png"}


@pytest.fixture(scope="module")
def runs(two_tier_runs) -> tuple[Path, Path]:
    """Two tiny runs of a two-tier market: seed 1, and seed 2 with a higher GPU threshold."""
    return two_tier_runs[:2]


@pytest.fixture(scope="module")
def comparison(runs, tmp_path_factory) -> tuple[pd.DataFrame, list[Path], Path]:
    """``compare_runs`` of the two runs, done once: its table, the plots it returned and
    the folder it wrote (read, never changed, by the tests)."""
    out = tmp_path_factory.mktemp("compare") / "cmp"
    table, pngs = compare_runs(list(runs), out)
    return table, pngs, out


def final(run: Path, column: str) -> float:
    return float(pd.read_csv(run / "market.csv")[column].iloc[-1])


MEASURES = {  # table row -> (market column, scale)
    "unemployment rate (%)": ("unemployment_rate", 100.0),
    "employed (engineers)": ("employed", 1.0),
    "AI / non-AI median pay (ratio)": ("ai_pay_ratio", 1.0),
    "median pay, researcher ($ a year)": ("pay_median_researcher", 1.0),
    "median pay, engineer ($ a year)": ("pay_median_engineer", 1.0),
    "top tier at firms above GPU threshold (%)": ("top_share_above_threshold", 100.0),
    "HHI of top tier (0-10,000)": ("top_hhi", 1.0),
    "HHI of all engineers (0-10,000)": ("hhi", 1.0),
}


def test_difference_table_is_final_values_and_b_minus_a(runs, comparison):
    a, b = runs
    table, _, out = comparison
    label_a, label_b, diff = table.columns
    assert label_a == "two_tier_test seed 1"
    assert label_b == "two_tier_test seed 2"
    assert diff == f"{DIFF_PREFIX}{label_b}"
    for row, (column, scale) in MEASURES.items():
        va, vb = scale * final(a, column), scale * final(b, column)
        assert table.loc[row, label_a] == pytest.approx(va), row
        assert table.loc[row, label_b] == pytest.approx(vb), row
        assert table.loc[row, diff] == pytest.approx(vb - va), row
    # The runs differ in their threshold, so this comparison is not vacuous.
    assert table.loc["top tier at firms above GPU threshold (%)", diff] != 0
    # The model's deal and layoff columns are compared too.
    assert any("deal" in row for row in table.index)
    assert any("layoff" in row for row in table.index)
    saved = pd.read_csv(out / "differences.csv", index_col="measure")
    pd.testing.assert_frame_equal(saved, table, check_names=False)


def test_plots_are_written_and_not_blank(comparison):
    _, pngs, out = comparison
    assert {p.name for p in pngs} == BASE_PLOTS
    assert {p.name for p in out.glob("*.png")} == BASE_PLOTS
    for path in pngs:
        image = mpimg.imread(path)
        assert image.shape[0] > 200 and image.shape[1] > 400
        assert np.std(image[..., :3]) > 0.01, f"{path.name} looks blank"


def add_future_columns(run: Path, dest: Path, seed: int) -> Path:
    """Copy a run and add the deals/layoffs/counter-offer columns of newer models."""
    shutil.copytree(run, dest)
    market = pd.read_csv(dest / "market.csv")
    rng = np.random.default_rng(seed)
    n = len(market)
    market["deals"] = rng.integers(0, 3, n)
    market["deals_blocked"] = rng.integers(0, 2, n)
    market["layoffs_researcher"] = rng.integers(0, 5, n)
    market["layoffs_engineer"] = rng.integers(0, 20, n)
    market["layoffs"] = market["layoffs_researcher"] + market["layoffs_engineer"]
    market["counter_offers"] = rng.integers(0, 10, n)
    market["counter_offers_accepted"] = rng.integers(0, 5, n)
    market.to_csv(dest / "market.csv", index=False)
    pd.DataFrame({
        "month": [2, 5, 7], "buyer": ["BigCo", "Lab", "BigCo"],
        "target": ["firm01", "firm02", "firm03"], "form": ["acquisition", "licence", "acqui"],
        "price": [1e9, 5e8, 2e9], "licence_fee": [0.0, 5e8, 0.0],
        "engineers_moved": [40, 25, 60], "left_after": [3, 1, 0],
        "price_per_engineer": [2.5e7, 2e7, 3.3e7], "premium": [0.2, 0.1, 0.3],
        "blocked": [False, False, True], "reason": ["", "", "antitrust"],
    }).to_csv(dest / "deals.csv", index=False)
    return dest


def test_new_model_columns_are_plotted_and_tabulated(runs, tmp_path):
    a = add_future_columns(runs[0], tmp_path / "a", 1)
    b = add_future_columns(runs[1], tmp_path / "b", 2)
    table, pngs = compare_runs([a, b], tmp_path / "cmp")
    assert {p.name for p in pngs} == BASE_PLOTS | {"compare_deals_layoffs.png"}
    label_a, _, diff = table.columns
    ma, mb = pd.read_csv(a / "market.csv"), pd.read_csv(b / "market.csv")
    for row, column in [("deals (total over run)", "deals"),
                        ("deals blocked (total over run)", "deals_blocked"),
                        ("layoffs (total over run)", "layoffs"),
                        ("layoffs, engineer (total over run)", "layoffs_engineer"),
                        ("counter-offers accepted (total over run)",
                         "counter_offers_accepted")]:
        assert table.loc[row, label_a] == ma[column].sum()
        assert table.loc[row, diff] == mb[column].sum() - ma[column].sum()
    assert table.loc["engineers moved in deals (total)", label_a] == 40 + 25  # blocked excluded


def test_labels_are_disambiguated(runs, tmp_path):
    a = runs[0]
    for parent in ("x", "y"):
        (tmp_path / parent).mkdir()
        shutil.copytree(a, tmp_path / parent / "same")
    shutil.copytree(a, tmp_path / "copy")
    labelled = load_runs([a, tmp_path / "copy", tmp_path / "x" / "same", tmp_path / "y" / "same"])
    labels = [r.label for r in labelled]
    assert len(set(labels)) == 4
    assert labels[0] == "two_tier_test seed 1 (a)"
    assert labels[1] == "two_tier_test seed 1 (copy)"
    assert labels[2:] == ["two_tier_test seed 1 (same) #1", "two_tier_test seed 1 (same) #2"]


def test_format_table_aligns_and_signs(comparison):
    table, _, _ = comparison
    text = format_table(table)
    lines = text.splitlines()
    assert lines[0].split()[0] == "measure"
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert len(lines) == 2 + len(table)
    # Every number column ends at the same place on every line (right-aligned).
    ends = {len(line) for line in lines[2:] if not line.endswith("n/a")}
    assert len(ends) == 1
    diff_row = lines[2 + list(table.index).index("employed (engineers)")]
    change = table.loc["employed (engineers)"].iloc[-1]
    assert diff_row.endswith(f"{change:+,.0f}" if change else "0")


def test_bad_input_is_a_user_error(runs, tmp_path):
    a, _ = runs
    with pytest.raises(UserError, match="at least 2 run folders"):
        compare_runs([a], tmp_path / "cmp")
    with pytest.raises(UserError, match="not a run folder"):
        compare_runs([a, tmp_path], tmp_path / "cmp")
    with pytest.raises(UserError, match="no such folder"):
        compare_runs([a, tmp_path / "missing"], tmp_path / "cmp")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UserError) as raised:
        compare_runs(list(runs), blocker / "cmp")
    assert raised.value.option == "out"


def test_cli_prints_table_and_exits_2_on_bad_input(runs, tmp_path, monkeypatch, capsys):
    a, b = runs
    assert cli.main(["compare", str(a), str(b), "--out", str(tmp_path / "cmp")]) == 0
    out = capsys.readouterr().out
    assert "two_tier_test seed 1" in out and f"{DIFF_PREFIX}two_tier_test seed 2" in out
    assert "unemployment rate (%)" in out
    assert str(tmp_path / "cmp" / "compare_rates.png") in out
    assert cli.main(["compare", str(a), "--out", str(tmp_path / "c2")]) == 2
    assert "at least 2 run folders" in capsys.readouterr().err
    assert cli.main(["compare", str(a), str(tmp_path), "--out", str(tmp_path / "c3")]) == 2
    assert "not a run folder" in capsys.readouterr().err


def test_comparisons_made_in_the_same_second_get_folders_of_their_own(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(compare_module, "stamp", lambda: "20240501-120000")
    first = default_compare_dir()
    assert first == Path("results/compare/20240501-120000")
    first.mkdir(parents=True)
    second = default_compare_dir()
    assert second == Path("results/compare/20240501-120000-2")
    second.mkdir()
    assert default_compare_dir() == Path("results/compare/20240501-120000-3")


def test_a_run_without_deals_counts_none(runs, tmp_path):
    """A run whose deals.csv has no rows moved 0 engineers in deals for $0: in a paired
    comparison its seed counts 0, not a missing value (the seed was dropped from the pair,
    so the difference covered only the seeds with deals)."""
    from sim.output.compare import key_measures
    from sim.output.rundir import RunFolder

    run = Path(shutil.copytree(runs[0], tmp_path / "nodeals"))
    header = (run / "deals.csv").read_text().splitlines()[0]
    (run / "deals.csv").write_text(header + "\n")
    measures = key_measures(RunFolder.open(run))
    assert measures["engineers moved in deals (total)"] == 0.0
    assert measures["deal value ($, total)"] == 0.0
