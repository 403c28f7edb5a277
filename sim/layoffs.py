"""Layoffs: who goes when a firm is under pressure.

A firm lays engineers off when it is under pressure (Policy.runway_months, margin_target)
or holds more of a tier than its target (a shrinking tier). Within a firm the order is
non-AI roles before AI roles, and within each the lowest value per cost first:

    order by (ai_t, v_ij / pay_i) ascending,   v_ij as in :mod:`sim.production`.

The same firm may lay off and bid for top researchers in the same month: layoffs follow
targets per tier, hiring follows vacancies per tier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.engineers import UNEMPLOYED
from sim.matching import EXIT, LAYOFF, Moves
from sim.production import value_to_firm

if TYPE_CHECKING:
    from sim.model import TalentMarket


def least_valuable(model: TalentMarket, members: np.ndarray, j: int) -> np.ndarray:
    """``members`` of firm j in layoff order: non-AI first, then by v_ij / pay_i ascending."""
    eng = model.engineers
    value = value_to_firm(model, members, np.full(members.size, j))
    per_cost = value / np.maximum(eng.pay[members], 1.0)
    return members[np.lexsort((per_cost, eng.tier_ai[eng.tier[members]]))]


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


def layoffs(model: TalentMarket, heads: np.ndarray) -> None:
    """Each firm lays off what its pressure and targets call for.

    - a tier above its target loses the excess, lowest value per cost first;
    - a firm under pressure (short runway, or margin below what investors demand) lays off
      ``layoff_rate`` of its headcount, non-AI roles first.
    """
    eng = model.engineers
    for firm in model.active_firms():
        j = firm.index
        excess = np.maximum(heads[j] - np.floor(firm.targets(model.steps) * 1.02), 0)
        pressure = firm.under_pressure()
        if not excess.any() and not pressure:
            continue
        members = model.members(j)
        if members.size == 0:
            continue
        ordered = least_valuable(model, members, j)
        chosen = []
        for t in np.flatnonzero(excess):
            of_tier = ordered[eng.tier[ordered] == t]
            chosen.append(of_tier[: int(excess[t])])
        if pressure:
            count = int(np.ceil(firm.policy.layoff_rate * members.size))
            chosen.append(ordered[:count])
        victims = np.unique(np.concatenate(chosen)) if chosen else ordered[:0]
        lay_off(model, victims)
