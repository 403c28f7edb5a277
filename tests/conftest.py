"""Shared fixtures: scenario paths and small markets built in code."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario import validate

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def small_market(**changes) -> dict:
    """A small two-tier market as plain scenario data (to tweak, then validate)."""
    data = {
        "name": "small",
        "seed": 7,
        "months": 24,
        "market": {"engineers": 6_000, "initial_unemployment": 0.05},
        "tiers": {
            "researcher": {
                "share": 0.2, "ai": True,
                "separation": 0.01, "search_unemployed": 0.5, "search_employed": 0.2,
                "output": 150_000,
                "weights": {"pay": 1.0, "gpu": 2.0, "mission": 1.0, "outreach": 1.0},
                "responsiveness": [0.3, 0.3],
            },
            "engineer": {
                "share": 0.8, "ai": False,
                "separation": 0.01, "search_unemployed": 0.5, "search_employed": 0.1,
                "output": 25_000,
                "weights": {"pay": 1.0, "gpu": 0.0, "mission": 0.5},
            },
        },
        "choice": {"noise": 0.3, "switching_cost": 0.1, "offers_per_search": 2},
        "firms": {
            name: {
                "kind": kind, "gpus": gpus, "mission": mission, "outreach": 0,
                "pay": {"researcher": 1_000_000, "engineer": 200_000},
            }
            for name, kind, gpus, mission in [
                ("Alpha", "big_tech", 50_000, 0.5),
                ("Beta", "big_tech", 50_000, 0.5),
                ("Gamma", "ai_startup", 2_000, 0.5),
                ("Delta", "enterprise_software", 2_000, 0.5),
            ]
        },
    }
    from sim.scenario import deep_merge

    return deep_merge(data, changes)


def scenario_of(data: dict):
    """Validate scenario data built in a test."""
    return validate(data, "test scenario")


@pytest.fixture
def tmp_results(tmp_path, monkeypatch):
    """Run in a temporary working folder, so default ``results/`` lands there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
