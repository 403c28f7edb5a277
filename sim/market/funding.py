"""Funding rounds: start-ups and frontier labs raise money when their runway runs short.

Economics: start-ups are financed in stages, raising a round when their runway runs short,
sized by what their team (and, through it, their compute) is worth (staged venture
financing, Gompers 1995).
"""

from __future__ import annotations

from sim.market.production import output_by_firm_and_tier, team_value
from sim.market.state import MarketState


def raise_funding(state: MarketState) -> None:
    """Funding rounds. A start-up or frontier lab with runway below
    ``funding_runway_months`` closes a round with chance funding_rate x climate; the round is
    round_years x (annual value of its AI team), sum_i v_ij over its AI engineers (forward
    values, :func:`sim.market.production.value_to_firm`: investors fund the growth they
    expect), which grows with its team and, through the compute boost, with its GPUs.
    Investors pay. A firm with dated rounds in the scenario (``funding_round`` events)
    raises only those: its rounds are the record's, not the rule's."""
    economy = state.spec.economy
    chance = min(economy.funding_rate * state.funding_multiplier(), 1.0)
    out = None
    ai = state.engineers.tier_ai
    for firm in state.active_firms():
        if firm.kind not in ("ai_startup", "frontier_lab") or (
                firm.index in state.timeline.funded) or state.month < firm.founded:
            continue
        if firm.runway() >= economy.funding_runway_months or state.rng.random() >= chance:
            continue
        out = output_by_firm_and_tier(state) if out is None else out
        # round_years x sum of v_ij over the firm's AI engineers
        j = firm.index
        size = team_value(state.table.value_factor[j, ai], out[j, ai], economy.round_years)
        if size > 0:
            state.ledger.from_outside("investors", firm.index, size)
            state.log.tallies.funding[firm.index] += size
