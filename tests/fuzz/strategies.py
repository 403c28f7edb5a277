"""Hypothesis strategies: valid scenarios across the ranges the schema allows, and
mutations of valid files into bad ones."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("TALENTWAR_FUZZ_EXAMPLES", "0"))
"""Examples per fuzz test when set (the long profile); otherwise each test's own bound."""


STATS = os.environ.get("TALENTWAR_FUZZ_STATS")
"""A file to which each fuzz case appends its outcome (the long profile's tally)."""


def record(test: str, outcome: str) -> None:
    """Append ``test outcome`` to the tally file, when the long profile asks for one."""
    if STATS:
        with open(STATS, "a", encoding="utf-8") as tally:
            tally.write(f"{test} {outcome}\n")


def examples(default: int) -> int:
    """The number of examples a fuzz test runs: its CI bound, or TALENTWAR_FUZZ_EXAMPLES."""
    return EXAMPLES or default


def extreme_floats(low: float, high: float) -> st.SearchStrategy[float]:
    """Floats in [low, high], with the ends and tiny or huge values likely."""
    ends = [v for v in (low, high, 0.0, 1e-12, 1e-300, 1.0, 1e12, 1e300) if low <= v <= high]
    return st.one_of(st.sampled_from(ends), st.floats(low, high, allow_nan=False,
                                                       allow_infinity=False))


TIER_NAMES = ["researcher", "ml", "swe"]
FIRM_NAMES = ["Lab", "BigCo", "start.up-1", "x"]
KINDS = ["big_tech", "frontier_lab", "ai_startup", "enterprise_software", "other"]


@st.composite
def policies(draw: st.DrawFn, tiers: list[str]) -> dict[str, Any]:
    """A firm's decision rules, each key present or not."""
    keys: dict[str, st.SearchStrategy[Any]] = {
        "counter_offer": st.sampled_from(["never", "match", "beat"]),
        "beat_margin": extreme_floats(0.0, 10.0),
        "retention_calls": st.integers(0, 50),
        "retention_call_cost": extreme_floats(0.0, 1e9),
        "pay_policy": st.sampled_from(["fixed", "adaptive"]),
        "raise_rate": extreme_floats(0.0, 1.0),
        "cut_rate": extreme_floats(0.0, 1.0),
        "growth": st.dictionaries(st.sampled_from(tiers), extreme_floats(-1.0, 10.0),
                                  max_size=len(tiers)),
        "runway_months": extreme_floats(0.0, 1e4),
        "layoff_rate": extreme_floats(0.0, 1.0),
        "margin_target": st.one_of(st.none(), extreme_floats(-10.0, 1.0)),
        "gpu_target": st.one_of(st.none(), extreme_floats(0.0, 1e9)),
        "gpu_budget_share": extreme_floats(0.0, 1.0),
        "acquisitive": st.booleans(),
        "deal_form": st.sampled_from(["acquisition", "license_and_hire", "auto"]),
        "deal_rate": extreme_floats(0.0, 1.0),
        "premium": extreme_floats(1.0, 100.0),
        "licence_share": extreme_floats(0.0, 10.0),
        "hire_share": extreme_floats(0.0, 1.0),
        "retention_share": extreme_floats(0.0, 1.0),
        "max_price_share": extreme_floats(0.0, 1.0),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(keys)), unique=True, max_size=8))
    out = {key: draw(keys[key]) for key in chosen}
    return {k: v for k, v in out.items() if v is not None}


@st.composite
def valid_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A valid scenario as plain data: 1-3 tiers, 1-4 named firms, maybe a generated group
    and events, with values anywhere in their allowed ranges (extremes likely)."""
    n_tiers = draw(st.integers(1, 3))
    tiers = TIER_NAMES[:n_tiers]
    tier_data = {}
    for name in tiers:
        separation = draw(extreme_floats(0.0, 1.0))
        lo = draw(extreme_floats(0.0, 1.0))
        hi = draw(extreme_floats(lo, 1.0))
        tier_data[name] = {
            "share": draw(extreme_floats(1e-12, 1e6).filter(lambda v: v > 0)),
            "ai": draw(st.booleans()),
            "output": draw(extreme_floats(0.0, 1e9)),
            "separation": separation,
            "search_unemployed": draw(extreme_floats(0.0, 1.0)),
            "search_employed": draw(extreme_floats(0.0, 1.0 - separation)),
            "search_dispersion": draw(extreme_floats(0.0, 5.0)),
            "mission_preference": [lo, hi],
            "productivity": draw(st.one_of(
                st.just({"distribution": "none"}),
                st.builds(lambda s, c: {"distribution": "lognormal", "sigma": s, "cap": c},
                          extreme_floats(0.0, 10.0), extreme_floats(1.0001, 1e6)),
                st.builds(lambda a, c: {"distribution": "pareto", "alpha": a, "cap": c},
                          extreme_floats(1.0001, 50.0), extreme_floats(1.0001, 1e6)),
            )),
            "weights": {
                "pay": draw(extreme_floats(0.0, 100.0)),
                "gpu": draw(extreme_floats(0.0, 100.0)),
                "mission": draw(extreme_floats(0.0, 100.0)),
                "outreach": draw(extreme_floats(0.0, 100.0)),
                "dispersion": draw(extreme_floats(0.0, 5.0)),
            },
        }
    names = FIRM_NAMES[:draw(st.integers(1, len(FIRM_NAMES)))]
    firms = {}
    for name in names:
        firms[name] = {
            "kind": draw(st.sampled_from(KINDS)),
            "gpus": draw(extreme_floats(0.0, 1e9)),
            "mission": draw(extreme_floats(0.0, 1.0)),
            "pay": draw(st.dictionaries(st.sampled_from(tiers), extreme_floats(0.0, 1e9),
                                        max_size=n_tiers)),
            "cash": draw(extreme_floats(0.0, 1e15)),
            "outreach": draw(st.integers(0, 100)),
            "size": draw(extreme_floats(1e-9, 1e6).filter(lambda v: v > 0)),
            "tfp": draw(extreme_floats(0.0, 1e6)),
            "policy": draw(policies(tiers)),
        }
        if draw(st.booleans()):
            firms[name]["hiring_capacity"] = draw(st.integers(0, 10_000))
    data: dict[str, Any] = {
        "name": "fuzz",
        "seed": draw(st.integers(0, 2**32)),
        "months": draw(st.integers(1, 6)),
        "market": {
            "engineers": draw(st.integers(1, 3000)),
            "initial_unemployment": draw(extreme_floats(0.0, 1.0)),
            "pay_period": draw(st.sampled_from(["year", "month"])),
            "unemployment_benefit": draw(extreme_floats(0.0, 1e6)),
        },
        "tiers": tier_data,
        "choice": {
            "noise": draw(extreme_floats(0.0, 100.0)),
            "switching_cost": draw(extreme_floats(0.0, 100.0)),
            "offers_per_search": draw(st.integers(1, 5)),
            "firm_sampling": draw(st.sampled_from(["uniform", "size"])),
        },
        "compute": {
            "threshold": draw(extreme_floats(1.0, 1e9)),
            "response": draw(st.sampled_from(["sharp", "smooth"])),
            "gpu_price": draw(extreme_floats(1.0, 1e9)),
            "supply_per_month": draw(extreme_floats(0.0, 1e9)),
        },
        "economy": {
            "compute_boost": draw(extreme_floats(0.0, 10.0)),
            "valuation_years": draw(extreme_floats(0.0, 100.0)),
            "funding_rate": draw(extreme_floats(0.0, 1.0)),
            "funding_runway_months": draw(extreme_floats(0.0, 1e4)),
            "round_years": draw(extreme_floats(0.0, 100.0)),
            "leave_after_deal": draw(extreme_floats(0.0, 1.0)),
        },
        "antitrust": {
            "enabled": draw(st.booleans()),
            "rule": draw(st.sampled_from(["top_share", "hhi_delta"])),
            "threshold": draw(extreme_floats(0.0, 10_000.0)),
            "review_license_and_hire": draw(st.booleans()),
        },
        "firm_defaults": draw(policies(tiers)),
        "firms": firms,
    }
    if draw(st.booleans()):
        lo = draw(extreme_floats(0.0, 1e6))
        data["generated_firms"] = [{
            "count": draw(st.integers(1, 30)),
            "prefix": "gen",
            "kind": draw(st.sampled_from(KINDS)),
            "gpus": {"min": lo, "max": draw(extreme_floats(lo, 1e7)),
                     "spread": draw(st.sampled_from(["even", "uniform"]))},
            "pay": {tiers[-1]: draw(extreme_floats(0.0, 1e7))},
            "policy": draw(policies(tiers)),
        }]
    events = []
    for _ in range(draw(st.integers(0, 3))):
        month = draw(st.integers(1, 6))
        kind = draw(st.sampled_from(["policy_change", "funding_climate", "gpu_supply_shock",
                                     "turmoil", "forced_deal"]))
        if kind == "policy_change":
            events.append({"type": kind, "month": month, "firm": draw(st.sampled_from(names)),
                           "policy": draw(policies(tiers))})
        elif kind in ("funding_climate", "gpu_supply_shock"):
            events.append({"type": kind, "month": month,
                           "multiplier": draw(extreme_floats(0.0, 100.0)),
                           "months": draw(st.integers(1, 12))})
        elif kind == "turmoil":
            events.append({"type": kind, "month": month, "firm": draw(st.sampled_from(names)),
                           "search_multiplier": draw(extreme_floats(1.0, 100.0))})
        elif len(names) > 1:
            buyer, target = draw(st.lists(st.sampled_from(names), min_size=2, max_size=2,
                                          unique=True))
            events.append({"type": kind, "month": month, "buyer": buyer, "target": target,
                           "form": draw(st.sampled_from(["acquisition", "license_and_hire"])),
                           "price": draw(extreme_floats(0.0, 1e15)),
                           "review": draw(st.booleans())})
    if events:
        data["events"] = events
    return data
