"""The on-the-job search (job ladder) steady state of Burdett and Mortensen (1998).

Workers lose their job at rate delta; offers arrive at rate lambda0 to the unemployed and
lambda1 to the employed, each a draw from the posted-pay distribution F, and are accepted
when they pay more. In the steady state

    u    = delta / (delta + lambda0)                       (unemployment rate)
    G(w) = F(w) / (1 + kappa (1 - F(w))),  kappa = lambda1 / delta

where G is the distribution of pay among the employed. The model's monthly events are
exclusive (a month brings at most one of job loss and search), so these hold exactly for
its monthly rates, not only in continuous time.
"""

from __future__ import annotations

import numpy as np


def unemployment_rate(delta: float, lambda0: float) -> float:
    """Steady-state unemployment u = delta / (delta + lambda0)."""
    return delta / (delta + lambda0)


def employed_pay_cdf(F: np.ndarray, delta: float, lambda1: float) -> np.ndarray:
    """Steady-state pay distribution among the employed, G = F / (1 + kappa (1 - F))."""
    kappa = lambda1 / delta
    F = np.asarray(F, dtype=np.float64)
    return F / (1.0 + kappa * (1.0 - F))


def empirical_cdf(sample: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Share of ``sample`` at or below each point of ``at`` (ties count as below)."""
    ordered = np.sort(sample)
    return np.searchsorted(ordered, at, side="right") / ordered.size


def dkw_bound(n: int, alpha: float = 1e-3) -> float:
    """Dvoretzky-Kiefer-Wolfowitz band: P(sup |F_n - F| > eps) <= alpha for
    eps = sqrt(log(2 / alpha) / (2 n))."""
    return float(np.sqrt(np.log(2.0 / alpha) / (2.0 * n)))
