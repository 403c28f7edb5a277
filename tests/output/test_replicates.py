"""Replicate folders: the t interval, and paired comparisons by seed."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim import cli
from sim.errors import UserError
from sim.output import stats
from sim.output.effects import FINAL_MONTH
from sim.output.replicates import (
    DIFFERENCE_COLUMNS,
    ReplicateFolder,
    compare_replicates,
    mean_interval,
    paired_differences,
)
from sim.output.stats import t_quantile, t_upper_tail, with_fdr
from sim.scenario import load_scenario
from sim.sweeps.replicates import run_replicates
from tests.conftest import ROOT

ABOVE = "top tier at firms above GPU threshold (%)"


def test_mean_interval_is_scipys_t_interval():
    from scipy import stats  # imported by the tests that compare with it only (1-2 s)

    x = [2.1, 3.4, 1.9, 5.0, 4.2, 3.3]
    mean, sd, low, high = mean_interval(x)
    expected = stats.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))
    assert mean == pytest.approx(np.mean(x))
    assert sd == pytest.approx(np.std(x, ddof=1))
    assert (low, high) == pytest.approx(expected)
    # by hand: t_{0.975, 5} = 2.5706
    assert high - mean == pytest.approx(2.5706 * sd / np.sqrt(6), rel=1e-4)


def test_the_t_quantile_and_tail_are_scipy_stats_t_to_the_last_digit():
    """The intervals and p-values take Student's t from ``scipy.special`` (what
    ``scipy.stats.t`` calls) so that reading replicates does not import ``scipy.stats``:
    the same numbers, compared exactly."""
    from scipy import stats

    for df in [*range(1, 101), 150, 499, 1000, 10**6]:
        for p in (0.5, 0.9, 0.95, 0.975, 0.995, 0.9995, 0.025, 1e-9):
            assert t_quantile(p, df) == stats.t.ppf(p, df), (p, df)
        for t in (0.0, 1e-12, 0.3, 1.0, 1.96, 2.5, 4.0, 12.0, 60.0, -2.0, math.inf):
            assert t_upper_tail(t, df) == stats.t.sf(t, df), (t, df)
    assert t_quantile(0.975, 5) == pytest.approx(2.570582, abs=1e-6)  # a table's value


def test_reading_and_comparing_replicates_does_not_import_scipy_stats():
    """``scipy.stats`` takes one to two seconds to import: the modules of ``talentwar
    run``, ``compare``, ``report`` and ``sweep`` leave it out, their statistics (the
    intervals of replicates and of a sweep's design points) included."""
    code = (
        "import sys\n"
        "import sim.cli, sim.cli.runs, sim.cli.batches, sim.output.replicates\n"
        "import sim.output.report, sim.output.replicate_report, sim.output.compare\n"
        "import sim.sweeps.report, sim.output.plots, sim.model\n"
        "from sim.output.stats import mean_interval, paired_p_value\n"
        "mean_interval([1.0, 2.0, 4.0]); paired_p_value([1.0, 2.0, 4.0])\n"
        "import pandas as pd\n"
        "from sim.sweeps.analysis import point_means\n"
        "point_means(pd.DataFrame({'point': [0, 0, 1], 'm': [1.0, 2.0, 3.0], 'x': [5, 5, 6]}),"
        " 'm', ['x'])\n"
        "print('scipy.stats' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "False"


def test_mean_interval_small_samples():
    assert mean_interval([3.0])[0] == 3.0
    assert np.isnan(mean_interval([3.0])[2])
    assert mean_interval([2.0, 2.0, 2.0])[2:] == (2.0, 2.0)
    assert mean_interval([1.0, np.nan, 3.0])[0] == 2.0


def test_paired_interval_is_scipys_on_the_differences():
    from scipy import stats

    a = np.array([1.0, 2.0, 3.0, 4.0])
    b = np.array([1.5, 2.7, 3.2, 4.9])
    _, _, low, high = mean_interval(b - a)
    d = b - a
    assert (low, high) == pytest.approx(
        stats.t.interval(0.95, 3, loc=d.mean(), scale=stats.sem(d)))
    # the paired t test agrees: the interval excludes 0 exactly when p < 0.05
    assert (low > 0) == (stats.ttest_rel(b, a).pvalue < 0.05)


@pytest.fixture(scope="module")
def folders(two_tier_replicates):
    """Three replicate folders of the two-tier market (3 replicates, 6 months): the base,
    the base again, and a counterfactual with a much higher GPU threshold."""
    return two_tier_replicates


def test_same_scenario_differences_are_indistinguishable_from_zero(folders, tmp_path):
    base, again, _ = folders
    results = compare_replicates([base, again], tmp_path / "cmp")
    (_, table), = results
    assert not table["distinguishable"].any()
    assert (table["mean_difference"] == 0).all()
    assert (table["pairs"] == 3).all()


def test_clear_counterfactual_is_distinguishable(folders, tmp_path):
    base, _, cf = folders
    table = paired_differences(ReplicateFolder.open(base), ReplicateFolder.open(cf))
    row = table.loc[ABOVE]
    assert row["distinguishable"]
    assert row["high"] < 0  # fewer firms are above a much higher threshold
    # the paired difference is the mean of per-seed differences of the replicates' values
    ref = [pd.read_csv(base / f"rep-{i:03d}" / "market.csv")["top_share_above_threshold"]
           .iloc[-1] for i in range(3)]
    oth = [pd.read_csv(cf / f"rep-{i:03d}" / "market.csv")["top_share_above_threshold"]
           .iloc[-1] for i in range(3)]
    assert row["mean_difference"] == pytest.approx(100 * (np.mean(oth) - np.mean(ref)))


def test_cli_compare_of_replicate_folders(folders, tmp_path, capsys):
    base, _, cf = folders
    assert cli.main(["compare", str(base), str(cf), "--out", str(tmp_path / "cmp")]) == 0
    out = capsys.readouterr().out
    assert "95% interval" in out and "(≈ 0)" in out
    saved = pd.read_csv(tmp_path / "cmp" / "differences.csv")
    assert list(saved.columns) == ["run", *DIFFERENCE_COLUMNS]
    assert saved.set_index("measure").loc[ABOVE, "distinguishable"]


def test_compare_refuses_a_mix_and_unpaired_folders(folders, two_tier_runs, tmp_path,
                                                    capsys):
    base, _, _ = folders
    assert cli.main(["compare", str(base), str(two_tier_runs[0]),
                     "--out", str(tmp_path / "x")]) == 2
    assert "replicate folders" in capsys.readouterr().err
    scenario = load_scenario(base.parent / "two_tier.toml", ["months=6"])
    other = run_replicates(scenario, 2, seed=99, out=tmp_path / "other", engineers="none",
                           progress=False)
    with pytest.raises(UserError, match="share 0 replicate seed"):
        compare_replicates([base, other], tmp_path / "y")


def test_paired_means_are_over_the_pairs_as_the_difference_is():
    """reference_mean and other_mean are over the seeds where both sides have the measure,
    so their gap is the mean difference and the % is of the paired reference mean (each
    side was averaged over its own seeds: a gap of 0.725 beside a difference of 0.467)."""
    from sim.output.stats import paired_row

    a = np.array([1.0, 2.0, np.nan, 4.0, 5.0])
    b = np.array([1.3, np.nan, 3.5, 4.9, 5.2])
    row = paired_row(a, b)
    assert row["pairs"] == 3
    assert row["reference_mean"] == pytest.approx(10 / 3)
    assert row["other_mean"] == pytest.approx(11.4 / 3)
    assert row["other_mean"] - row["reference_mean"] == pytest.approx(row["mean_difference"])
    assert row["percent_difference"] == pytest.approx(100 * 1.4 / 10)
    # no pair: each side's own mean, no difference
    lone = paired_row(np.array([1.0, np.nan]), np.array([np.nan, 3.0]))
    assert (lone["reference_mean"], lone["other_mean"], lone["pairs"]) == (1.0, 3.0, 0)
    assert np.isnan(lone["mean_difference"])


def test_a_horizon_that_differs_stays_out_of_the_false_discovery_family(
        folders, tmp_path, monkeypatch):
    # The final month differs by exactly one in every pair (p = 0): a fact of the two
    # scenarios, not an estimate. Inside the Benjamini-Hochberg family it would enlarge it
    # by one p-value ranked first, making every other adjusted p-value smaller.
    base, _, _ = folders
    scenario = load_scenario(base.parent / "two_tier.toml",
                             ["months=5", "compute.threshold=30000"])
    shorter = run_replicates(scenario, 3, out=tmp_path / "short", engineers="none",
                             progress=False)
    families = []
    judge = stats.fdr_verdicts
    monkeypatch.setattr(stats, "fdr_verdicts",
                        lambda p, own, *a: families.append(p) or judge(p, own, *a))
    table = paired_differences(ReplicateFolder.open(base), ReplicateFolder.open(shorter))
    final = table.loc[FINAL_MONTH]
    assert final["mean_difference"] == -1 and final["p_value"] == 0
    assert final["distinguishable"] and final["distinguishable_fdr"]
    rest = table.drop(index=FINAL_MONTH)
    (family,) = families
    np.testing.assert_array_equal(family, rest["p_value"].to_numpy())
    expected = judge(rest["p_value"].to_numpy(), rest["distinguishable"].to_numpy())
    assert (rest["distinguishable_fdr"].to_numpy() == expected).all()


def test_with_fdr_judges_the_family_alone():
    # p = 0.026 and 0.9: alone, 0.026 * 2 = 0.052 is not below 0.05; with a p = 0 ranked
    # first it would be 0.026 * 3 / 2 = 0.039
    table = pd.DataFrame({"p_value": [0.0, 0.026, 0.9],
                          "distinguishable": [True, True, False]})
    assert list(with_fdr(table)["distinguishable_fdr"]) == [True, True, False]
    judged = with_fdr(table, family=np.array([False, True, True]))
    assert list(judged["distinguishable_fdr"]) == [True, False, False]
    outside = with_fdr(table.assign(distinguishable=[False, True, False]),
                       family=np.array([False, True, True]))
    assert not outside["distinguishable_fdr"].iloc[0]  # its own verdict, kept
