"""Month 0: who works where when the market opens."""

from __future__ import annotations

import numpy as np

from sim.market.state import MarketState


def place_initial_engineers(state: MarketState, team: np.ndarray,
                            initial_unemployment: float) -> None:
    """Place every engineer for month 0.

    Each engineer is employed with chance 1 - ``initial_unemployment``. A firm that states
    its team (``team``, firms x tiers, NaN where not stated) gets that many engineers of the
    tier, drawn at random among the employed; the others go to a firm that exists at the
    start and hires the tier without a stated team, drawn with chance proportional to the
    firm's size,

        P(j) = size_j 1[pay_jt > 0] 1[founded_j <= 0] 1[no stated team_jt] / sum_k (same).

    Each is paid posted pay x productivity, w_i = p_jt theta_i, and given a tenure drawn
    uniformly from 0 to 47 months. Draws come from ``state.rng`` in a fixed order."""
    eng, rng, table = state.engineers, state.rng, state.table
    employed = rng.random(eng.n) >= initial_unemployment
    exists = np.array([f.founded <= 0 for f in state.firms])
    for t in range(len(eng.tier_names)):
        block = np.arange(*eng.tier_slice(t).indices(eng.n))
        block = block[employed[block]]
        stated = np.isfinite(team[:, t])
        if stated.any() and block.size:
            block = rng.permutation(block)
            counts = np.minimum(np.cumsum(np.where(stated, team[:, t], 0)), block.size)
            starts = np.concatenate([[0], counts[:-1]]).astype(np.int64)
            for j in np.flatnonzero(stated):
                chosen = block[starts[j]:int(counts[j])]
                eng.firm[chosen] = j
                eng.pay[chosen] = table.pay[j, t] * eng.productivity[chosen]
            block = np.sort(block[int(counts[-1]):])
        weights = table.size * (table.pay[:, t] > 0) * exists * ~stated
        if block.size == 0 or weights.sum() == 0:
            continue
        firm = rng.choice(state.n_firms, size=block.size, p=weights / weights.sum())
        eng.firm[block] = firm
        eng.pay[block] = table.pay[firm, t] * eng.productivity[block]
    eng.tenure[:] = rng.integers(0, 48, eng.n)
    state.refresh_unvested()
