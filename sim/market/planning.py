"""Firms plan the month, and the firm table the market works on.

At the start of each month every active firm plans (:meth:`sim.agents.firms.Firm.plan`):
it adjusts its posted pay, capped at what an engineer of productivity 1 is worth to it
(:func:`sim.market.production.unit_values`) and at the pay its cash can fund
(:func:`sim.market.production.pay_ceiling`), and decides a GPU order, which is placed at
once (:func:`sim.market.compute.order_gpus`). Once GPUs have arrived and funding rounds
closed, :func:`open_vacancies` gathers the firms into the :class:`FirmTable` with the tiers
each hires this month.
"""

from __future__ import annotations

import functools
import operator

import numpy as np

from sim.agents.firms import Firm, plan_pay_and_orders
from sim.market.compute import order_gpus
from sim.market.production import (
    compute_factor,
    horizon_multiplier,
    pay_ceiling,
    unit_values,
)
from sim.market.state import COUNTER_CODES, FirmTable, MarketState
from sim.market.utility import gpu_pull
from sim.scenario.schema import Scenario

FIRM_ATTRIBUTES = ("gpus", "mission", "hiring_capacity", "outreach", "size", "tfp",
                   "value_per_output")
POLICY_NUMBERS = ("expected_growth", "beat_margin", "retention_calls", "retention_call_cost",
                  "make_whole", "max_pay_share")
FIRM_NUMBERS = FIRM_ATTRIBUTES + POLICY_NUMBERS
"""The firm attributes, then the policy rules, that :func:`firm_table` reads as numbers."""

_SOURCE = operator.attrgetter(
    *FIRM_ATTRIBUTES, *(f"policy.{rule}" for rule in (*POLICY_NUMBERS, "counter_offer")))
"""A firm's numbers and rules that its table's fixed columns come from, as one tuple
(:data:`FIRM_NUMBERS` and the counter-offer policy; read in C by ``attrgetter``)."""


def firm_table(firms: list[Firm], spec: Scenario, tier_ai: np.ndarray, heads: np.ndarray,
               month: int, hiring: np.ndarray, previous: FirmTable | None = None,
               targets: np.ndarray | None = None) -> FirmTable:
    """The firms' state as arrays; ``hiring`` (firms x tiers) says which tiers each firm
    hires this month (kept only for active firms), and a hired tier's vacancies are
    ceil(target - heads).

    ``previous``: the table this one replaces. Where the firms' numbers and rules
    (:data:`FIRM_NUMBERS`, the counter-offer policy) and the scenario's terms they are
    combined with are those ``previous`` was built from, its arrays of them and of what is
    derived from them (GPU pull, factors, horizons) are shared, not computed again (no
    phase changes a table's arrays in place). ``targets``: the firms' target headcounts
    this month (firms x tiers), if already gathered."""
    source = (tuple(map(_SOURCE, firms)),
              spec.compute.response, spec.compute.threshold, spec.compute.width,
              spec.economy.compute_boost, spec.economy.match_years,
              spec.economy.discount_rate, tier_ai.tobytes())
    if previous is not None and previous.source == source:
        fixed = previous
    else:
        fixed = _fixed_columns(firms, spec, tier_ai)
    active = np.array([f.active for f in firms])
    open_ = hiring & active[:, None]
    if targets is None:
        targets = firm_targets(firms, month)
    n_firms = len(firms)
    return FirmTable(
        gpus=fixed.gpus,
        mission=fixed.mission,
        amenities=np.array([f.amenities for f in firms]).reshape(n_firms, -1),
        hiring_capacity=fixed.hiring_capacity,
        outreach=fixed.outreach,
        size=fixed.size,
        tfp=fixed.tfp,
        pay=np.array([f.pay for f in firms]),
        active=active,
        open=open_,
        vacancies=np.where(open_, np.ceil(targets - heads), 0),
        counter_offer=fixed.counter_offer,
        beat_margin=fixed.beat_margin,
        retention_calls=fixed.retention_calls,
        retention_call_cost=fixed.retention_call_cost,
        gpu_pull=fixed.gpu_pull,
        factor=fixed.factor,
        horizon=fixed.horizon,
        value_factor=fixed.value_factor,
        make_whole=fixed.make_whole,
        max_pay_share=fixed.max_pay_share,
        source=source,
    )


PEOPLE_A_MONTH = ("hiring_capacity", "outreach", "retention_calls")
"""The firms' numbers that count people a month, stated at ``market.teams_at``."""


def at_scale(count: np.ndarray, scale: float) -> np.ndarray:
    """Counts of people stated at another market size: max(1, rint(count x scale)) where
    the count is above 0 (a firm that reaches out keeps doing so), 0 stays 0 and an
    unlimited (inf) count stays unlimited; ``scale`` 1 leaves whole counts as they are."""
    if scale == 1.0:
        return count
    return np.where(count > 0, np.maximum(1.0, np.rint(count * scale)), count)


def _fixed_columns(firms: list[Firm], spec: Scenario, tier_ai: np.ndarray) -> FirmTable:
    """The columns of :func:`firm_table` read from the firms' numbers and rules (and
    derived from them), in a table whose other columns are empty."""
    # Every number read from the firms and their rules in one pass: a row per quantity
    # (rows copied out contiguous, as gathering each alone would give them).
    values = np.array([(f.gpus, f.mission, f.hiring_capacity, f.outreach, f.size, f.tfp,
                        f.value_per_output, f.policy.expected_growth, f.policy.beat_margin,
                        f.policy.retention_calls, f.policy.retention_call_cost,
                        f.policy.make_whole, f.policy.max_pay_share) for f in firms],
                      dtype=float).reshape(len(firms), len(FIRM_NUMBERS)).T.copy()
    number = dict(zip(FIRM_NUMBERS, values, strict=True))

    def column(key: str) -> np.ndarray:
        return number[key]

    rule = column
    # Counts of people a month (hiring capacity, outreach, retention calls) are stated at
    # market.teams_at, as the teams are: at another size each is scaled as the teams are.
    scale = spec.team_scale
    for key in PEOPLE_A_MONTH:
        number[key] = at_scale(number[key], scale)

    gpus, tfp = column("gpus"), column("tfp")
    pull = gpu_pull(gpus, spec.compute)
    factor = compute_factor(tfp, pull, spec.economy.compute_boost, tier_ai)
    horizon = _horizon(rule("expected_growth").tobytes(), spec.economy.match_years,
                       spec.economy.discount_rate).copy()
    # Firms valued by their investors: nu_j (1 + ai_t kappa g_j) instead of F_jt Gamma_j.
    nu = column("value_per_output")
    priced = np.isfinite(nu)
    value_factor = factor * horizon[:, None]
    if priced.any():
        boost = 1.0 + spec.economy.compute_boost * np.outer(pull, tier_ai)
        value_factor[priced] = nu[priced, None] * boost[priced]
    empty = np.zeros(0)
    return FirmTable(
        gpus=gpus,
        mission=column("mission"),
        amenities=empty,
        hiring_capacity=column("hiring_capacity"),
        outreach=column("outreach"),
        size=column("size"),
        tfp=tfp,
        pay=empty,
        active=empty,
        open=empty,
        vacancies=empty,
        counter_offer=np.array([COUNTER_CODES[f.policy.counter_offer] for f in firms]),
        beat_margin=rule("beat_margin"),
        retention_calls=rule("retention_calls"),
        retention_call_cost=rule("retention_call_cost"),
        gpu_pull=pull,
        factor=factor,
        horizon=horizon,
        value_factor=value_factor,
        make_whole=rule("make_whole"),
        max_pay_share=rule("max_pay_share"),
    )


def firm_targets(firms: list[Firm], month: int) -> np.ndarray:
    """(firms x tiers) target headcounts this month (:meth:`sim.agents.firms.Firm.targets`)."""
    return np.array([f.targets(month) for f in firms])


@functools.lru_cache(maxsize=8)
def _horizon(growth: bytes, match_years: float, discount_rate: float) -> np.ndarray:
    """:func:`sim.market.production.horizon_multiplier` of the growth rates ``growth`` (the
    bytes of a float64 array), kept: the rules change seldom, the table twice a month."""
    return horizon_multiplier(np.frombuffer(growth, dtype=np.float64), match_years,
                              discount_rate)


def refresh_table(state: MarketState, hiring: np.ndarray,
                  targets: np.ndarray | None = None) -> None:
    """Gather the firms' state again (``state.table``) with the tiers each hires
    (``targets``: the firms' target headcounts this month, if already gathered)."""
    state.table = firm_table(state.firms, state.spec, state.engineers.tier_ai, state.heads,
                             state.month, hiring, previous=state.table, targets=targets)


def posted_pay_caps(state: MarketState) -> np.ndarray:
    """(firms x tiers) the most each firm's adaptive posted pay may rise to:
    min(V_jt, C_j), V_jt = 12 q_t F_jt Gamma_j the value of a productivity-1 engineer
    (:func:`unit_values`; infinite where it is 0, a tier the firm's output does not value:
    no value to cap pay at) and C_j the pay its cash can fund (:func:`pay_ceiling`; 0 for
    a firm without cash, which raises no pay)."""
    values = unit_values(state)
    return np.minimum(np.where(values > 0, values, np.inf), pay_ceiling(state)[:, None])


def plan_firms(state: MarketState) -> None:
    """Each active firm adjusts its posted pay from last month's headcount, hires and quits
    and places the GPU order it decides."""
    heads = state.heads  # as last month ended: nobody has moved since
    value_cap = posted_pay_caps(state)
    firms = state.active_firms()
    if not firms:
        return
    # The rules of Firm.plan, for every active firm at once (sim/agents/firms.py:
    # plan_pay_and_orders); a firm's order changes only its own cash and queue.
    # The active firms' rows (all rows, as views, where every firm is active: the
    # function reads its arrays and returns new ones).
    j: slice | np.ndarray = (slice(None) if len(firms) == state.n_firms
                             else np.array([f.index for f in firms]))
    runway = np.array([f.runway() for f in firms])
    pay, quantity = plan_pay_and_orders(
        np.array([f.pay for f in firms]), heads[j], state.last_hires[j],
        state.last_quits[j], state.last_offers[j], value_cap[j],
        firm_targets(firms, state.month), runway, state.policy_arrays(firms),
        np.array([f.gpus for f in firms]), state.gpus.on_order[j],
        state.ledger.cash[j], state.spec.compute.gpu_price)
    for firm, row in zip(firms, pay, strict=True):
        firm.pay = row
    for k in quantity.nonzero()[0].tolist():
        order_gpus(state, firms[k].index, int(quantity[k]))


def open_vacancies(state: MarketState) -> None:
    """The firm table of the month's market, with the tiers each firm hires
    (:meth:`sim.agents.firms.Firm.hiring`, for all firms at once: a firm hires a tier it
    pays and is below its target in, unless inactive, not yet founded, out of cash or
    short of runway; one under pressure only its AI tiers)."""
    heads, month = state.heads, state.month
    firms = state.firms
    targets = firm_targets(firms, month)
    pay = np.array([f.pay for f in firms])
    can = [not (not f.active or month < f.founded or f.cash <= 0
                or f.runway() < f.policy.runway_months) for f in firms]
    hiring = (pay > 0) & (heads < targets) & np.array(can)[:, None]
    for firm, hires in zip(firms, can, strict=True):
        if hires and firm.under_pressure():
            hiring[firm.index] &= firm.ai_tiers
    refresh_table(state, hiring, targets)
