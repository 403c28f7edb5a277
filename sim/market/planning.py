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

import numpy as np

from sim.agents.firms import Firm
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

FIRM_NUMBERS = ("gpus", "mission", "hiring_capacity", "outreach", "size", "tfp",
                "value_per_output", "expected_growth", "beat_margin", "retention_calls",
                "retention_call_cost", "make_whole", "max_pay_share")
"""The firm attributes, then the policy rules, that :func:`firm_table` reads as numbers."""


def firm_table(firms: list[Firm], spec: Scenario, tier_ai: np.ndarray, heads: np.ndarray,
               month: int, hiring: np.ndarray) -> FirmTable:
    """The firms' state as arrays; ``hiring`` (firms x tiers) says which tiers each firm
    hires this month (kept only for active firms), and a hired tier's vacancies are
    ceil(target - heads)."""
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

    active = np.array([f.active for f in firms])
    open_ = hiring & active[:, None]
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
    return FirmTable(
        gpus=gpus,
        mission=column("mission"),
        amenities=np.array([f.amenities for f in firms]).reshape(len(firms), -1),
        hiring_capacity=column("hiring_capacity"),
        outreach=column("outreach"),
        size=column("size"),
        tfp=tfp,
        pay=np.array([f.pay for f in firms]),
        active=active,
        open=open_,
        vacancies=np.where(
            open_, np.ceil(np.array([f.targets(month) for f in firms]) - heads), 0),
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


@functools.lru_cache(maxsize=8)
def _horizon(growth: bytes, match_years: float, discount_rate: float) -> np.ndarray:
    """:func:`sim.market.production.horizon_multiplier` of the growth rates ``growth`` (the
    bytes of a float64 array), kept: the rules change seldom, the table twice a month."""
    return horizon_multiplier(np.frombuffer(growth, dtype=np.float64), match_years,
                              discount_rate)


def refresh_table(state: MarketState, hiring: np.ndarray) -> None:
    """Gather the firms' state again (``state.table``) with the tiers each hires."""
    state.table = firm_table(state.firms, state.spec, state.engineers.tier_ai, state.heads,
                             state.month, hiring)


def plan_firms(state: MarketState) -> None:
    """Each active firm adjusts its posted pay from last month's headcount, hires and quits
    and places the GPU order it decides."""
    heads = state.heads  # as last month ended: nobody has moved since
    # Posted pay at most the value of a productivity-1 engineer and the pay the firm's
    # cash can fund, min(12 q_t F_jt Gamma_j, C_j).
    value_cap = np.minimum(unit_values(state), pay_ceiling(state)[:, None])
    price = state.spec.compute.gpu_price
    for firm in state.active_firms():
        j = firm.index
        quantity = firm.plan(heads[j], state.last_hires[j], state.last_quits[j],
                             state.last_offers[j], value_cap[j], state.month,
                             state.gpus.on_order[j], price)
        if quantity:
            order_gpus(state, j, quantity)


def open_vacancies(state: MarketState) -> None:
    """The firm table of the month's market, with the tiers each firm hires
    (:meth:`sim.agents.firms.Firm.hiring`)."""
    heads = state.heads
    refresh_table(state, np.array([f.hiring(heads[f.index], state.month)
                                   for f in state.firms]))
