"""Compute: GPU orders, a limited supply, and a first-come-first-served queue.

Firms pay for GPUs when they order (cash to GPU vendors) and receive them as supply allows:
each month S = supply_per_month x (supply shock multiplier) H100s are delivered to the
oldest orders first. A firm ordering 10,000 H100s behind a long queue can wait years.
GPUs raise the firm's pull on engineers (and its AI output) from the month they arrive.

Economics: a rationed market served first come, first served at a posted price (the brief:
H100s at $25-40k, "years of waiting for supply" for a small firm ordering 10,000).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model import TalentMarket


@dataclass
class Order:
    """An order still (partly) waiting for delivery."""

    firm: int
    month: int
    remaining: float


class GpuMarket:
    """The queue of GPU orders and the monthly supply."""

    def __init__(self, n_firms: int) -> None:
        self.queue: deque[Order] = deque()
        self.on_order = np.zeros(n_firms)

    def order(self, model: TalentMarket, firm: int, quantity: float) -> None:
        """Firm ``firm`` orders ``quantity`` H100s and pays for them now."""
        price = model.spec.compute.gpu_price
        model.ledger.to_outside(firm, "gpu_vendors", quantity * price)
        self.queue.append(Order(firm, model.steps, quantity))
        self.on_order[firm] += quantity
        model.tally["gpu_ordered"][firm] += quantity

    def deliver(self, model: TalentMarket) -> None:
        """Deliver this month's supply to the oldest orders first."""
        supply = model.spec.compute.supply_per_month * model.gpu_supply_multiplier()
        while supply > 0 and self.queue:
            order = self.queue[0]
            shipped = min(order.remaining, supply)
            supply -= shipped
            order.remaining -= shipped
            self.on_order[order.firm] -= shipped
            firm = model.firms[order.firm]
            if firm.active:
                firm.gpus += shipped
            model.tally["gpu_arrived"][order.firm] += shipped
            if order.remaining <= 1e-9:
                self.queue.popleft()

    @property
    def queued(self) -> float:
        """H100s ordered and not yet delivered."""
        return float(sum(o.remaining for o in self.queue))

    def cancel(self, model: TalentMarket, firm: int) -> None:
        """Cancel a firm's waiting orders and refund what it paid for the undelivered GPUs."""
        price = model.spec.compute.gpu_price
        waiting = sum(o.remaining for o in self.queue if o.firm == firm)
        self.queue = deque(o for o in self.queue if o.firm != firm)
        self.on_order[firm] = 0.0
        if waiting > 0:
            model.ledger.from_outside("gpu_vendors", firm, waiting * price)

    def transfer_orders(self, source: int, destination: int) -> None:
        """Orders of an acquired firm are delivered to its buyer."""
        for order in self.queue:
            if order.firm == source:
                order.firm = destination
        self.on_order[destination] += self.on_order[source]
        self.on_order[source] = 0.0
