"""Firm amenities beyond mission: engineers who value a lab's safety focus or openness move
towards it, and a dated change of a firm's amenities moves them away."""

import numpy as np

from sim import TalentMarket
from sim.market.utility import amenity_utility
from tests.conftest import scenario_of, small_market


def test_amenity_utility_is_the_sum_of_weighted_amenities():
    tastes = np.array([[1.0, 0.0], [0.5, 2.0]])
    amenities = np.array([[0.9, 0.3], [0.2, 0.5]])
    assert np.allclose(amenity_utility(tastes, amenities), [0.9, 0.5 * 0.2 + 2.0 * 0.5])


def twin_labs(safety_weight: float, **changes) -> dict:
    """Two labs alike in everything (pay, GPUs, mission) but their safety focus."""
    data = small_market(months=24, market={"engineers": 20_000}, **changes)
    data["tiers"]["researcher"]["weights"]["safety"] = safety_weight
    data["firms"]["Alpha"]["amenities"] = {"safety": 0.9}
    data["firms"]["Beta"]["amenities"] = {"safety": 0.1}
    return data


def researcher_hires(model, name):
    firms = model.firm_records
    return firms.loc[firms["firm"] == name, "hires_researcher"].sum()


def test_researchers_who_value_safety_go_to_the_safety_lab():
    valued = TalentMarket(scenario_of(twin_labs(2.0)))
    valued.run()
    alpha, beta = researcher_hires(valued, "Alpha"), researcher_hires(valued, "Beta")
    # Same pay, GPUs and mission: only the amenity differs (a utility gap of 2 x 0.8 at
    # logit noise 0.3). Beta still hires searchers whose only offer is Beta's.
    assert alpha > 2 * beta and alpha > 100
    indifferent = TalentMarket(scenario_of(twin_labs(0.0)))
    indifferent.run()
    a0, b0 = researcher_hires(indifferent, "Alpha"), researcher_hires(indifferent, "Beta")
    # Without the taste, the twins hire alike (within 4 Poisson standard deviations).
    assert abs(a0 - b0) < 4 * np.sqrt(a0 + b0)


def test_a_dated_amenity_change_pushes_people_out():
    event = {"type": "amenity_change", "month": 12, "firm": "Alpha",
             "amenities": {"safety": 0.0}}
    model = TalentMarket(scenario_of(twin_labs(2.0, events=[event])))
    model.run()
    firms = model.firm_records
    alpha = firms[firms["firm"] == "Alpha"].set_index("month")
    before = alpha.loc[1:11, "quits_researcher"].sum()
    after = alpha.loc[13:23, "quits_researcher"].sum()
    assert after > 2 * before + 10
    assert model.firm("Alpha").amenities[0] == 0.0
