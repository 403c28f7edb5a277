"""Antitrust review of deals, by a stated rule.

Concentration of top-tier talent is measured by the Herfindahl-Hirschman index over
firms' shares s_j of employed top-tier engineers, HHI = sum_j (100 s_j)^2 (0-10,000).

Rules (scenario ``[antitrust]``):
- ``top_share``: block when the deal moves top-tier engineers and the buyer's share of
  employed top-tier engineers after it, 100 s_buyer', exceeds ``threshold`` percent;
- ``hhi_delta``: block when the deal raises the top-tier HHI by more than ``threshold``
  points, HHI' - HHI (for an acquisition of the whole team, 2 (100 s_a)(100 s_b)).

License-and-hire deals are reviewed only if ``review_license_and_hire`` is set (by default
they dodge review, which is why firms use them).
"""

from __future__ import annotations

import numpy as np

from sim.market.concentration import hhi
from sim.market.state import MarketState


def review(state: MarketState, buyer: int, target: int, moving: np.ndarray,
           form: str) -> tuple[bool, str]:
    """Whether the authority blocks a deal moving engineers ``moving`` from ``target`` to
    ``buyer``, and why (an empty reason when it passes or is not reviewed)."""
    rules = state.spec.antitrust
    if not rules.enabled or (form == "license_and_hire" and not rules.review_license_and_hire):
        return False, ""
    top = state.headcount()[:, 0].astype(np.float64)
    moving_top = float(np.count_nonzero(state.engineers.tier[moving] == 0))
    after = top.copy()
    after[target] -= moving_top
    after[buyer] += moving_top
    total = top.sum()
    if total == 0:
        return False, ""
    if rules.rule == "top_share":
        share = 100.0 * after[buyer] / total
        if moving_top > 0 and share > rules.threshold:
            return True, (f"buyer would hold {share:.1f}% of top-tier engineers "
                          f"(limit {rules.threshold:g}%)")
        return False, ""
    delta = hhi(after) - hhi(top)
    if delta > rules.threshold:
        return True, (f"top-tier HHI would rise by {delta:.0f} points "
                      f"(limit {rules.threshold:g})")
    return False, ""
