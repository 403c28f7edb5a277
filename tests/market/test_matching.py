"""Matching: how firms rank the candidates for their offers."""

import numpy as np

from sim.market.matching import best_first


def test_offers_are_ranked_by_group_then_outreach_then_value_as_a_lexsort():
    rng = np.random.default_rng(3)
    for n, groups in ((0, 10), (1, 10), (5_000, 300), (5_000, 70_000)):  # 70,000: no radix
        value = np.round(rng.normal(size=n), 1)  # ties keep listing order
        outreach = rng.random(n) < 0.3
        group = rng.integers(0, groups, n)
        assert best_first(group, outreach, value).tolist() == np.lexsort(
            (-value, ~outreach, group)).tolist()


def test_outreach_drawn_in_blocks_of_firms_reaches_the_same_engineers(monkeypatch):
    # The outreach keys are drawn for several firms at once, in blocks bounded by memory:
    # any block size gives the same draws, so the same market.
    import pandas as pd

    from sim import TalentMarket
    from sim.market import matching
    from tests.conftest import SCENARIOS

    def market(block: int) -> pd.DataFrame:
        monkeypatch.setattr(matching, "OUTREACH_BLOCK", block)
        model = TalentMarket(SCENARIOS / "ai_talent_war_2024.toml", seed=3,
                             market__engineers=2_000, months=6, records="market")
        model.run()
        assert model.market["outreach_contacts"].sum() > 0
        return model.market

    pd.testing.assert_frame_equal(market(1), market(1 << 20), check_exact=True)
