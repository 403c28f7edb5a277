"""Two-year retention: ``firms.csv``'s ``stayed_24_months`` counts a hiring cohort's stayers,
and the ``retention`` measure divides them by the cohort's arrivals 24 months before."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim import TalentMarket, load_scenario
from sim import columns as c
from sim.calibration.run_measures import Retention, RunOutputs
from tests.conftest import SCENARIOS

FLAGSHIP = SCENARIOS / "ai_talent_war_2024.toml"


@pytest.fixture(scope="module")
def stepped():
    """The flagship at 4,000 engineers for 30 months, stepped by hand: each month's moves
    (engineer, destination) in order, and the firm records. Over months 1-30 it has job-to-
    job moves, hires from unemployment, layoffs and a deal's transfers (month 6)."""
    spec = load_scenario(FLAGSHIP, ["market.engineers=4000", "months=30"])
    model = TalentMarket(spec, seed=3)
    moves = []
    while model.running:
        model.step()
        m = model.state.log.all_moves()
        moves.append((m.engineer.copy(), m.destination.copy(), m.kind.copy()))
    return model, moves


def test_stayed_24_months_counts_the_arrivals_of_24_months_before_who_never_moved(stepped):
    model, moves = stepped
    firms = model.firm_records
    names = model.firm_names
    tiers = model.state.engineers.tier_names
    kinds_seen = set()
    checked = 0
    for t in range(25, 31):
        # who arrived where in month t - 24 (an engineer's last move that month), and who
        # moved at all in months t - 23 .. t
        engineer, destination, kind = moves[t - 24 - 1]
        kinds_seen |= set(kind[destination >= 0].tolist())
        last = dict(zip(engineer.tolist(), destination.tolist(), strict=True))
        moved_since = set(np.concatenate([moves[m - 1][0] for m in range(t - 23, t + 1)]
                                         ).tolist())
        tier_of = model.state.engineers.tier
        expected = np.zeros((len(names), len(tiers)), dtype=int)
        for i, j in last.items():
            if j >= 0 and i not in moved_since:
                expected[j, tier_of[i]] += 1
        got = (firms[firms[c.MONTH] == t].set_index(c.FIRM)
               .loc[names, [c.per_tier(c.STAYED_24_MONTHS, x) for x in tiers]].to_numpy())
        np.testing.assert_array_equal(got, expected, err_msg=f"month {t}")
        checked += int(expected.sum())
    # the rule binds: the cohorts arrived by hire from unemployment, job to job and a
    # deal's transfer (MoveKind 1, 2, 5), many stayed, and some moved again
    assert {1, 2, 5} <= kinds_seen
    assert checked > 100
    arrivals = sum(int((moves[t - 25][1] >= 0).sum()) for t in range(25, 31))
    assert checked < arrivals


def test_engineers_placed_in_month_0_reach_tenure_24_before_month_25(stepped):
    # ... which is why a retention window starts at month 25: placed with tenure 0-47,
    # some of them have tenure 24 in months 1-24 without having been hired then
    model, _ = stepped
    firms = model.firm_records
    early = firms[(firms[c.MONTH] >= 1) & (firms[c.MONTH] <= 24)][c.STAYED_24_MONTHS]
    assert early.sum() > 0


def test_the_deals_transfers_count_among_the_arrivals(stepped):
    model, moves = stepped
    # month 6: Databricks buys MosaicML; its transferred team are arrivals at Databricks
    _, destination, kind = moves[6 - 1]
    j = model.firm_names.index("Databricks")
    assert ((kind == 5) & (destination == j)).sum() > 0  # MoveKind.DEAL_TRANSFER


def hand_outputs(scenario) -> RunOutputs:
    """Researchers: a firm A with arrivals 10, 20, 40 in months 1-3 and stayers 5, 12, 36
    in months 25-27 (the shares 0.5, 0.6, 0.9), and a firm B arriving and staying
    elsewhere. ML engineers: A's arrivals 100 in month 1, stayers 10 in month 25."""
    flows = pd.DataFrame({
        c.MONTH: [1, 1, 2, 3, 3, 4, 1],
        c.FLOW_SOURCE: ["unemployment", "B", "unemployment", "B", "unemployment", "A",
                        "unemployment"],
        c.FLOW_DESTINATION: ["A", "A", "A", "A", "B", "A", "A"],
        c.FLOW_TIER: ["researcher"] * 6 + ["ml_engineer"],
        c.FLOW_KIND: ["hire_from_unemployment", "job_to_job", "hire_from_unemployment",
                      "deal_transfer", "hire_from_unemployment", "job_to_job",
                      "hire_from_unemployment"],
        c.FLOW_ENGINEERS: [4, 6, 20, 40, 7, 1000, 100],
    })
    stayed = {"researcher": [5, 3, 12, 0, 36, 7, 999], "ml_engineer": [10, 0, 0, 0, 0, 0, 0],
              "software_engineer": [0] * 7}
    firms = pd.DataFrame({
        c.MONTH: [25, 25, 26, 26, 27, 27, 28],
        c.FIRM: ["A", "B"] * 3 + ["A"],
        **{c.per_tier(c.STAYED_24_MONTHS, t): v for t, v in stayed.items()},
    })
    return RunOutputs(scenario, pd.DataFrame(), firms, pd.DataFrame(), flows)


@pytest.mark.parametrize(("tier", "window", "expected"), [
    ("researcher", [25, 27], (5 + 12 + 36) / (10 + 20 + 40)),
    ("researcher", [25, 25], 5 / 10),
    ("researcher", [26, 26], 12 / 20),
    ("researcher", [27, 27], 36 / 40),
    ("ml_engineer", [25, 27], 10 / 100),
    ("ai", [25, 25], (5 + 10) / (10 + 100)),
    (None, [25, 27], (5 + 12 + 36 + 10) / (10 + 20 + 40 + 100)),
])
def test_retention_divides_the_stayers_by_the_arrivals_24_months_before(tier, window,
                                                                        expected):
    scenario = load_scenario(FLAGSHIP)
    out = hand_outputs(scenario)
    measure = Retention(kind="retention", firm="A", tier=tier, window=window)
    assert measure.value(out) == pytest.approx(expected)


def test_retention_of_a_window_with_no_arrivals_is_undefined():
    out = hand_outputs(load_scenario(FLAGSHIP))
    assert math.isnan(Retention(kind="retention", firm="A", window=[29, 30]).value(out))


def test_the_firm_records_split_the_stayers_by_tier(stepped):
    model, _ = stepped
    firms = model.firm_records
    per_tier = [c.per_tier(c.STAYED_24_MONTHS, t) for t in model.state.engineers.tier_names]
    np.testing.assert_array_equal(firms[per_tier].sum(axis=1), firms[c.STAYED_24_MONTHS])
    assert (firms[per_tier].sum() > 0).sum() >= 2  # more than one tier has stayers


def test_a_retention_window_before_month_25_is_refused_before_any_run(tmp_path):
    from sim.calibration.run import plan_calibration
    from sim.errors import UserError

    base = FLAGSHIP.resolve()
    path = tmp_path / "early.toml"
    path.write_text(f"""
base = "{base}"
[[parameters]]
key = "firm_defaults.raise_rate"
min = 0.0
max = 0.1
[[moments]]
name = "retention_early"
target = 0.7
se = 0.05
source = "synthetic"
measure = {{ kind = "retention", firm = "OpenAI", window = ["2024-12", "2025-02"] }}
""", encoding="utf-8")
    with pytest.raises(UserError, match=r"moments\[0\].*'2024-12' \(model month 24\) is "
                                        r"before model month 25"):
        plan_calibration(path)
    path.write_text(path.read_text(encoding="utf-8").replace("2024-12", "2025-01"),
                    encoding="utf-8")
    plan_calibration(path)  # month 25: accepted
    text = path.read_text(encoding="utf-8")
    retention = ('{ kind = "retention", firm = "OpenAI", window = ["2025-01", "2025-02"] }')
    # in a composite, each part keeps its own earliest month: an early window of another
    # measure beside a retention is fine...
    ratio = ('{ kind = "ratio", numerator = ' + retention + ', denominator = { kind = '
             '"unemployment_rate", window = ["2023-03", "2023-04"] } }')
    measure_line = next(line for line in text.splitlines() if line.startswith("measure"))
    path.write_text(text.replace(measure_line, f"measure = {ratio}"), encoding="utf-8")
    plan_calibration(path)
    # ... a retention's early window inside it is not, nor a window out of order
    for inner, message in ((retention.replace("2025-01", "2024-06"), "before model month 25"),
                           (retention.replace('"2025-01", "2025-02"', '"2025-03", "2025-02"'),
                            r"measure\.window: expected \[first, last\]")):
        mean = '{ kind = "mean", of = [' + retention + ", " + inner + "] }"
        path.write_text(text.replace(measure_line, f"measure = {mean}"), encoding="utf-8")
        with pytest.raises(UserError, match=message):
            plan_calibration(path)


def test_a_mean_of_measures_averages_them_and_keeps_their_checks():
    from sim.calibration.moments import Mean

    out = hand_outputs(load_scenario(FLAGSHIP))
    parts = [{"kind": "retention", "firm": "A", "tier": "researcher", "window": [25, 25]},
             {"kind": "retention", "firm": "A", "tier": "researcher", "window": [27, 27]},
             {"kind": "retention", "firm": "A", "tier": "ml_engineer", "window": [25, 25]}]
    mean = Mean.model_validate({"kind": "mean", "of": parts})
    assert mean.value(out) == pytest.approx((0.5 + 0.9 + 0.1) / 3)
    assert [m.earliest_month() for m in mean.leaves()] == [25] * 3
    assert mean.firms_used() == ["A"] * 3
    assert mean.tiers_used() == ["researcher", "researcher", "ml_engineer"]
    undefined = Mean.model_validate({"kind": "mean", "of": [parts[0], {
        "kind": "retention", "firm": "A", "window": [29, 30]}]})
    assert math.isnan(undefined.value(out))
    with pytest.raises(ValueError, match="at least 2"):
        Mean.model_validate({"kind": "mean", "of": parts[:1]})
