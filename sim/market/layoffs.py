"""Layoffs: who goes when a firm is under pressure.

A firm lays engineers off when it is under pressure (Policy.runway_months, margin_target)
or holds more of a tier than its target (a shrinking tier). Within a firm the order is
non-AI roles before AI roles, and within each the lowest value per cost first:

    order by (ai_t, y_ij / pay_i) ascending,

y_ij the engineer's revenue product (:func:`sim.market.production.revenue_product`):
layoffs follow cash, not the forward value of talent a firm bids with.

The same firm may lay off and bid for top researchers in the same month: layoffs follow
targets per tier, hiring follows vacancies per tier.

Economics: a cost-minimising firm that must cut its wage bill sheds the workers with the
lowest marginal product per dollar first (labour demand, Hamermesh 1993); the pressure
itself - investors demanding margins while the same firms bid for AI talent - is the
brief's account of the 2023-2024 tech layoffs.
"""

from __future__ import annotations

import numpy as np

from sim.market.moves import DEAL_TRANSFER, LAYOFF, rank_in_groups, to_unemployment
from sim.market.production import revenue_product
from sim.market.state import MarketState


def layoff_order(state: MarketState, who: np.ndarray) -> np.ndarray:
    """Engineers ``who`` grouped by employer and, within each, in layoff order: non-AI
    first, then by revenue product per cost y_ij / pay_i ascending."""
    eng = state.engineers
    firm = eng.firm[who]
    per_cost = revenue_product(state, who, firm) / np.maximum(eng.pay[who], 1.0)
    # One integer sort key: firm (< 2^20), then AI (0/1), then y = x / (1 + x) of value per
    # cost x (the same order, in [0, 1)) on 2^40 steps: values of x whose y differ by less
    # than 2^-40 (x closer than about (1 + x)^2 1e-12) count as ties.
    share = np.floor(per_cost / (1.0 + per_cost) * 2.0**40).astype(np.int64)
    key = (firm.astype(np.int64) << 42) | (eng.tier_ai[eng.tier[who]].astype(np.int64) << 41)
    return who[np.argsort(key | share, kind="stable")]


def lay_off(state: MarketState, who: np.ndarray) -> np.ndarray:
    """Lay off ``who``, tally it by firm and tier, and record the moves."""
    if who.size == 0:
        return who
    eng = state.engineers
    n_tiers = state.n_tiers
    code = eng.firm[who].astype(np.int64) * n_tiers + eng.tier[who]
    state.log.tallies.layoffs += np.bincount(
        code, minlength=state.n_firms * n_tiers).reshape(-1, n_tiers)
    state.record(to_unemployment(eng, who, LAYOFF))
    return who


def layoff_line(targets: np.ndarray) -> np.ndarray:
    """Headcount above which a tier is cut back: ceil(1.02 H*) + 1, so that a firm that
    fills its vacancies (ceil(H* - H)) is never over the line in the same month."""
    return np.ceil(1.02 * targets) + 1


def layoffs(state: MarketState, heads: np.ndarray) -> None:
    """Each firm lays off what its pressure and targets call for, all firms at once.

    - a tier above its layoff line (:func:`layoff_line`) loses the excess, lowest value per
      cost first;
    - a firm under pressure (short runway, or margin below what investors demand) lays off
      ``layoff_rate`` of its headcount, non-AI roles first, from the tiers it is not hiring
      this month.

    Engineers who joined the firm by a deal this month are not laid off this month.
    """
    eng = state.engineers
    n_tiers = state.n_tiers
    excess = np.zeros(heads.shape)
    quota = np.zeros(state.n_firms)
    active = state.active_firms()
    if active:  # every active firm's excess at once, element by element as firm by firm
        targets = np.array([firm.targets(state.month) for firm in active])
        if not (targets == np.inf).all():  # an infinite target (none) has no excess
            rows = np.array([firm.index for firm in active])
            excess[rows] = np.maximum(heads[rows] - layoff_line(targets), 0)
    pressed = [firm for firm in active if firm.under_pressure()]
    if pressed:  # ceil(rate_j x headcount_j), every firm under pressure at once
        rows = np.array([firm.index for firm in pressed])
        rates = np.array([firm.policy.layoff_rate for firm in pressed])
        quota[rows] = np.ceil(rates * heads[rows].sum(axis=1))
    # The slots (firm, tier) a layoff may fall on: a tier above its line, or a tier a firm
    # with a quota is not hiring. Only their employees are ordered: the ranks below are
    # within a slot or within a firm's cuttable tiers, each of which is here whole.
    cut = (excess > 0) | ((quota > 0)[:, None] & ~state.table.open)
    if not cut.any():
        return
    # The employees of the firms that cut (a lookup by employer, the unemployed, -1, at
    # 0), then of those slots: the second lookup on them only, not on every engineer.
    acts = np.zeros(state.n_firms + 1, dtype=bool)
    acts[1:] = cut.any(axis=1)
    staff = np.flatnonzero(acts[eng.firm + 1])
    ordered = layoff_order(state, staff[cut[eng.firm[staff], eng.tier[staff]]])
    # Engineers who joined by a deal this month are not laid off in the same month.
    joined = state.log.moved_by(DEAL_TRANSFER)
    if joined.size:
        kept = np.ones(eng.n, dtype=bool)
        kept[joined] = False
        ordered = ordered[kept[ordered]]
    firm = eng.firm[ordered].astype(np.int64)
    tier = eng.tier[ordered]
    # Pressure cuts fall on the tiers the firm is not hiring this month.
    cuttable = np.flatnonzero(~state.table.open[firm, tier])
    chosen = np.zeros(ordered.size, dtype=bool)
    chosen[cuttable] = rank_in_groups(firm[cuttable]) < quota[firm[cuttable]]
    # Within a tier the order above is by value per cost alone (AI status is fixed by tier).
    slot = firm * n_tiers + tier
    by_slot = np.argsort(slot, kind="stable")
    rank = np.empty(ordered.size, dtype=np.int64)
    rank[by_slot] = rank_in_groups(slot[by_slot])
    chosen |= rank < excess.ravel()[slot]
    lay_off(state, ordered[chosen])
