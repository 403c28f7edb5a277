"""Moments measured as their sources define them: quartiles, a firm's quantile, bounds from
quotes, standard errors from the data, J as a distance, and docs/calibration.md's table of
what each source and the model measure."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest

from sim import columns as c
from sim import load_scenario
from sim.calibration.inference import inference
from sim.calibration.markdown import calibration_markdown
from sim.calibration.moments import describe
from sim.calibration.objective import deviations, objective, objective_kind
from sim.calibration.run import plan_calibration
from sim.calibration.run_measures import FirmPayQuantile, PayQuantile, RunOutputs
from sim.calibration.spec import parse_calibration, read_calibration_file
from sim.errors import UserError
from sim.market.payorder import linear_quantiles
from tests.calibration.common import ROOT, TEXTBOOK

FLAGSHIP_FILE = ROOT / "scenarios" / "calibration" / "ai_talent_war_2024.toml"
DOCS = ROOT / "docs" / "calibration.md"


@pytest.fixture(scope="module")
def flagship_scenario():
    return load_scenario(ROOT / "scenarios" / "ai_talent_war_2024.toml")


# ------------------------------------------------------------- quartiles, not the 90th

def hand_market(pays_by_month: list[np.ndarray], tier: str = "ml_engineer") -> pd.DataFrame:
    """market.csv rows whose pay quantile columns are those of the given pay, as the model
    computes them (numpy's linear quantile of the sorted pay)."""
    rows = []
    for month, pay in enumerate(pays_by_month, start=1):
        values = linear_quantiles(np.sort(pay), np.array(list(c.PAY_QUANTILES.values())))
        row = {c.MONTH: month}
        row.update({c.pay_column(label, tier): v
                    for label, v in zip(c.PAY_QUANTILES, values, strict=True)})
        rows.append(row)
    return pd.DataFrame(rows)


def test_the_75th_percentile_is_read_where_the_source_reports_the_75th(flagship_scenario):
    # eleven ML engineers paid 100k..200k (steps of 10k) then a long tail: p75 = 175k and
    # p90 = 190k + ... differ, and the moment at q = 0.75 is the 75th, not the 90th.
    month1 = np.array([100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 900]) * 1e3
    month2 = month1 + 20e3
    market = hand_market([month1, month2])
    out = RunOutputs(flagship_scenario, market, pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    p75 = PayQuantile(kind="pay_quantile", tier="ml_engineer", q=0.75, window=[1, 2])
    p25 = PayQuantile(kind="pay_quantile", tier="ml_engineer", q=0.25, window=[1, 2])
    p90 = PayQuantile(kind="pay_quantile", tier="ml_engineer", q=0.9, window=[1, 2])
    # numpy's linear quantile of 11 values: h = 10 q -> p25 the 3rd-4th, p75 the 8th-9th
    assert p25.value(out) == pytest.approx((125e3 + 145e3) / 2)
    assert p75.value(out) == pytest.approx((175e3 + 195e3) / 2)
    assert p90.value(out) == pytest.approx((190e3 + 210e3) / 2)
    assert p75.value(out) != p90.value(out)


def test_the_glassdoor_range_is_fitted_as_its_quartiles():
    spec, _ = read_calibration_file(FLAGSHIP_FILE)
    by_name = {m.name: m for m in spec.moments}
    low, high = by_name["ml_p25_pay_2024"], by_name["ml_p75_pay_2024"]
    assert (low.measure.q, low.target) == (0.25, 130_000)
    assert (high.measure.q, high.target) == (0.75, 240_000)
    # no fitted moment reads a percentile off a quote: quotes are bounds
    for m in spec.fitted:
        if "quote" in m.source.lower() or "up to" in m.source.lower():
            assert m.bound != "equal", m.name


def test_moments_the_model_gives_by_construction_or_on_another_population_are_not_fitted():
    spec, _ = read_calibration_file(FLAGSHIP_FILE)
    kinds = {m.measure.kind for m in spec.moments}
    assert "top_share_above_threshold" not in kinds   # a quote, ~0.96 by construction
    names = json.dumps([m.measure.model_dump() for m in spec.moments])
    assert "firms_laying_off" not in names           # layoffs.fyi's companies vs 56 firms


# ------------------------------------------------------------------ one firm's quantile

def test_a_firm_pay_quantile_reads_that_firm_and_skips_months_without_anyone(
        flagship_scenario):
    col = c.pay_column("median", "researcher")
    firms = pd.DataFrame({
        c.MONTH: [1, 1, 2, 2, 3, 3],
        c.FIRM: ["Meta", "OpenAI"] * 3,
        col: [1.0e6, 9.0e6, 2.0e6, 9.0e6, np.nan, 9.0e6],
    })
    out = RunOutputs(flagship_scenario, pd.DataFrame(), firms, pd.DataFrame(), pd.DataFrame())
    meta = FirmPayQuantile(kind="firm_pay_quantile", firm="Meta", tier="researcher",
                           window=[1, 3])
    assert meta.value(out) == pytest.approx(1.5e6)  # month 3 has no researcher at Meta
    nobody = FirmPayQuantile(kind="firm_pay_quantile", firm="Meta", tier="researcher",
                             window=[3, 3])
    assert math.isnan(nobody.value(out))
    with pytest.raises(ValueError, match=r"0\.5 or 0\.9"):
        FirmPayQuantile(kind="firm_pay_quantile", firm="Meta", tier="researcher", q=0.75,
                        window=[1, 3])


def test_a_moment_naming_an_unknown_firm_is_refused_before_any_run(tmp_path):
    text = FLAGSHIP_FILE.read_text(encoding="utf-8").replace('firm = "Meta"', 'firm = "Metta"')
    base = (FLAGSHIP_FILE.parent / "../ai_talent_war_2024.toml").resolve()
    text = text.replace('base = "../ai_talent_war_2024.toml"', f'base = "{base}"')
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError, match=r"moments\[3\].*no firm 'Metta'"):
        plan_calibration(path)


# ---------------------------------------------------------------------- bounds from quotes

def spec_with(moments: list[dict], parameters: list[dict] | None = None, **estimator):
    parameters = parameters or [{"key": "tiers.engineer.separation", "min": 0.005,
                                 "max": 0.08}]
    for m in moments:
        m.setdefault("measure", {"kind": "job_to_job_rate", "window": [1, 3]})
        m.setdefault("source", "synthetic")
    return parse_calibration({"base": str(TEXTBOOK), "parameters": parameters,
                              "moments": moments,
                              "estimator": {"replicates": 2, **estimator}}, "test")


def test_a_bound_costs_nothing_while_kept_and_its_distance_beyond_it():
    spec = spec_with([{"name": "floor", "target": 5.0, "bound": "at_least", "se": 2.0},
                      {"name": "ceiling", "target": 10.0, "bound": "at_most", "se": 2.0},
                      {"name": "point", "target": 1.0, "se": 1.0}])
    # kept: inside [5, 10] and the point met
    assert deviations(spec, np.array([7.0, 7.0, 1.0])).tolist() == [0.0, 0.0, 0.0]
    # broken: 3 below the floor (-2), 12 above the ceiling (+2), point off by 0.5
    g = deviations(spec, np.array([3.0, 12.0, 1.5]))
    assert g.tolist() == [-2.0, 2.0, 0.5]
    runs = np.array([[3.0, 12.0, 1.5], [3.0, 12.0, 1.5]])
    assert objective(spec, runs, [0.02]) == pytest.approx((2 / 2) ** 2 + (2 / 2) ** 2 + 0.25)


def test_a_bound_the_estimate_keeps_pins_nothing_down():
    # two parameters; a moves only the bound (kept at the estimate), b the point moment:
    # a is not identified, b is, and b's SE is the equality's alone.
    params = [{"key": "tiers.engineer.separation", "min": 0.0, "max": 1.0},
              {"key": "tiers.engineer.search_employed", "min": 0.0, "max": 1.0}]
    spec = spec_with([{"name": "ceiling", "target": 10.0, "bound": "at_most", "se": 1.0},
                      {"name": "point", "target": 1.0, "se": 1.0},
                      {"name": "point2", "target": 1.0, "se": 1.0}], params)
    g_all = np.array([[50.0, 0.0], [0.0, 20.0], [0.0, 0.0]])
    kept = inference(spec, [0.5, 0.5], g_all, means=np.array([5.0, 1.0, 1.0]))
    assert kept.identified.tolist() == [False, True]
    assert kept.se[1] == pytest.approx(math.sqrt(1.5) / 20.0)
    # the same moment beyond its bound binds: it counts as an equality, and a is identified
    broken = inference(spec, [0.5, 0.5], g_all, means=np.array([12.0, 1.0, 1.0]))
    assert broken.identified.tolist() == [True, True]
    assert broken.se[0] == pytest.approx(math.sqrt(1.5) / 50.0)


# ------------------------------------------------------------------- Ω from the data

def test_standard_errors_from_the_data_follow_their_formulas():
    spec = spec_with([
        {"name": "share", "target": 0.2, "sampling": {"kind": "binomial", "n": 400}},
        {"name": "counts", "target": 542 / 1186,
         "sampling": {"kind": "poisson_ratio", "numerator": 542, "denominator": 1186}},
        {"name": "months", "target": 0.01475,
         "sampling": {"kind": "mean_of", "values": [0.017, 0.017, 0.013, 0.012]}},
        {"name": "judged", "target": 1.0, "se": 0.3},
    ])
    share, counts, months, judged = spec.moments
    assert share.sd == pytest.approx(math.sqrt(0.2 * 0.8 / 400))        # 0.02
    assert counts.sd == pytest.approx(542 / 1186 * math.sqrt(1 / 542 + 1 / 1186))
    assert months.sd == pytest.approx(np.std([0.017, 0.017, 0.013, 0.012], ddof=1) / 2)
    assert [m.se_basis for m in spec.moments] == ["data", "data", "data", "judgement"]
    assert judged.sd == 0.3


@pytest.mark.parametrize("moment, message", [
    ({"target": 1.0}, "exactly one of them"),
    ({"target": 1.0, "se": 0.1, "sampling": {"kind": "binomial", "n": 10}},
     "exactly one of them"),
    ({"target": 0.02, "sampling": {"kind": "mean_of", "values": [0.01, 0.02]}},
     "must be the mean of the values"),
    ({"target": 1.5, "sampling": {"kind": "binomial", "n": 10}}, r"target in \[0, 1\]"),
])
def test_a_standard_error_given_twice_never_or_inconsistently_is_refused(moment, message):
    with pytest.raises(UserError, match=message):
        spec_with([{"name": "m", **moment}])


def test_j_is_reported_as_a_distance_never_a_test():
    judged = spec_with([{"name": "m", "target": 1.0, "se": 0.1}])
    assert objective_kind(judged).startswith("distance, not a test (no p-value)")
    assert "1 of 1 fitted SEs are judgements" in objective_kind(judged)
    data = spec_with([{"name": "m", "target": 0.2, "sampling": {"kind": "binomial", "n": 9}}])
    assert "judgement" not in objective_kind(data)
    assert objective_kind(data).startswith("distance, not a test (no p-value)")
    # the kept flagship folder predates the field: its Markdown still calls J a distance
    text = calibration_markdown(ROOT / "docs" / "calibration" / "flagship")
    assert "J is a distance, not a test (no p-value)" in text
    assert "p =" not in text and "chi" not in text.lower()


# ---------------------------------------------- docs/calibration.md states each definition

def docs_rows() -> dict[str, list[str]]:
    """The rows of docs/calibration.md's table of moment definitions, by moment name."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("### The moments: what the source measures, what the model "
                         "measures", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [x.strip() for x in line.strip().strip("|").split("|")]
        match = re.fullmatch(r"`(\w+)`", cells[0]) if cells else None
        if match:
            rows[match.group(1)] = cells
    return rows


def test_docs_state_for_each_moment_what_the_model_measures_its_target_and_se():
    spec, _ = read_calibration_file(FLAGSHIP_FILE)
    rows = docs_rows()
    assert set(rows) == {m.name for m in spec.moments}
    for m in spec.moments:
        _, _, model, target, se, role = rows[m.name]
        assert model == describe(m.measure), m.name
        sign = {"at_least": "≥ ", "at_most": "≤ ", "equal": "= "}[m.bound]
        assert target.startswith(sign), (m.name, target)
        assert se.endswith(f"({m.se_basis})"), (m.name, se)
        assert role == ("held out" if m.held_out else "fitted"), m.name
