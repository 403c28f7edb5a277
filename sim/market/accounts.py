"""Money: a double-entry ledger, revenue, payroll, funding rounds and exits.

Every dollar moves from one account to another: firms' cash accounts, and four outside
accounts - customers (who pay revenue), engineers (who receive pay, retention bonuses and
packages), GPU vendors, and investors (who fund rounds, receive deal prices and what an
exiting firm has left). The books balance by construction:

    sum_j cash_j + sum_k outside_k = sum_j cash_j(0)   every month,

and no payment is made that a firm's cash cannot cover, so cash never goes negative.

Economics: revenue follows the production function of :mod:`sim.market.production`; start-ups
are financed in stages, raising a round when their runway runs short, sized by what their
team (and, through it, their compute) is worth (staged venture financing, Gompers 1995).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents.engineers import UNEMPLOYED
from sim.market.production import monthly_revenue, output_by_firm_and_tier

if TYPE_CHECKING:
    from sim.model import TalentMarket

OUTSIDE = ("customers", "engineers", "gpu_vendors", "investors")


class Ledger:
    """Cash of the firms and of the outside accounts; transfers conserve the total."""

    def __init__(self, cash: np.ndarray) -> None:
        self.cash = np.asarray(cash, dtype=np.float64).copy()
        self.outside = dict.fromkeys(OUTSIDE, 0.0)
        self.initial_total = float(self.cash.sum())

    def from_outside(self, source: str, firm: int | np.ndarray, amount) -> None:
        """An outside account pays firm(s) ``amount`` (revenue, funding)."""
        amount = np.asarray(amount, dtype=np.float64)
        np.add.at(self.cash, firm, amount)
        self.outside[source] -= float(amount.sum())

    def to_outside(self, firm: int | np.ndarray, sink: str, amount) -> None:
        """Firm(s) pay an outside account ``amount``; each must have the cash."""
        amount = np.asarray(amount, dtype=np.float64)
        if np.any(amount > np.asarray(self.cash[firm]) * (1 + 1e-12) + 1e-6):
            raise ValueError(f"payment to {sink} exceeds the firm's cash")
        # Rounding dust aside, a firm pays at most what it has: debit and credit the same.
        amount = np.minimum(amount, self.cash[firm])
        np.subtract.at(self.cash, firm, amount)
        self.outside[sink] += float(amount.sum())

    def between(self, payer: int, payee: int, amount: float) -> None:
        """Firm ``payer`` pays firm ``payee`` (a licence fee)."""
        if amount > self.cash[payer] + 1e-6:
            raise ValueError("payment exceeds the firm's cash")
        amount = min(amount, self.cash[payer])
        self.cash[payer] -= amount
        self.cash[payee] += amount

    @property
    def total(self) -> float:
        """All money in the books: it equals ``initial_total`` at all times."""
        return float(self.cash.sum() + sum(self.outside.values()))


def raise_funding(model: TalentMarket) -> None:
    """Funding rounds. A start-up or frontier lab with runway below
    ``funding_runway_months`` closes a round with chance funding_rate x climate; the round is
    round_years x (annual value of its AI team), sum_i v_ij over its AI engineers, which
    grows with its team and, through the compute boost, with its GPUs. Investors pay."""
    economy = model.spec.economy
    chance = min(economy.funding_rate * model.funding_multiplier(), 1.0)
    out = None
    ai = model.engineers.tier_ai
    for firm in model.active_firms():
        if firm.kind not in ("ai_startup", "frontier_lab"):
            continue
        if firm.runway() >= economy.funding_runway_months or model.rng.random() >= chance:
            continue
        out = output_by_firm_and_tier(model) if out is None else out
        # round_years x sum of v_ij over the firm's AI engineers
        j = firm.index
        size = economy.round_years * 12.0 * float(model.firm_table["factor"][j, ai] @ out[j, ai])
        if size > 0:
            model.ledger.from_outside("investors", firm.index, size)
            model.tally["funding"][firm.index] += size


def settle(model: TalentMarket) -> None:
    """Revenue in, payroll out.

    A firm that cannot pay its payroll keeps the engineers it can pay, most valuable per
    dollar first, and lays off the rest; a firm that cannot pay anyone exits (its engineers
    return to the market, its cash goes to its investors)."""
    from sim.market.layoffs import lay_off, layoff_order

    eng, ledger = model.engineers, model.ledger
    n_firms = len(model.firms)
    active = np.array([f.active for f in model.firms])
    revenue = np.where(active, monthly_revenue(model), 0.0)
    ledger.from_outside("customers", np.arange(n_firms), revenue)
    model.tally["revenue"] += revenue
    employed = eng.firm != UNEMPLOYED
    payroll = np.bincount(eng.firm[employed], weights=eng.pay[employed] / 12.0,
                          minlength=n_firms)
    broke = []
    for j in np.flatnonzero(payroll > ledger.cash):
        order = layoff_order(model, model.members(j))[::-1]
        keep = _affordable(eng.pay[order] / 12.0, ledger.cash[j])
        if not keep.any():
            broke.append(j)
            payroll[j] = 0.0
            continue
        lay_off(model, order[~keep])
        payroll[j] = eng.pay[order[keep]].sum() / 12.0
    ledger.to_outside(np.arange(n_firms), "engineers", payroll)
    model.tally["pay_bill"] += payroll
    for firm in model.active_firms():
        firm.remember_month(revenue[firm.index], payroll[firm.index])
    for j in broke:
        exit_firm(model, j)


def _affordable(monthly_pay: np.ndarray, cash: float) -> np.ndarray:
    """Greedy: going down the list (most valuable per dollar first), keep each engineer
    whose pay still fits in the cash left."""
    keep = np.zeros(monthly_pay.size, dtype=bool)
    left = cash
    for k, pay in enumerate(monthly_pay):
        if pay <= left:
            keep[k] = True
            left -= pay
    return keep


def exit_firm(model: TalentMarket, j: int) -> None:
    """Firm j leaves the market: engineers to unemployment, GPU orders cancelled and
    refunded, cash to its investors; its GPUs leave the market with it."""
    from sim.market.layoffs import release

    firm = model.firms[j]
    members = model.members(j)
    if members.size:
        model.extra_moves.append(release(model, members, kind="exit"))
    model.gpu_market.cancel(model, j)
    model.ledger.to_outside(j, "investors", model.ledger.cash[j])
    firm.active = False
    firm.gpus = 0.0
    model.tally["exits"][j] += 1
