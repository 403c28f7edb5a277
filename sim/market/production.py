"""What talent and compute produce: output, revenue, the value of an engineer, valuations.

This module is the one home of these formulas. The production function (stated in
:class:`sim.scenario.schema.Economy`): firm j's monthly revenue is

    R_j = tfp_j * sum_{i at j} a_i q_t(i) (1 + ai_t(i) * kappa * g(GPU_j))

with a_i the engineer's productivity, q_t its tier's monthly output, ai_t 1 for AI tiers,
kappa the compute boost and g the GPU pull of :func:`sim.market.utility.gpu_pull`. Revenue
is linear in talent, so engineer i's annual revenue product at firm j is

    y_ij = 12 a_i q_t tfp_j (1 + ai_t kappa g(GPU_j))          (cash: revenue, burn, layoffs)

**The value of talent is forward-looking, separate from cash flow.** What firm j would pay
engineer i a year at most (its bid in a sequential auction) is the value of the filled job:
the output it expects from i over the match, capitalised, as a constant annual wage that
costs the same (the value of a filled job in search models, Pissarides 2000, ch. 1; in
Postel-Vinay and Robin 2002 a firm bids up to the worker's productivity at the firm):

    v_ij = y_ij * Gamma_j,
    Gamma_j = sum_{m<M} (d x_j)^m / sum_{m<M} d^m,   M = 12 match_years,
              d = (1 + r)^(-1/12),  x_j = (1 + g_j)^(1/12),

with g_j the firm's expected growth a year of what an engineer's output earns
(Policy.expected_growth: a frontier lab valued on what its models will earn), r the
discount rate and match_years the expected match duration ([economy]). Gamma_j is the
discounted average growth factor over the match; g_j = 0 gives Gamma_j = 1 exactly
(today's revenue product). A team's value to a firm is the sum of its members' values,
and a firm's valuation (and the size of a funding round) follow the same forward value,

    V_j = cash_j + valuation_years * sum_{i at j} v_ij,

so a lab that burns cash but expects growth values, raises and bids as its investors do,
while its revenue, burn, runway and layoffs follow y_ij and cash.

**Value from a reported valuation.** Where a firm reports a post-money valuation Val_j and
its staff at that date n_j (scenario ``valuation`` and ``headcount``, updated by dated
``funding_round`` events), what its talent is worth to it is read from what investors paid,
not from ``tfp`` and ``expected_growth``: the firm's value of a unit of output is

    nu_j = max(Val_j - cash_j, 0) / (valuation_years * n_j * o_j),
    o_j  = mean over the firm's engineers of 12 a_i q_t (1 + ai_t kappa g(GPU_j))
           (over the tiers it pays, at a_i = 1, while it has no engineers),

so that valuation_years of the value of a reported team of n_j people like the firm's
engineers equals the valuation net of cash (V_j = cash_j + valuation_years sum_i v_ij with
the real team), and

    v_ij = 12 a_i q_t (1 + ai_t kappa g(GPU_j)) * nu_j.

nu_j is set at the start and at each dated round (:func:`price_talent`), and held between
rounds: investors price the firm's people at each round, not every month. Revenue, burn and
layoffs still follow tfp_j (cash); only the value of talent (bids, offers ranking, the cap
of posted pay) follows the valuation. This grounds the ladder of who can outbid whom in
valuations per head (a firm valued at $29B with 400 staff, against big tech's revenue per
head), the way investors price acqui-hires by value per employee (Coyle and Polsky 2013).
"""

from __future__ import annotations

import numpy as np

from sim.agents.engineers import UNEMPLOYED
from sim.agents.firms import Firm
from sim.market.state import MarketState


def compute_factor(tfp: np.ndarray, gpu_pull: np.ndarray, compute_boost: float,
                   tier_ai: np.ndarray) -> np.ndarray:
    """(firms x tiers) factor tfp_j (1 + ai_t kappa g(GPU_j)) of output into revenue."""
    boost = 1.0 + compute_boost * np.outer(gpu_pull, tier_ai)
    return tfp[:, None] * boost


def _geometric_sum(log_ratio: np.ndarray, months: int) -> np.ndarray:
    """sum_{m<M} exp(m * log_ratio) = expm1(M l) / expm1(l), and M where l = 0."""
    safe = np.where(log_ratio == 0.0, 1.0, log_ratio)
    return np.where(log_ratio == 0.0, float(months), np.expm1(months * safe) / np.expm1(safe))


def horizon_multiplier(growth: np.ndarray, match_years: float,
                       discount_rate: float) -> np.ndarray:
    """Gamma_j = sum_{m<M} (d x_j)^m / sum_{m<M} d^m, M = round(12 match_years) >= 1,
    d = (1 + r)^(-1/12), x_j = (1 + g_j)^(1/12): the discounted average over the match of
    the growth factor of an engineer's output, for expected growth ``growth`` (g_j, a
    year). Exactly 1 where g_j = 0 (the value of talent is then its revenue product)."""
    growth = np.asarray(growth, dtype=np.float64)
    months = max(round(12.0 * match_years), 1)
    log_d = -np.log1p(discount_rate) / 12.0
    log_dx = log_d + np.log1p(growth) / 12.0
    ratio = _geometric_sum(log_dx, months) / _geometric_sum(np.asarray(log_d), months)
    return np.where(growth == 0.0, 1.0, ratio)


def revenue_product(state: MarketState, who: np.ndarray, firm: np.ndarray) -> np.ndarray:
    """Annual revenue product y_ij = 12 a_i q_t tfp_j (1 + ai_t kappa g(GPU_j)) of engineers
    ``who`` at firms ``firm`` (element by element): what they earn the firm in cash now
    (the layoff order and the accounts follow it)."""
    eng = state.engineers
    tier = eng.tier[who]
    return 12.0 * eng.productivity[who] * state.tier_output[tier] * (
        state.table.factor[firm, tier]
    )


def value_to_firm(state: MarketState, who: np.ndarray, firm: np.ndarray) -> np.ndarray:
    """Annual value v_ij = y_ij * Gamma_j of engineers ``who`` to firms ``firm`` (element
    by element): the revenue product times the firm's horizon multiplier
    (:func:`horizon_multiplier`); the most the firm would pay, its auction bid."""
    eng = state.engineers
    tier = eng.tier[who]
    return 12.0 * eng.productivity[who] * state.tier_output[tier] * (
        state.table.value_factor[firm, tier]
    )


def pay_ceiling(state: MarketState) -> np.ndarray:
    """C_j = kappa_j max(cash_j, 0) for every firm: the most a year firm j commits to one
    engineer's pay (kappa_j = ``Policy.max_pay_share``, cash_j its cash now).

    **A firm does not commit to pay it cannot fund.** The value of talent v_ij is
    forward-looking (a lab valued on what its models will earn bids against that value),
    but pay is paid from cash every month (:mod:`sim.market.accounts`), so a firm bids at
    most what its cash can carry: every offer, outreach package, counter-offer and posted
    pay of firm j is at most C_j a year. All of pay counts, the part paid in stock too: the
    model's books pay all of p_i from cash, so stock is no second currency a firm could
    promise unfunded. A make-whole grant G, paid in cash at hire, counts at G / H a year
    (H = ``economy.match_years``): the firm's bid (:func:`bid_value`) is capped before its
    net of forfeited equity is taken, so where the firm sets the grant from its bid, p + G/H
    <= C_j. Pay already above C_j (cash fell since the hire) is not cut by this rule; it
    only bounds new commitments."""
    return state.table.max_pay_share * np.maximum(state.ledger.cash, 0.0)


def bid_value(state: MarketState, who: np.ndarray, firm: np.ndarray) -> np.ndarray:
    """min(v_ij, C_j): the most firm j would pay engineer i a year, its value
    (:func:`value_to_firm`) capped by the pay its cash can fund (:func:`pay_ceiling`),
    element by element. Bids, counter-offers and make-whole grants use it; the ranking of
    candidates by what they are worth uses v_ij itself."""
    return np.minimum(value_to_firm(state, who, firm), pay_ceiling(state)[firm])


def unit_values(state: MarketState) -> np.ndarray:
    """(firms x tiers) annual value 12 q_t tfp_j (1 + ai_t kappa g(GPU_j)) Gamma_j of an
    engineer of productivity 1 (the ceiling of adaptive posted pay)."""
    return 12.0 * state.tier_output[None, :] * state.table.value_factor


def monthly_revenue(state: MarketState, place: np.ndarray | None = None) -> np.ndarray:
    """R_j for every firm (dollars this month); ``place``: each engineer's firm + 1 (0 for
    the unemployed), if already computed."""
    eng = state.engineers
    # Places shifted by one: the unemployed (factor 0) count in the first bin, dropped.
    if place is None:
        place = eng.firm - UNEMPLOYED  # UNEMPLOYED is -1
    n_tiers = state.n_tiers
    factor = np.concatenate([np.zeros(n_tiers), state.table.factor.ravel()])
    output = state.unit_output() * factor[place * n_tiers + eng.tier]
    # One count in engineer order: each firm's outputs added in that order.
    return np.bincount(place, weights=output, minlength=state.n_firms + 1)[1:]


def output_by_firm_and_tier(state: MarketState) -> np.ndarray:
    """(firms x tiers) array of sum_{i at j, tier t} a_i q_t: a team's output before the
    firm's factor, so that the value of firm k's team to firm j is
    12 sum_t value_factor_jt * out_kt (:func:`team_value`; one pass over the engineers for every
    pair of firms)."""
    eng = state.engineers
    n_tiers = state.n_tiers
    # (place, tier) codes, places shifted by one so that the unemployed count in the first
    # row, dropped: each cell adds its engineers' outputs in engineer order, the same sums
    # as over the employed picked out.
    code = np.multiply(eng.firm, n_tiers, dtype=np.intp)
    code += eng.tier
    code += n_tiers
    out = np.bincount(code, weights=eng.productivity * state.tier_output[eng.tier],
                      minlength=(state.n_firms + 1) * n_tiers)
    return out.reshape(-1, n_tiers)[1:]


def team_value(factor: np.ndarray, output: np.ndarray, years: float = 1.0) -> float:
    """years x 12 sum_t factor_jt out_kt: ``years`` of the annual value sum_i v_ij of a
    team with output ``output`` (by tier, :func:`output_by_firm_and_tier`) to a firm with
    factors ``factor`` (pass ``FirmTable.value_factor``, F_jt Gamma_j, for the forward
    value)."""
    return years * 12.0 * float(factor @ output)


def valuation(state: MarketState, firm: int, members: np.ndarray) -> float:
    """V_j = cash_j + valuation_years * sum_{i at j} v_ij (forward values v_ij)."""
    years = state.spec.economy.valuation_years
    team = float(value_to_firm(state, members, np.full(members.size, firm)).sum())
    return float(state.ledger.cash[firm] + years * team)


def price_talent(state: MarketState, firm: Firm) -> None:
    """Set nu_j, the value of a unit of output to firm j, from its reported valuation and
    staff: nu_j = max(Val_j - cash_j, 0) / (valuation_years n_j o_j), o_j the mean annual
    output at tfp 1 of the firm's engineers, 12 a_i q_t (1 + ai_t kappa g(GPU_j)) (over the
    tiers it pays, at a_i = 1, while it has none). The firm table picks it up at its next
    refresh."""
    j = firm.index
    eng = state.engineers
    members = state.members(j)
    boost = 1.0 + state.spec.economy.compute_boost * state.table.gpu_pull[j] * eng.tier_ai
    per_tier = 12.0 * state.tier_output * boost
    if members.size:
        mean_output = float(np.mean(eng.productivity[members] * per_tier[eng.tier[members]]))
    else:
        paid = firm.pay > 0
        mean_output = float(per_tier[paid].mean()) if paid.any() else 0.0
    years = state.spec.economy.valuation_years
    denominator = years * firm.headcount * mean_output
    worth = max(firm.valuation - state.ledger.cash[j], 0.0)
    firm.value_per_output = worth / denominator if denominator > 0 else 0.0
