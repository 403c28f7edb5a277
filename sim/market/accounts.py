"""The month's accounts: revenue in, payroll out, and exits of firms that cannot pay.

Money moves only through the double-entry :class:`sim.market.ledger.Ledger`, so the books
balance every month and cash never goes negative. Revenue follows the production function
of :mod:`sim.market.production`. A firm short of cash for its payroll keeps whom it can
pay and lays off the rest (:func:`sim.market.layoffs.lay_off`, the one home of layoffs); a
firm that can pay nobody exits.
"""

from __future__ import annotations

import numpy as np

from sim.agents.engineers import UNEMPLOYED
from sim.market.compute import cancel_orders
from sim.market.layoffs import lay_off, layoff_order
from sim.market.moves import EXIT, to_unemployment
from sim.market.production import monthly_revenue
from sim.market.state import MarketState


def settle(state: MarketState) -> None:
    """Revenue in, payroll out.

    Revenue R_j (:func:`sim.market.production.monthly_revenue`) of active firms is paid by
    customers; payroll sum_{i at j} pay_i / 12 is paid to engineers. A firm that cannot pay
    its payroll keeps the engineers it can pay, most valuable per dollar first, and lays off
    the rest; a firm that cannot pay anyone exits (its engineers return to the market, its
    cash goes to its investors)."""
    eng, ledger = state.engineers, state.ledger
    tallies = state.log.tallies
    n_firms = state.n_firms
    active = np.array([f.active for f in state.firms])
    # Places shifted by one: the unemployed count in the first bin, dropped.
    place = eng.firm - UNEMPLOYED
    revenue = np.where(active, monthly_revenue(state, place), 0.0)
    ledger.from_outside("customers", slice(None), revenue)
    tallies.revenue += revenue
    payroll = np.bincount(place, weights=eng.pay / 12.0, minlength=n_firms + 1)[1:]
    broke = []
    for j in (payroll > ledger.cash).nonzero()[0]:
        order = layoff_order(state, state.members(int(j)))[::-1]
        keep = _affordable(eng.pay[order] / 12.0, ledger.cash[j])
        if not keep.any():
            broke.append(j)
            payroll[j] = 0.0
            continue
        lay_off(state, order[~keep])
        payroll[j] = eng.pay[order[keep]].sum() / 12.0
    ledger.to_outside(slice(None), "engineers", payroll)
    tallies.pay_bill += payroll
    revenues, payrolls = revenue.tolist(), payroll.tolist()  # the same values, as floats
    for firm in state.active_firms():
        firm.remember_month(revenues[firm.index], payrolls[firm.index])
    for j in broke:
        exit_firm(state, int(j))


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


def exit_firm(state: MarketState, j: int) -> None:
    """Firm j leaves the market: engineers to unemployment, GPU orders cancelled and
    refunded, cash to its investors; its GPUs leave the market with it."""
    firm = state.firms[j]
    members = state.members(j)
    if members.size:
        state.record(to_unemployment(state.engineers, members, EXIT))
    cancel_orders(state, j)
    state.ledger.to_outside(j, "investors", state.ledger.cash[j])
    firm.active = False
    firm.gpus = 0.0
    state.log.tallies.exits[j] += 1
