"""Answers by firm and effects you can see: firm-level paired differences, deal teams,
effects over time, Benjamini–Hochberg verdicts and the summary of a comparison of
replicate folders."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pandas as pd
import pytest

from sim import cli
from sim.output import replicates
from sim.output.effects import TOP_SHARE_PREFIX
from sim.output.stats import (
    benjamini_hochberg,
    fdr_verdicts,
    mean_interval,
    paired_p_value,
    paired_row,
)
from tests.output.folders import run_cli

REPS = [f"rep-{i:03d}" for i in range(3)]

# --------------------------------------------------------------------------- statistics


def test_benjamini_hochberg_matches_a_hand_computation():
    from scipy import stats  # imported by the tests that compare with it only (1-2 s)

    p = np.array([0.01, 0.045, 0.028, 0.004, math.nan, 0.2])
    # m = 5 known; sorted 0.004, 0.01, 0.028, 0.045, 0.2 scaled by m/k:
    # 0.02, 0.025, 0.04667, 0.05625, 0.2 (already increasing, so no running minimum binds)
    expected = [0.025, 0.05625, 0.028 * 5 / 3, 0.02, math.nan, 0.2]
    np.testing.assert_allclose(benjamini_hochberg(p), expected, rtol=1e-12)
    # the running minimum binds: 0.04 * 4/3 > 0.042 * 4/4
    np.testing.assert_allclose(benjamini_hochberg([0.001, 0.04, 0.041, 0.042]),
                               [0.004, 0.042, 0.042, 0.042], rtol=1e-12)
    # scipy's implementation agrees on the known values
    known = p[~np.isnan(p)]
    np.testing.assert_allclose(benjamini_hochberg(known),
                               stats.false_discovery_control(known), rtol=1e-12)
    # at 5%: the three smallest are rejected (p_(3) = 0.028 <= 3 x 0.05 / 5), 0.045 is not
    # although its own test rejects
    verdict = fdr_verdicts(p, p < 0.05)
    assert verdict.tolist() == [True, False, True, True, False, False]


def test_benjamini_hochberg_is_never_more_permissive_than_each_measure():
    rng = np.random.default_rng(20)
    for _ in range(300):
        m = int(rng.integers(1, 30))
        p = rng.uniform(0, 0.2, m) ** rng.uniform(0.5, 3)
        own = p < 0.05
        fdr = fdr_verdicts(p, own)
        assert not np.any(fdr & ~own)
        # with one measure, the two verdicts are the same
        assert fdr_verdicts(p[:1], own[:1])[0] == own[0]
    # a measure whose own interval holds 0 never differs after BH, whatever its p-value
    assert not fdr_verdicts([0.001], [False])[0]


def test_paired_p_value_is_the_paired_t_test_and_agrees_with_the_interval():
    from scipy import stats

    rng = np.random.default_rng(3)
    for _ in range(200):
        d = rng.normal(rng.uniform(-1, 1), 1, int(rng.integers(2, 12)))
        p = paired_p_value(d)
        assert p == pytest.approx(stats.ttest_1samp(d, 0).pvalue, rel=1e-9)
        _, _, low, high = mean_interval(d)
        assert (p < 0.05) == (low > 0 or high < 0)
    assert math.isnan(paired_p_value([0.0, 0.0, 0.0]))
    assert paired_p_value([2.0, 2.0, 2.0]) == 0.0
    row = paired_row(np.array([10.0, 20.0, 30.0]), np.array([11.0, 22.0, 33.0]))
    assert row["mean_difference"] == pytest.approx(2.0)
    assert row["percent_difference"] == pytest.approx(10.0)  # 2 of a reference mean of 20


# --------------------------------------------------------------------------- by firm


@pytest.fixture(scope="module")
def compare_command(deal_replicates, tmp_path_factory):
    """``talentwar compare`` of the deal done (reference) and blocked, into a folder: the
    two folders, the output folder, the comparison the command made and what it printed."""
    done, blocked = deal_replicates
    root = tmp_path_factory.mktemp("firm-cmp")
    out = root / "cmp"
    made = []
    real = replicates.compare_replicate_folders

    def spy(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(replicates, "compare_replicate_folders", spy)
        outcome = run_cli(["compare", done, blocked, "--out", out], root)
    assert outcome.status == 0, outcome.err
    [(result,)] = made
    return done, blocked, out, result, outcome.out


@pytest.fixture(scope="module")
def compared(compare_command):
    """The comparison of the deal done (reference) and blocked, written to a folder."""
    return compare_command[:4]


def final_firms(folder, rep):
    firms = pd.read_csv(folder / rep / "firms.csv")
    return firms[firms["month"] == firms["month"].max()].set_index("firm")


def test_a_blocked_acquisition_keeps_the_target_and_shrinks_the_buyer(compared):
    _, _, out, _ = compared
    table = pd.read_csv(out / "firm_differences.csv").set_index(["firm", "tier", "measure"])
    gamma = table.loc[("Gamma", "researcher", "headcount")]
    assert gamma["reference_mean"] == 0  # acquired: nobody left
    assert gamma["mean_difference"] > 0 and gamma["low"] > 0
    assert gamma["distinguishable"] and gamma["distinguishable_fdr"]
    alpha = table.loc[("Alpha", "engineer", "share of the tier (%)")]
    assert alpha["mean_difference"] < 0 and alpha["high"] < 0
    # the acquired team moved to Alpha (a deal transfer between named firms)
    moves = table.loc[("Gamma", "engineer", "moves to named firms")]
    assert moves["high"] < 0


def test_the_csv_difference_is_the_mean_of_per_pair_differences_of_firms_csv(compared):
    done, blocked, out, _ = compared
    table = pd.read_csv(out / "firm_differences.csv").set_index(["firm", "tier", "measure"])
    for firm, tier in (("Gamma", "researcher"), ("Alpha", "engineer"), ("Beta", "researcher")):
        pairs = [final_firms(blocked, r).loc[firm, f"headcount_{tier}"]
                 - final_firms(done, r).loc[firm, f"headcount_{tier}"] for r in REPS]
        row = table.loc[(firm, tier, "headcount")]
        assert row["mean_difference"] == pytest.approx(np.mean(pairs))
        assert (row["low"], row["high"]) == pytest.approx(mean_interval(pairs)[2:])
        hires = []
        for folder in (done, blocked):
            for r in REPS:
                firms = pd.read_csv(folder / r / "firms.csv")
                hires.append(firms.loc[firms["firm"] == firm, f"hires_{tier}"].sum())
        assert table.loc[(firm, tier, "hires")]["mean_difference"] == pytest.approx(
            np.mean(hires[3:]) - np.mean(hires[:3]))
    # a market without generated firms has no row for them
    assert "generated firms" not in table.index.get_level_values("firm")


def test_shares_of_a_tier_add_up_to_100_in_every_replicate(compared):
    _, _, out, _ = compared
    values = pd.read_csv(out / "firm_measures.csv")
    shares = values[values["measure"] == "share of the tier (%)"]
    totals = shares.groupby(["folder", "seed", "tier"])["value"].sum()
    assert len(totals) == 2 * 3 * 2
    assert totals.to_numpy() == pytest.approx(100.0)


def test_the_bh_verdict_of_the_tables_is_never_more_permissive(compared):
    _, _, out, _ = compared
    for name in ("firm_differences.csv", "differences.csv"):
        table = pd.read_csv(out / name)
        assert not (table["distinguishable_fdr"] & ~table["distinguishable"]).any()
        assert table["distinguishable_fdr"].any()
        tested = table["p_value"].notna()
        adjusted = benjamini_hochberg(table.loc[tested, "p_value"])
        assert (table.loc[tested, "distinguishable_fdr"].to_numpy()
                == ((adjusted < 0.05) & table.loc[tested, "distinguishable"].to_numpy())).all()


def test_deal_teams_say_where_the_targets_engineers_work_at_the_end(compared):
    done, blocked, out, _ = compared
    teams = pd.read_csv(out / "deal_team_differences.csv")
    assert set(teams["target"]) == {"Gamma"}
    assert set(teams["reference_outcome"]) == {"acquisition in 3 of 3"}
    assert set(teams["other_outcome"]) == {"blocked in 3 of 3"}
    rows = teams.set_index(["tier", "firm_at_end"])
    for tier, place in (("researcher", "Alpha"), ("engineer", "Gamma"), ("engineer", "Beta")):
        counts = []
        for folder in (done, blocked):
            per_rep = []
            for r in REPS:
                raw = pd.read_csv(folder / r / "deal_teams.csv")
                per_rep.append(raw[(raw["tier"] == tier) & (raw["firm_at_end"] == place)]
                               ["engineers"].sum())
            counts.append(per_rep)
        row = rows.loc[(tier, place)]
        assert row["reference_mean"] == pytest.approx(np.mean(counts[0]))
        assert row["other_mean"] == pytest.approx(np.mean(counts[1]))
        assert row["mean_difference"] == pytest.approx(np.mean(counts[1]) - np.mean(counts[0]))
    # done: the team is mostly at the buyer; blocked: mostly still at the target
    assert rows.loc[("researcher", "Alpha"), "high"] < 0
    assert rows.loc[("engineer", "Gamma"), "low"] > 0


def test_effects_over_time_start_at_zero_and_end_at_the_firm_difference(compared):
    _, _, out, result = compared
    effects = pd.read_csv(out / "effects_over_time.csv")
    gamma = effects[effects["measure"] == f"{TOP_SHARE_PREFIX}Gamma (%)"].set_index("month")
    assert gamma.loc[0, ["mean_difference", "low", "high"]].tolist() == [0, 0, 0]
    # before the deal (month 2) Gamma is the same in both; after it, blocked keeps it
    assert gamma.loc[1, "mean_difference"] == 0
    assert gamma.loc[6, "low"] > 0
    firm = result.firms.set_index(["firm", "tier", "measure"]).loc[
        ("Gamma", "researcher", "share of the tier (%)")]
    assert gamma.loc[6, "mean_difference"] == pytest.approx(firm["mean_difference"])
    unemployment = effects[effects["measure"] == "unemployment rate (%)"]
    assert set(unemployment["month"]) == set(range(7))
    for png in ("compare_firm_shares", "compare_effects_market", "compare_effects_top_share",
                "compare_effects_percent", "compare_replicate_bands"):
        assert (out / f"{png}.png").read_bytes().startswith(b"\x89PNG")


def test_compare_prints_a_three_line_summary_first(compare_command):
    *_, out, _, printed = compare_command
    lines = printed.splitlines()
    assert lines[0].endswith("3 replicates paired by seed:")
    changed, by_firm, same = lines[1:4]
    assert changed.strip().startswith("Changed (95% interval excludes 0, false discovery")
    assert "deals blocked (total over run) +1 [1, 1]" in changed
    assert by_firm.strip().startswith("By firm (") and "Gamma share of" in by_firm
    assert same.strip().startswith("Not distinguishable from 0: ")
    text = "\n".join(lines)
    assert "verdict" in text and "Δ % of ref" in text and "Benjamini–Hochberg" in text
    for name in ("firm_differences.csv", "deal_team_differences.csv",
                 "effects_over_time.csv", "compare_firm_shares.png"):
        assert str(out / name) in lines


def test_a_damaged_deal_teams_table_is_refused_before_anything_is_written(deal_replicates,
                                                                          tmp_path, capsys):
    done, blocked = (shutil.copytree(f, tmp_path / f.name) for f in deal_replicates)
    path = blocked / "rep-001" / "deal_teams.csv"
    lines = path.read_text().splitlines()
    lines[1] = ",".join([*lines[1].split(",")[:-1], "many"])
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "cmp"
    assert cli.main(["compare", str(done), str(blocked), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: column engineers: expected" in err and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".cmp*"))


def test_one_pair_alone_is_never_called_distinguishable():
    # A measure known in one pair only (a firm with nobody of the tier in the other seeds)
    # has no interval; two or more equal differences have a zero-width one.
    one = paired_row(np.array([1.0, np.nan, 2.0]), np.array([3.0, 5.0, np.nan]))
    assert one["pairs"] == 1 and not one["distinguishable"] and math.isnan(one["low"])
    equal = paired_row(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    assert equal["distinguishable"] and equal["low"] == equal["high"] == 2.0
