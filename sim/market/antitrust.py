"""Antitrust review of deals, by the screens of merger control.

**The market screened.** Deals here buy teams, and the input they concentrate is scarce
talent: the market is the employment of top-tier engineers (the first tier) by firm. Firm
j's share is s_j = c_j / sum_k c_k, with c_j its employed top-tier headcount, and

    HHI = sum_j (100 s_j)^2                      (0-10,000),
    Delta = HHI(c') - HHI(c),

c' the headcounts after the deal's top-tier movers go from the target to the buyer (for
a whole team, Delta = 2 (100 s_buyer)(100 s_target)). The 2023 US Merger Guidelines treat
mergers of competing employers as a lessening of competition for workers (Guideline 10),
and apply the same structural presumptions to them.

Screens (scenario ``[antitrust] rule``; thresholds are data, the guidelines' by default):

- ``us_2023`` (DOJ and FTC, Merger Guidelines, Dec 2023, section 2.1): block if
  HHI' > 1,800 and Delta > 100, or if 100 s'_buyer > 30 and Delta > 100;
- ``eu_2004`` (EU Horizontal Merger Guidelines, 2004, paragraphs 19-20): concerns are
  unlikely if HHI' < 1,000, or 1,000 <= HHI' <= 2,000 and Delta < 250, or HHI' > 2,000 and
  Delta < 150; any other deal is blocked;
- ``top_share``: block when the deal moves top-tier engineers and 100 s'_buyer exceeds
  ``threshold`` percent (a stylised rule);
- ``hhi_delta``: block when Delta exceeds ``threshold`` points (a stylised rule).

License-and-hire deals are reviewed only if ``review_license_and_hire`` is set (by default
they dodge review, which is why firms use them; the UK CMA found Microsoft-Inflection to be
a merger situation, Sep 2024). Dated deals and the model's own deals go through the same
:func:`screen`.
"""

from __future__ import annotations

import numpy as np

from sim.market.concentration import hhi
from sim.market.state import MarketState
from sim.scenario.schema import Antitrust


def screen(rules: Antitrust, top: np.ndarray, buyer: int, target: int,
           moving_top: int) -> tuple[bool, str]:
    """Whether ``rules`` block a deal moving ``moving_top`` top-tier engineers from
    ``target`` to ``buyer``, given firms' employed top-tier headcounts ``top`` before it,
    and why (an empty reason when it passes). A market with no top-tier engineer employed
    passes every deal."""
    before = np.asarray(top, dtype=np.float64)
    total = before.sum()
    if total == 0:
        return False, ""
    after = before.copy()
    after[target] -= moving_top
    after[buyer] += moving_top
    share = 100.0 * after[buyer] / total                    # 100 s'_buyer
    level = hhi(after)                                      # HHI'
    delta = level - hhi(before)                             # Delta
    if rules.rule == "top_share":
        if moving_top > 0 and share > rules.threshold:
            return True, (f"buyer would hold {share:.1f}% of top-tier engineers "
                          f"(limit {rules.threshold:g}%)")
        return False, ""
    if rules.rule == "hhi_delta":
        if delta > rules.threshold:
            return True, (f"top-tier HHI would rise by {delta:.0f} points "
                          f"(limit {rules.threshold:g})")
        return False, ""
    if rules.rule == "us_2023":
        if delta > rules.us_hhi_delta and level > rules.us_hhi_level:
            return True, (f"US 2023: top-tier HHI {level:.0f} above {rules.us_hhi_level:g} "
                          f"and a rise of {delta:.0f} above {rules.us_hhi_delta:g}")
        if delta > rules.us_hhi_delta and share > rules.us_share:
            return True, (f"US 2023: buyer's top-tier share {share:.1f}% above "
                          f"{rules.us_share:g}% and a rise of {delta:.0f} above "
                          f"{rules.us_hhi_delta:g}")
        return False, ""
    # eu_2004: the safe bands
    if level < rules.eu_safe_level:
        return False, ""
    if level <= rules.eu_band_level:
        if delta < rules.eu_low_delta:
            return False, ""
        return True, (f"EU 2004: top-tier HHI {level:.0f} in [{rules.eu_safe_level:g}, "
                      f"{rules.eu_band_level:g}] with a rise of {delta:.0f}, not below "
                      f"{rules.eu_low_delta:g}")
    if delta < rules.eu_high_delta:
        return False, ""
    return True, (f"EU 2004: top-tier HHI {level:.0f} above {rules.eu_band_level:g} with a "
                  f"rise of {delta:.0f}, not below {rules.eu_high_delta:g}")


def review(state: MarketState, buyer: int, target: int, moving: np.ndarray,
           form: str) -> tuple[bool, str]:
    """Whether the authority blocks a deal moving engineers ``moving`` from ``target`` to
    ``buyer``, and why (an empty reason when it passes or is not reviewed): the scenario's
    :func:`screen` on the employed top-tier headcounts, for every deal under review."""
    rules = state.spec.antitrust
    if not rules.enabled or (form == "license_and_hire" and not rules.review_license_and_hire):
        return False, ""
    moving_top = int(np.count_nonzero(state.engineers.tier[moving] == 0))
    return screen(rules, state.headcount()[:, 0], buyer, target, moving_top)
