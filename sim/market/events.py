"""Applying the scenario's dated timeline: policy changes, funding climates, GPU supply
shocks, turmoil at a firm, and deals forced at a date.

Events are resolved once, when the model is built (:class:`sim.market.timeline.Timeline`),
and applied at the start of their month, before anything else happens that month.
"""

from __future__ import annotations

from sim.market.state import MarketState
from sim.scenario.schema import AMENITIES, AmenityChange, ForcedDeal, PolicyChange


def apply_events(state: MarketState) -> list[ForcedDeal]:
    """Apply this month's events; return the deals it forces (done in the deal phase).

    Turmoil at firm j multiplies its employees' search rate lambda1 by the event's
    multiplier while the window lasts; a policy change replaces the named rules of the
    firm (or of every firm of a kind) from this month on; an amenity change sets the firm's
    named amenities from this month on."""
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
                    firm.change_policy(event.policy)
        elif isinstance(event, ForcedDeal):
            deals.append(event)
        elif isinstance(event, AmenityChange):
            firm = state.firms[state.firm_index(event.firm)]
            for k, name in enumerate(AMENITIES):
                value = getattr(event.amenities, name)
                if value is not None:
                    firm.amenities[k] = value
    return deals
