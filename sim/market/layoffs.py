"""Layoffs: who goes when a firm is under pressure.

A firm lays engineers off when it is under pressure (Policy.runway_months, margin_target)
or holds more of a tier than its target (a shrinking tier). Within a firm the order is
non-AI roles before AI roles, and within each the lowest value per cost first:

    order by (ai_t, v_ij / pay_i) ascending,   v_ij as in :mod:`sim.market.production`.

The same firm may lay off and bid for top researchers in the same month: layoffs follow
targets per tier, hiring follows vacancies per tier.

Economics: a cost-minimising firm that must cut its wage bill sheds the workers with the
lowest marginal product per dollar first (labour demand, Hamermesh 1993); the pressure
itself - investors demanding margins while the same firms bid for AI talent - is the
brief's account of the 2023-2024 tech layoffs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents.engineers import UNEMPLOYED
from sim.market.matching import DEAL_TRANSFER, EXIT, LAYOFF, Moves, rank_in_groups
from sim.market.production import value_to_firm

if TYPE_CHECKING:
    from sim.model import TalentMarket


def layoff_order(model: TalentMarket, who: np.ndarray) -> np.ndarray:
    """Engineers ``who`` grouped by employer and, within each, in layoff order: non-AI
    first, then by value per cost v_ij / pay_i ascending."""
    eng = model.engineers
    firm = eng.firm[who]
    per_cost = value_to_firm(model, who, firm) / np.maximum(eng.pay[who], 1.0)
    # One integer sort key: firm (< 2^20), then AI (0/1), then y = x / (1 + x) of value per
    # cost x (the same order, in [0, 1)) on 2^40 steps: values of x whose y differ by less
    # than 2^-40 (x closer than about (1 + x)^2 1e-12) count as ties.
    share = np.floor(per_cost / (1.0 + per_cost) * 2.0**40).astype(np.int64)
    key = (firm.astype(np.int64) << 42) | (eng.tier_ai[eng.tier[who]].astype(np.int64) << 41)
    return who[np.argsort(key | share, kind="stable")]


def release(model: TalentMarket, who: np.ndarray, kind: str = "layoff") -> Moves:
    """Send engineers ``who`` to unemployment, as layoffs or because their firm exited."""
    eng = model.engineers
    source = eng.firm[who].copy()
    eng.firm[who] = UNEMPLOYED
    eng.pay[who] = 0.0
    eng.tenure[who] = 0
    code = LAYOFF if kind == "layoff" else EXIT
    return Moves(who, source, np.full(who.size, UNEMPLOYED, np.int32),
                 np.full(who.size, code, np.int8))


def lay_off(model: TalentMarket, who: np.ndarray) -> np.ndarray:
    """Lay off ``who``, tally it by firm and tier, and keep the moves for the records."""
    if who.size == 0:
        return who
    eng = model.engineers
    n_tiers = len(eng.tier_names)
    code = eng.firm[who].astype(np.int64) * n_tiers + eng.tier[who]
    model.tally_tier["layoffs"] += np.bincount(
        code, minlength=len(model.firms) * n_tiers).reshape(-1, n_tiers)
    model.extra_moves.append(release(model, who))
    return who


def layoff_line(targets: np.ndarray) -> np.ndarray:
    """Headcount above which a tier is cut back: ceil(1.02 H*) + 1, so that a firm that
    fills its vacancies (ceil(H* - H)) is never over the line in the same month."""
    return np.ceil(1.02 * targets) + 1


def layoffs(model: TalentMarket, heads: np.ndarray) -> None:
    """Each firm lays off what its pressure and targets call for, all firms at once.

    - a tier above its layoff line (:func:`layoff_line`) loses the excess, lowest value per
      cost first;
    - a firm under pressure (short runway, or margin below what investors demand) lays off
      ``layoff_rate`` of its headcount, non-AI roles first, from the tiers it is not hiring
      this month.

    Engineers who joined the firm by a deal this month are not laid off this month.
    """
    eng = model.engineers
    n_tiers = len(eng.tier_names)
    excess = np.zeros(heads.shape)
    quota = np.zeros(len(model.firms))
    for firm in model.active_firms():
        j = firm.index
        excess[j] = np.maximum(heads[j] - layoff_line(firm.targets(model.steps)), 0)
        if firm.under_pressure():
            quota[j] = np.ceil(firm.policy.layoff_rate * heads[j].sum())
    acting = np.flatnonzero(excess.any(axis=1) | (quota > 0))
    if acting.size == 0:
        return
    ordered = layoff_order(model, np.flatnonzero(np.isin(eng.firm, acting)))
    # Engineers who joined by a deal this month are not laid off in the same month.
    joined = [m.engineer[m.kind == DEAL_TRANSFER] for m in model.extra_moves]
    if joined:
        ordered = ordered[~np.isin(ordered, np.concatenate(joined))]
    firm = eng.firm[ordered].astype(np.int64)
    tier = eng.tier[ordered]
    # Pressure cuts fall on the tiers the firm is not hiring this month.
    cuttable = np.flatnonzero(~model.firm_table["open"][firm, tier])
    chosen = np.zeros(ordered.size, dtype=bool)
    chosen[cuttable] = rank_in_groups(firm[cuttable]) < quota[firm[cuttable]]
    # Within a tier the order above is by value per cost alone (AI status is fixed by tier).
    slot = firm * n_tiers + tier
    by_slot = np.argsort(slot, kind="stable")
    rank = np.empty(ordered.size, dtype=np.int64)
    rank[by_slot] = rank_in_groups(slot[by_slot])
    chosen |= rank < excess.ravel()[slot]
    lay_off(model, ordered[chosen])
