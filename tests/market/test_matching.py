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


def test_offers_selected_in_one_pass_where_no_limit_binds_as_in_two_passes():
    # Where no firm has more candidates than its vacancies or its capacity, select_offers
    # orders the offers in one pass: the same indices in the same order as the two passes,
    # ties in value across tiers included (values from a few levels: ties are common).
    from sim.market.matching import select_offers, select_offers_in_two_passes

    rng = np.random.default_rng(5)
    one_pass = 0
    for trial in range(200):
        n, n_firms, n_tiers = int(rng.integers(0, 300)), 6, 3
        firm = rng.integers(0, n_firms, n)
        tier = rng.integers(0, n_tiers, n).astype(np.int8)
        outreach = rng.random(n) < 0.3
        value = rng.integers(0, 3, n).astype(float)
        counts = np.bincount(firm * n_tiers + tier, minlength=n_firms * n_tiers)
        if trial % 3 == 0:  # no limits at all
            vacancies, capacity = np.full((n_firms, n_tiers), np.inf), np.full(n_firms, np.inf)
        elif trial % 3 == 1:  # finite limits that just hold everyone
            vacancies = counts.reshape(n_firms, n_tiers) + rng.integers(0, 2, (n_firms, n_tiers))
            capacity = np.bincount(firm, minlength=n_firms) + rng.integers(0, 2, n_firms)
        else:  # limits that bind somewhere: the two passes themselves
            vacancies = rng.integers(0, 20, (n_firms, n_tiers)).astype(float)
            capacity = rng.integers(0, 40, n_firms).astype(float)
        args = (firm, tier, outreach, value, vacancies, capacity)
        fits = (counts <= vacancies.ravel()).all() and (
            np.bincount(firm, minlength=n_firms) <= capacity).all()
        one_pass += bool(fits and n > 50)
        assert select_offers(*args).tolist() == select_offers_in_two_passes(*args).tolist()
    assert one_pass > 100  # the one-pass order was compared on many markets


def test_first_of_each_key_is_np_unique_return_index():
    from sim.market.matching import first_of_each

    rng = np.random.default_rng(2)
    for n in (0, 1, 7, 3_000):
        keys = rng.integers(0, max(n // 3, 1), n) * 10 + rng.integers(0, 10, n)
        assert first_of_each(keys).tolist() == np.unique(keys, return_index=True)[1].tolist()


def _month_state(turmoil: bool = False):
    from sim import TalentMarket
    from tests.conftest import SCENARIOS

    model = TalentMarket(SCENARIOS / "sweeps" / "small_market.toml", seed=4,
                         market__engineers=3_000, months=4, records="market")
    model.run()
    state = model.state
    if turmoil:
        state.search_multiplier[2] = 3.0
    return state


def test_outreach_targets_are_each_firms_own_gumbel_top_k():
    # The reference: firm by firm, a draw of one key per pool engineer, its own employees
    # left out, and an argpartition of that firm's keys alone.
    import copy

    from sim.market.matching import outreach_targets

    state = _month_state()
    rng = copy.deepcopy(state.rng)
    who, firm = outreach_targets(state)
    eng, table = state.engineers, state.table
    pool = np.arange(eng.bounds[0], eng.bounds[1])
    employer = eng.firm[pool]
    capacity = np.where(table.open[:, 0], table.outreach, 0)
    want_who, want_firm = [], []
    for j in np.flatnonzero(capacity):
        keys = np.log(eng.productivity[pool]) + rng.gumbel(size=pool.size)
        keys[employer == j] = -np.inf
        k = int(min(capacity[j], pool.size - np.count_nonzero(employer == j)))
        if k:
            want_who.extend(pool[np.argpartition(-keys, k - 1)[:k]].tolist())
            want_firm.extend([j] * k)
    assert len(set(want_firm)) > 3 and max(np.bincount(want_firm)) > 1  # several counts
    assert who.tolist() == want_who
    assert firm.tolist() == want_firm
    assert state.rng.random() == rng.random()  # the same draws used


def test_search_and_separation_draws_follow_the_rates_of_the_month():
    # draw_events keeps each engineer's cut-offs delta_i and delta_i + lambda1_i from month
    # to month; with turmoil (lambda1 scaled at a firm) or a new array of rates it must
    # use those of the month: the reference computes them afresh.
    import copy

    from sim.agents.engineers import UNEMPLOYED
    from sim.market.matching import draw_events

    for turmoil in (False, True):
        state = _month_state(turmoil)
        eng = state.engineers
        for replaced in (False, True):
            if replaced:
                eng.search_employed = eng.search_employed * 2.0
            rng = copy.deepcopy(state.rng)
            separates, searches = draw_events(state)
            u = rng.random(eng.n)
            delta = np.repeat(eng.separation, np.diff(eng.bounds))
            lam1 = eng.search_employed * state.search_multiplier[eng.firm]
            employed = eng.firm != UNEMPLOYED
            assert np.array_equal(separates, employed & (u < delta))
            assert np.array_equal(searches, np.where(
                employed, (u >= delta) & (u < delta + lam1), u < eng.search_unemployed))
            assert searches[employed & (eng.firm == 2)].any()
