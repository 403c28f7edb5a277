"""What talent and compute produce: output, revenue, the value of an engineer, valuations.

This module is the one home of these formulas. The production function (stated in
:class:`sim.scenario.schema.Economy`): firm j's monthly revenue is

    R_j = tfp_j * sum_{i at j} a_i q_t(i) (1 + ai_t(i) * kappa * g(GPU_j))

with a_i the engineer's productivity, q_t its tier's monthly output, ai_t 1 for AI tiers,
kappa the compute boost and g the GPU pull of :func:`sim.market.utility.gpu_pull`. Revenue
is linear in talent, so the value of engineer i to firm j (the most firm j would pay it a
year, the bid of a sequential auction) is

    v_ij = 12 a_i q_t tfp_j (1 + ai_t kappa g(GPU_j)),

a team's value to a firm is the sum of its members' values, and a firm's valuation is
V_j = cash_j + valuation_years * sum_{i at j} v_ij.
"""

from __future__ import annotations

import numpy as np

from sim.market.state import MarketState


def compute_factor(tfp: np.ndarray, gpu_pull: np.ndarray, compute_boost: float,
                   tier_ai: np.ndarray) -> np.ndarray:
    """(firms x tiers) factor tfp_j (1 + ai_t kappa g(GPU_j)) of output into revenue."""
    boost = 1.0 + compute_boost * np.outer(gpu_pull, tier_ai)
    return tfp[:, None] * boost


def value_to_firm(state: MarketState, who: np.ndarray, firm: np.ndarray) -> np.ndarray:
    """Annual value v_ij = 12 a_i q_t tfp_j (1 + ai_t kappa g(GPU_j)) of engineers ``who``
    to firms ``firm`` (element by element)."""
    eng = state.engineers
    tier = eng.tier[who]
    return 12.0 * eng.productivity[who] * state.tier_output[tier] * (
        state.table.factor[firm, tier]
    )


def unit_values(state: MarketState) -> np.ndarray:
    """(firms x tiers) annual value 12 q_t tfp_j (1 + ai_t kappa g(GPU_j)) of an engineer
    of productivity 1 (the ceiling of adaptive posted pay)."""
    return 12.0 * state.tier_output[None, :] * state.table.factor


def monthly_revenue(state: MarketState) -> np.ndarray:
    """R_j for every firm (dollars this month)."""
    eng = state.engineers
    employed = state.employed()
    firm = eng.firm[employed]
    tier = eng.tier[employed]
    output = eng.productivity[employed] * state.tier_output[tier] * state.table.factor[
        firm, tier
    ]
    return np.bincount(firm, weights=output, minlength=state.n_firms)


def output_by_firm_and_tier(state: MarketState) -> np.ndarray:
    """(firms x tiers) array of sum_{i at j, tier t} a_i q_t: a team's output before the
    firm's factor, so that the value of firm k's team to firm j is
    12 sum_t factor_jt * out_kt (:func:`team_value`; one pass over the engineers for every
    pair of firms)."""
    eng = state.engineers
    employed = state.employed()
    n_tiers = state.n_tiers
    tier = eng.tier[employed]
    code = eng.firm[employed].astype(np.int64) * n_tiers + tier
    out = np.bincount(code, weights=eng.productivity[employed] * state.tier_output[tier],
                      minlength=state.n_firms * n_tiers)
    return out.reshape(-1, n_tiers)


def team_value(factor: np.ndarray, output: np.ndarray, years: float = 1.0) -> float:
    """years x 12 sum_t factor_jt out_kt: ``years`` of the annual value sum_i v_ij of a
    team with output ``output`` (by tier, :func:`output_by_firm_and_tier`) to a firm with
    factors ``factor``."""
    return years * 12.0 * float(factor @ output)


def valuation(state: MarketState, firm: int, members: np.ndarray) -> float:
    """V_j = cash_j + valuation_years * sum_{i at j} v_ij."""
    years = state.spec.economy.valuation_years
    team = float(value_to_firm(state, members, np.full(members.size, firm)).sum())
    return float(state.ledger.cash[firm] + years * team)
