"""The queue of GPU orders: first come, first served, at a limited monthly supply.

Firms pay for GPUs when they order and receive them as supply allows: each month S H100s
are shipped to the oldest orders first (:meth:`GpuMarket.ship`). The phase that pays,
delivers and tallies is :mod:`sim.market.compute`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass
class Order:
    """An order still (partly) waiting for delivery."""

    firm: int
    month: int
    remaining: float


class GpuMarket:
    """The queue of GPU orders and what each firm has on order."""

    def __init__(self, n_firms: int) -> None:
        self.queue: deque[Order] = deque()
        self.on_order = np.zeros(n_firms)

    def add(self, firm: int, month: int, quantity: float) -> None:
        """Queue an order of ``quantity`` H100s by ``firm``."""
        self.queue.append(Order(firm, month, quantity))
        self.on_order[firm] += quantity

    def ship(self, supply: float) -> list[tuple[int, float]]:
        """Ship ``supply`` H100s to the oldest orders first; return (firm, shipped) pairs
        in shipping order."""
        shipments = []
        while supply > 0 and self.queue:
            order = self.queue[0]
            shipped = min(order.remaining, supply)
            supply -= shipped
            order.remaining -= shipped
            self.on_order[order.firm] -= shipped
            shipments.append((order.firm, shipped))
            if order.remaining <= 1e-9:
                self.queue.popleft()
        return shipments

    @property
    def queued(self) -> float:
        """H100s ordered and not yet delivered."""
        return float(sum(o.remaining for o in self.queue))

    def remove(self, firm: int) -> float:
        """Drop a firm's waiting orders; return how many H100s were still waiting."""
        waiting = sum(o.remaining for o in self.queue if o.firm == firm)
        self.queue = deque(o for o in self.queue if o.firm != firm)
        self.on_order[firm] = 0.0
        return waiting

    def transfer_orders(self, source: int, destination: int) -> None:
        """Orders of an acquired firm are delivered to its buyer."""
        for order in self.queue:
            if order.firm == source:
                order.firm = destination
        self.on_order[destination] += self.on_order[source]
        self.on_order[source] = 0.0
