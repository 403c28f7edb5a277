"""docs/calibration.md states what the kept calibration of the flagship found.

The flagship's estimate is kept in docs/calibration/flagship/ (the calibration folder's
tables, copied by benchmarks/calibration_docs.py). These tests check that the tables in
docs/calibration.md are exactly what that folder renders, and that the flagship scenario
holds the estimates (rounded to three significant figures).
"""

import math

import pandas as pd
import pytest

from sim import load_scenario
from sim.calibration.markdown import calibration_markdown, generated_block, markers, splice
from sim.calibration.spec import read_calibration_file
from sim.errors import UserError
from tests.calibration.common import ROOT

KEPT = ROOT / "docs" / "calibration" / "flagship"
DOCS = ROOT / "docs" / "calibration.md"
FLAGSHIP = ROOT / "scenarios" / "ai_talent_war_2024.toml"


def test_docs_tables_are_generated_from_the_kept_calibration():
    document = DOCS.read_text(encoding="utf-8")
    assert generated_block(document, "flagship estimate") == calibration_markdown(KEPT), (
        "regenerate: python benchmarks/calibration_docs.py CALIBRATION_FOLDER")
    backtest = ROOT / "docs" / "calibration" / "backtest"
    assert generated_block(document, "backtest") == calibration_markdown(backtest), (
        "regenerate: python benchmarks/calibration_docs.py --backtest CALIBRATION_FOLDER")
    # the backtest's predictions are shown against their intervals
    assert "95% prediction interval" in generated_block(document, "backtest")


def value_at(scenario, key: str) -> float:
    node = scenario
    for part in key.split("."):
        if isinstance(node, dict):
            node = node[part]
        elif part.isdigit():
            node = node[int(part)]
        else:
            node = getattr(node, part)
    return float(node)


STALE_ESTIMATES: dict[str, str] = {}
"""Estimates of a rule the model no longer has: the flagship sets another value, said in
docs/calibration.md. Strict: a flagship that holds the old estimate again fails."""


def test_the_flagship_holds_the_estimates():
    params = pd.read_csv(KEPT / "parameters.csv")
    scenario = load_scenario(FLAGSHIP)
    for p in params.itertuples(index=False):
        shipped = value_at(scenario, p.parameter)
        if p.estimate == 0:  # on a bound at 0 (fixed there): no significant figures
            held = shipped == 0
        else:
            digits = 3 - math.floor(math.log10(abs(p.estimate))) - 1
            held = shipped == round(p.estimate, digits)
        assert held != (p.parameter in STALE_ESTIMATES), (p.parameter, shipped, p.estimate)
    assert set(STALE_ESTIMATES) <= set(params["parameter"])


def test_the_flagship_holds_the_calibrations_fixed_values():
    """What the estimate held fixed (the calibration file's ``set``, but for the market's
    size) is what the flagship ships: the estimate is conditional on those values."""
    spec, _ = read_calibration_file(ROOT / "scenarios" / "calibration"
                                    / "ai_talent_war_2024.toml")
    scenario = load_scenario(FLAGSHIP)
    fixed = [[part.strip() for part in item.split("=", 1)] for item in spec.overrides
             if not item.strip().startswith("market.engineers")]
    assert len(fixed) >= 4
    for key, value in fixed:
        assert value_at(scenario, key) == float(value), (key, value_at(scenario, key), value)
    # the backtest holds the same values fixed
    backtest, _ = read_calibration_file(ROOT / "scenarios" / "calibration"
                                        / "backtest_mid2024.toml")
    assert backtest.overrides == spec.overrides


def test_a_generated_block_is_replaced_only_between_its_markers():
    begin, end = markers("x")
    document = f"head\n{begin}\nold\n{end}\ntail\n"
    assert splice(document, "x", "new\n") == f"head\n{begin}\nnew\n{end}\ntail\n"
    assert generated_block(splice(document, "x", "new\n"), "x") == "new\n"
    for bad in ("no markers", f"{end}\n{begin}", f"{begin}{end}{begin}{end}"):
        with pytest.raises(UserError):
            splice(bad, "x", "new\n")
