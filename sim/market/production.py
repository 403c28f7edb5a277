"""What talent and compute produce: output, revenue, the value of an engineer, valuations.

The production function (stated in :class:`sim.scenario.Economy`): firm j's monthly revenue is

    R_j = tfp_j * sum_{i at j} a_i q_t(i) (1 + ai_t(i) * kappa * g(GPU_j))

with a_i the engineer's productivity, q_t its tier's monthly output, ai_t 1 for AI tiers,
kappa the compute boost and g the GPU pull of :func:`sim.market.utility.gpu_pull`. Revenue is
linear in talent, so the value of engineer i to firm j (the most firm j would pay it a
year, the bid of a sequential auction) is

    v_ij = 12 a_i q_t tfp_j (1 + ai_t kappa g(GPU_j)),

and a firm's valuation is V_j = cash_j + valuation_years * sum_{i at j} v_ij.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents.engineers import UNEMPLOYED

if TYPE_CHECKING:
    from sim.model import TalentMarket


def compute_factor(model: TalentMarket) -> np.ndarray:
    """(firms x tiers) factor tfp_j (1 + ai_t kappa g(GPU_j)) of output into revenue, from
    the firm table (kept there as ``firm_table["factor"]`` when the table is refreshed)."""
    table = model.firm_table
    g = table["gpu_pull"]
    boost = 1.0 + model.spec.economy.compute_boost * np.outer(g, model.engineers.tier_ai)
    return table["tfp"][:, None] * boost


def value_to_firm(model: TalentMarket, who: np.ndarray, firm: np.ndarray) -> np.ndarray:
    """Annual value v_ij = 12 a_i q_t tfp_j (1 + ai_t kappa g(GPU_j)) of engineers ``who``
    to firms ``firm`` (element by element)."""
    eng = model.engineers
    tier = eng.tier[who]
    return 12.0 * eng.productivity[who] * model.tier_output[tier] * (
        model.firm_table["factor"][firm, tier]
    )


def monthly_revenue(model: TalentMarket) -> np.ndarray:
    """R_j for every firm (dollars this month)."""
    eng = model.engineers
    employed = eng.firm != UNEMPLOYED
    firm = eng.firm[employed]
    tier = eng.tier[employed]
    output = eng.productivity[employed] * model.tier_output[tier] * model.firm_table["factor"][
        firm, tier
    ]
    return np.bincount(firm, weights=output, minlength=len(model.firms))


def output_by_firm_and_tier(model: TalentMarket) -> np.ndarray:
    """(firms x tiers) array of sum_{i at j, tier t} a_i q_t: a team's output before the
    firm's factor, so that the value of firm k's team to firm j is
    12 sum_t factor_jt * out_kt (one pass over the engineers for every pair of firms)."""
    eng = model.engineers
    employed = eng.firm != UNEMPLOYED
    n_tiers = len(eng.tier_names)
    tier = eng.tier[employed]
    code = eng.firm[employed].astype(np.int64) * n_tiers + tier
    out = np.bincount(code, weights=eng.productivity[employed] * model.tier_output[tier],
                      minlength=len(model.firms) * n_tiers)
    return out.reshape(-1, n_tiers)


def valuation(model: TalentMarket, firm: int, members: np.ndarray) -> float:
    """V_j = cash_j + valuation_years * sum_{i at j} v_ij."""
    years = model.spec.economy.valuation_years
    team = float(value_to_firm(model, members, np.full(members.size, firm)).sum())
    return model.ledger.cash[firm] + years * team
