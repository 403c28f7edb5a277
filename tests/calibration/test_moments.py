"""Measures of the moment registry, on hand-made tables (the rule, not a run)."""

import pandas as pd
import pytest

from sim import columns as c
from sim import load_scenario
from sim.calibration.run_measures import JobToJobRate, RunOutputs
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def flagship():
    return load_scenario(SCENARIOS / "ai_talent_war_2024.toml")


def outputs(scenario, flows: list[tuple]) -> RunOutputs:
    market = pd.DataFrame({
        c.MONTH: [1, 2], c.DATE: ["2023-02", "2023-03"], c.JOB_TO_JOB_RATE: [0.5, 0.5],
        **{c.per_tier(c.EMPLOYED, t): [100, 100] for t in scenario.tiers},
    })
    flows_frame = pd.DataFrame(flows, columns=list(c.FLOW_COLUMNS))
    empty = pd.DataFrame()
    return RunOutputs(scenario, market, empty, empty, flows_frame)


def test_job_to_job_rate_of_a_group_counts_only_job_to_job_moves_of_its_tiers(flagship):
    out = outputs(flagship, [
        (1, "Meta", "OpenAI", "researcher", "job_to_job", 6),
        (2, "Google_DeepMind", "OpenAI", "ml_engineer", "job_to_job", 4),
        (2, "Inflection", "Microsoft", "ml_engineer", "deal_transfer", 50),    # a deal
        (2, "unemployment", "Meta", "ml_engineer", "hire_from_unemployment", 9),
        (2, "Meta", "Google_DeepMind", "software_engineer", "job_to_job", 7),  # not AI
    ])
    ai = JobToJobRate(kind="job_to_job_rate", tier="ai", window=[1, 2])
    # (6 + 4) moves / (2 months x 100 researchers + 2 x 100 ML engineers employed)
    assert ai.value(out) == pytest.approx(10 / 400)
    one = JobToJobRate(kind="job_to_job_rate", tier="software_engineer", window=[1, 2])
    assert one.value(out) == pytest.approx(7 / 200)
    listed = JobToJobRate(kind="job_to_job_rate", tier=["researcher"], window=[2, 2])
    assert listed.value(out) == 0.0
    everyone = JobToJobRate(kind="job_to_job_rate", window=[1, 2])
    assert everyone.value(out) == pytest.approx(0.5)
