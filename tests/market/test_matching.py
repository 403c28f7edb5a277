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
