"""Firm agents: who they are, what they offer, and the rules they decide by.

A firm is a Mesa agent with a name, a kind (big tech, frontier lab, AI start-up, enterprise
software...), a GPU stock in H100 equivalents, a mission (how much it is about building
frontier AI, 0..1), posted pay per engineer tier, a hiring capacity (offers a month), cash
(held in the model's ledger), an outreach capacity (personal notes or calls its leaders
make a month), and a :class:`sim.scenario.Policy` of decision rules.

Each month the firm plans (:meth:`Firm.plan`): it compares its headcount with its targets
and its cash with its burn, adjusts posted pay (adaptive pay policy) and orders GPUs.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.scenario.schema import Policy

if TYPE_CHECKING:
    from sim.model import TalentMarket


class Firm(mesa.Agent):
    """A firm competing for engineers.

    Parameters
    ----------
    model : TalentMarket
        The market the firm belongs to.
    index : int
        Position of the firm in ``model.firms`` (the value of ``Engineers.firm``).
    name, kind : str
        Name and kind of firm.
    gpus : float
        GPU stock in H100 equivalents.
    mission : float
        Mission M_j in [0, 1].
    pay : numpy array
        Posted pay per tier in dollars a year for productivity 1 (0: the tier is not hired).
    hiring_capacity : float
        Most offers the firm makes in a month (``inf``: no limit).
    cash : float
        Initial cash in dollars (the ledger holds it from then on).
    outreach : int
        Personal contacts its leaders make in a month.
    size : float
        Relative weight in the initial allocation of engineers.
    tfp : float
        Revenue per unit of output (see :mod:`sim.market.production`).
    policy : Policy
        Decision rules.
    """

    def __init__(
        self,
        model: TalentMarket,
        index: int,
        name: str,
        kind: str,
        gpus: float,
        mission: float,
        pay: np.ndarray,
        hiring_capacity: float,
        cash: float,
        outreach: int,
        size: float,
        tfp: float,
        policy: Policy,
    ) -> None:
        super().__init__(model)
        self.index = index
        self.name = name
        self.kind = kind
        self.gpus = float(gpus)
        self.mission = float(mission)
        self.pay = np.asarray(pay, dtype=np.float64).copy()
        self.hiring_capacity = float(hiring_capacity)
        self.initial_cash = float(cash)
        self.outreach = int(outreach)
        self.size = float(size)
        self.tfp = float(tfp)
        self.policy = policy
        self.active = True
        self.initial_heads = np.zeros(self.pay.size)
        self.last_revenue = math.nan
        self.last_payroll = math.nan

    def __repr__(self) -> str:
        return f"Firm({self.name!r}, kind={self.kind!r}, gpus={self.gpus:,.0f})"

    @property
    def cash(self) -> float:
        """Cash in dollars (from the model's ledger)."""
        return float(self.model.ledger.cash[self.index])

    # ------------------------------------------------------------------ targets and pressure

    def targets(self, month: int) -> np.ndarray:
        """Target headcount per tier: max(H_t(0), 1) (1 + growth_t)^(month / 12), inf
        without a growth rate (a tier empty at month 0 starts from a target of 1)."""
        out = np.full(self.pay.size, np.inf)
        for t, name in enumerate(self.model.engineers.tier_names):
            growth = self.policy.growth.get(name)
            if growth is not None:
                out[t] = max(self.initial_heads[t], 1.0) * (1.0 + growth) ** (month / 12.0)
        return out

    def runway(self) -> float:
        """Months of cash at last month's burn, cash / (payroll - revenue); inf if not
        burning (or before the first month's accounts)."""
        burn = self.last_payroll - self.last_revenue
        if not burn > 0:
            return math.inf
        return self.cash / burn

    def margin(self) -> float:
        """Last month's operating margin (revenue - payroll) / revenue."""
        if not self.last_revenue > 0:
            return -math.inf if self.last_payroll > 0 else math.inf
        return (self.last_revenue - self.last_payroll) / self.last_revenue

    def under_pressure(self) -> bool:
        """Short cash runway, or a margin below what investors demand."""
        target = self.policy.margin_target
        return self.runway() < self.policy.runway_months or (
            target is not None and self.margin() < target
        )

    def remember_month(self, revenue: float, payroll: float) -> None:
        """Keep this month's accounts for next month's plans."""
        self.last_revenue = float(revenue)
        self.last_payroll = float(payroll)

    def change_policy(self, override) -> None:
        """Change some decision rules from now on (a ``policy_change`` event); the
        scenario's ``policy_override`` still has the last word."""
        self.policy = self.policy.updated(override, self.model.spec.policy_override)

    # ------------------------------------------------------------------ the monthly plan

    def hiring(self, heads: np.ndarray) -> np.ndarray:
        """Tiers the firm hires this month: it pays the tier and is below its target; a
        firm short of runway hires nobody (a hiring freeze), and one under margin pressure
        hires only AI tiers (it cuts the others while it bids for AI talent)."""
        if not self.active or self.cash <= 0 or self.runway() < self.policy.runway_months:
            return np.zeros(self.pay.size, dtype=bool)
        open_ = (self.pay > 0) & (heads < self.targets(self.model.steps))
        if self.under_pressure():
            open_ &= self.model.engineers.tier_ai
        return open_

    def plan(self, heads: np.ndarray, hires: np.ndarray, quits: np.ndarray,
             value_cap: np.ndarray) -> None:
        """Adjust posted pay and order GPUs.

        Adaptive pay (Policy.pay_policy), the wage-posting response of a firm with
        monopsony power that cannot fill its vacancies (Burdett and Mortensen 1998; Manning
        2003): posted pay of tier t rises by raise_rate while the
        firm is short of people in t (below target, or losing more than it hires), up to
        ``value_cap[t]`` (the value of a productivity-1 engineer to the firm, when the
        scenario gives output); it freezes when runway is short and falls by cut_rate when
        runway is below half of ``runway_months``.
        GPU orders: if gpus + on order < gpu_target, order the gap, spending at most
        gpu_budget_share of cash, unless runway is short.
        """
        policy = self.policy
        runway = self.runway()
        if policy.pay_policy == "adaptive":
            if runway < policy.runway_months / 2:
                self.pay *= 1.0 - policy.cut_rate
            elif runway >= policy.runway_months:
                targets = self.targets(self.model.steps)
                short = np.where(np.isfinite(targets), heads < targets, quits > hires)
                raise_ = short & (self.pay > 0)
                raised = self.pay * (1.0 + policy.raise_rate)
                capped = np.where(value_cap > 0, np.minimum(raised, value_cap), raised)
                self.pay = np.where(raise_, np.maximum(self.pay, capped), self.pay)
        if policy.gpu_target is not None and runway >= policy.runway_months:
            market = self.model.gpu_market
            gap = policy.gpu_target - self.gpus - market.on_order[self.index]
            price = self.model.spec.compute.gpu_price
            quantity = min(gap, policy.gpu_budget_share * self.cash / price)
            if quantity >= 1:
                market.order(self.model, self.index, math.floor(quantity))
