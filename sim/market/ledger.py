"""The books: a double-entry ledger of firms' cash and four outside accounts.

Every dollar moves from one account to another: firms' cash accounts, and four outside
accounts - customers (who pay revenue), engineers (who receive pay, retention bonuses and
packages), GPU vendors, and investors (who fund rounds, receive deal prices and what an
exiting firm has left). The books balance by construction:

    sum_j cash_j + sum_k outside_k = sum_j cash_j(0)   every month,

and no payment is made that a firm's cash cannot cover, so cash never goes negative.
"""

from __future__ import annotations

import numpy as np

OUTSIDE = ("customers", "engineers", "gpu_vendors", "investors")


class Ledger:
    """Cash of the firms and of the outside accounts; transfers conserve the total."""

    def __init__(self, cash: np.ndarray) -> None:
        self.cash = np.asarray(cash, dtype=np.float64).copy()
        self.outside = dict.fromkeys(OUTSIDE, 0.0)
        self.initial_total = float(self.cash.sum())

    def from_outside(self, source: str, firm: int | np.ndarray | slice,
                     amount: float | np.ndarray) -> None:
        """An outside account pays firm(s) ``amount`` (revenue, funding); ``firm`` may be a
        slice (``slice(None)``: every firm, amounts in firm order)."""
        paid = np.asarray(amount, dtype=np.float64)
        if isinstance(firm, slice):  # each firm once: the same sums as np.add.at
            self.cash[firm] += paid
        else:
            np.add.at(self.cash, firm, paid)
        self.outside[source] -= float(paid.sum())

    def to_outside(self, firm: int | np.ndarray | slice, sink: str,
                   amount: float | np.ndarray) -> None:
        """Firm(s) pay an outside account ``amount``; each must have the cash (``firm`` as
        in :meth:`from_outside`)."""
        asked = np.asarray(amount, dtype=np.float64)
        if (asked > np.asarray(self.cash[firm]) * (1 + 1e-12) + 1e-6).any():
            raise ValueError(f"payment to {sink} exceeds the firm's cash")
        # Rounding dust aside, a firm pays at most what it has: debit and credit the same.
        paid = np.minimum(asked, self.cash[firm])
        if isinstance(firm, slice):
            self.cash[firm] -= paid
        else:
            np.subtract.at(self.cash, firm, paid)
        self.outside[sink] += float(paid.sum())

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
