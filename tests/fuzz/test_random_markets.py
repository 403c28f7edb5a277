"""Random valid scenarios across the ranges the schema allows run with every invariant
checked every month (``run --check``): any exception is a bug, and each one found is kept
below as a named regression scenario."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings

from sim import TalentMarket
from sim.errors import UserError
from tests.conftest import scenario_of, small_market
from tests.fuzz.strategies import examples, record, valid_scenarios


def run_checked(data: dict) -> None:
    """Validate, then run with the invariants checked every month."""
    TalentMarket(scenario_of(data), check=True).run()


@settings(max_examples=examples(40), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(valid_scenarios())
def test_random_valid_markets_keep_every_invariant(data):
    try:
        scenario_of(data)
    except UserError:
        record("random_market", "refused")
        return  # a combination the schema refuses: fine
    run_checked(data)
    record("random_market", "ran, every invariant held")


def with_tier(**tier) -> dict:
    data = small_market(months=3, market={"engineers": 2000})
    for spec in data["tiers"].values():
        spec.update(copy.deepcopy(tier))
    return data


REGRESSIONS = {
    "lognormal sigma of 10, the most allowed (39 crashed)": with_tier(
        productivity={"distribution": "lognormal", "sigma": 10.0}),
    "tier shares of 1e6 and 1e-12": small_market(months=3, tiers={
        "researcher": {"share": 1e6}, "engineer": {"share": 1e-12}}),
}


@pytest.mark.parametrize("case", list(REGRESSIONS))
def test_regression_scenarios_keep_every_invariant(case):
    base = small_market()
    data = REGRESSIONS[case]
    for key in ("tiers",):
        merged = copy.deepcopy(base[key])
        for name, spec in data[key].items():
            merged.setdefault(name, {}).update(spec)
        data = {**data, key: merged}
    run_checked(data)
