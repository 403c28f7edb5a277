"""Concentration: the Herfindahl-Hirschman index used by competition authorities,

    HHI = sum_j (100 * s_j)^2,   s_j = firm j's share of the employed engineers considered,

from 0 (atomistic) to 10,000 (one firm). The US merger guidelines count a market as highly
concentrated above 1,800 (2023 guidelines; 2,500 in the 2010 ones).
"""

from __future__ import annotations

import numpy as np


def hhi(counts: np.ndarray) -> float:
    """Herfindahl-Hirschman index sum_j (100 s_j)^2 of headcounts (0 if nobody)."""
    total = counts.sum()
    if total == 0:
        return 0.0
    shares = 100.0 * counts / total
    return float((shares**2).sum())
