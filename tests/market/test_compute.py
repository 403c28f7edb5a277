"""GPU orders queue behind a limited supply; GPUs pull engineers from the month they arrive."""

import pytest

from sim import TalentMarket
from tests.conftest import scenario_of, small_market


def test_gpu_orders_arrive_after_the_queue():
    data = small_market(
        months=10,
        compute={"supply_per_month": 1_000, "gpu_price": 10_000},
        firms={"Gamma": {"gpus": 0, "policy": {"gpu_target": 5_000}},
               "Delta": {"gpus": 0, "policy": {"gpu_target": 3_000}}},
    )
    model = TalentMarket(scenario_of(data))
    gamma, delta = model.firm("Gamma"), model.firm("Delta")
    seen = []
    while model.running:
        model.step()
        seen.append((gamma.gpus, delta.gpus))
    # Gamma ordered first (firms plan in order): 1,000 a month for 5 months, then Delta.
    assert [g for g, _ in seen[:6]] == [1_000, 2_000, 3_000, 4_000, 5_000, 5_000]
    assert [d for _, d in seen[:8]] == [0, 0, 0, 0, 0, 1_000, 2_000, 3_000]
    # Paid for when ordered: 8,000 H100s at $10,000.
    assert model.ledger.outside["gpu_vendors"] == pytest.approx(8_000 * 10_000)
    assert model.market["gpu_queue"].iloc[1] == pytest.approx(8_000 - 1_000)


def test_gpus_raise_a_firms_pull_as_they_arrive():
    data = small_market(
        months=24, compute={"supply_per_month": 100_000},
        firms={"Gamma": {"gpus": 1_000, "policy": {"gpu_target": 60_000}}},
    )
    grows = TalentMarket(scenario_of(data))
    stays = TalentMarket(scenario_of(small_market(months=24)))
    for model in (grows, stays):
        model.run()
    def researchers(model):
        return model.firm_records.query("firm == 'Gamma'")["headcount_researcher"].iloc[-1]
    assert researchers(grows) > 1.5 * researchers(stays)
