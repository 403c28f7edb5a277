"""Applying the scenario's dated timeline: policy changes, funding climates, GPU supply
shocks, turmoil at a firm, dated funding rounds and GPU stocks, and deals forced at a date.

Events are resolved once, when the model is built (:class:`sim.market.timeline.Timeline`),
and applied at the start of their month, before anything else happens that month.
"""

from __future__ import annotations

import math

from sim.market.production import price_talent
from sim.market.state import MarketState
from sim.scenario.schema import (
    AMENITIES,
    AmenityChange,
    ForcedDeal,
    FundingRound,
    GpuStock,
    PolicyChange,
)


def apply_events(state: MarketState) -> list[ForcedDeal]:
    """Apply this month's events; return the deals it forces (done in the deal phase).

    Turmoil at firm j multiplies its employees' search rate lambda1 by the event's
    multiplier while the window lasts; a policy change replaces the named rules of the
    firm (or of every firm of a kind) from this month on; an amenity change sets the firm's
    named amenities from this month on; a funding round pays its amount from the investors
    to the firm and, with a reported valuation, re-prices the firm's talent
    (:func:`sim.market.production.price_talent`); a GPU stock event sets the firm's stock.
    A firm that has been bought or has exited takes no round and no GPUs: such an event is
    noted as one that did nothing (:meth:`MarketState.note_unapplied`, a warning of the run)."""
    month = state.month
    timeline = state.timeline
    state.search_multiplier[:] = 1.0
    for window in timeline.turmoil:
        if window.active(month):
            state.search_multiplier[window.firm] *= window.multiplier
    deals = []
    for event in timeline.by_month.get(month, []):
        if isinstance(event, PolicyChange):
            for firm in state.firms:
                if firm.name == event.firm or firm.kind == event.kind:
                    firm.change_policy(event.policy, scheduled=f"the policy_change "
                                       f"event of {event.month}")
        elif isinstance(event, ForcedDeal):
            deals.append(event)
        elif isinstance(event, FundingRound):
            firm = state.firms[state.firm_index(event.firm)]
            if not firm.active:
                state.note_unapplied(event, firm.name)
                continue
            state.ledger.from_outside("investors", firm.index, event.amount)
            state.log.tallies.funding[firm.index] += event.amount
            if event.headcount is not None:
                firm.headcount = float(event.headcount)
            if event.valuation is not None:
                firm.valuation = event.valuation
            if not math.isnan(firm.valuation):
                price_talent(state, firm)
        elif isinstance(event, GpuStock):
            firm = state.firms[state.firm_index(event.firm)]
            if firm.active:
                firm.gpus = event.gpus
            else:
                state.note_unapplied(event, firm.name)
        elif isinstance(event, AmenityChange):
            firm = state.firms[state.firm_index(event.firm)]
            for k, name in enumerate(AMENITIES):
                value = getattr(event.amenities, name)
                if value is not None:
                    firm.amenities[k] = value
    return deals
