"""Compute: GPU orders paid up front, a limited supply, a first-come-first-served queue.

Firms pay for GPUs when they order (cash to GPU vendors) and receive them as supply allows:
each month S = supply_per_month x (supply shock multiplier) H100s are delivered to the
oldest orders first (:class:`sim.market.gpu_queue.GpuMarket`). A firm ordering 10,000
H100s behind a long queue can wait years. GPUs raise the firm's pull on engineers (and its
AI output) from the month they arrive.

Economics: a rationed market served first come, first served at a posted price (the brief:
H100s at $25-40k, "years of waiting for supply" for a small firm ordering 10,000).
"""

from __future__ import annotations

from sim.market.state import MarketState


def order_gpus(state: MarketState, firm: int, quantity: float) -> None:
    """Firm ``firm`` orders ``quantity`` H100s and pays for them now."""
    price = state.spec.compute.gpu_price
    state.ledger.to_outside(firm, "gpu_vendors", quantity * price)
    state.gpus.add(firm, state.month, quantity)
    state.log.tallies.gpu_ordered[firm] += quantity


def deliver_gpus(state: MarketState) -> None:
    """Deliver this month's supply to the oldest orders first."""
    supply = state.spec.compute.supply_per_month * state.gpu_supply_multiplier()
    for j, shipped in state.gpus.ship(supply):
        firm = state.firms[j]
        if firm.active:
            firm.gpus += shipped
        state.log.tallies.gpu_arrived[j] += shipped


def cancel_orders(state: MarketState, firm: int) -> None:
    """Cancel a firm's waiting orders and refund what it paid for the undelivered GPUs."""
    waiting = state.gpus.remove(firm)
    if waiting > 0:
        state.ledger.from_outside("gpu_vendors", firm, waiting * state.spec.compute.gpu_price)
