"""Counter-offers and retention calls: how an employer answers an outside offer.

When an employee holds an outside offer that pays more than it earns, its employer acts by
its policy (Policy.counter_offer), against the poacher that values the engineer most:

- ``never``: it does not renegotiate (Meta's rule before the talent war): the engineer
  chooses between the offer and its current pay.
- ``match`` / ``beat``: the employer and the best poacher (the outside firm that values the
  engineer most) bid, each up to what the engineer is worth to it, v_inc and v_p (the
  sequential auction of Postel-Vinay and Robin 2002):

      if v_inc >= v_p:  the poacher bids v_p; the employer answers
                        min(v_inc, v_p (1 + m)),  m = 0 (match) or beat_margin (beat);
      if v_inc <  v_p:  the employer bids v_inc; the poacher answers min(v_p, v_inc (1 + e))

  with e = 1% the poacher's overbid. The firm that values the engineer more keeps or wins
  it; a retained engineer's pay rises to what the outside offer was worth. The engineer
  then chooses by its utility as always (GPU access, mission and the switching cost count
  too), with the bid pay figures.

A retention call (a founder's call, Policy.retention_calls a month, each costing
retention_call_cost) goes to the most valuable employees holding outside offers and adds
the engineer's outreach weight w_outreach_i to the utility of staying.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.agents.engineers import UNEMPLOYED
from sim.market.moves import Offers
from sim.market.production import value_to_firm
from sim.market.state import COUNTER_CODES, MarketState

POACHER_OVERBID = 0.01


@dataclass
class Negotiation:
    """Outcome of the month's negotiations, per chooser (engineers with offers, sorted)."""

    stay_pay: np.ndarray
    stay_bonus: np.ndarray
    countered: np.ndarray
    called: np.ndarray


def best_offer(choosers: np.ndarray, offers: Offers, value: np.ndarray) -> np.ndarray:
    """Index (into ``offers``) of each chooser's offer from the firm valuing it most."""
    order = np.lexsort((-value, offers.engineer))
    first = np.ones(order.size, dtype=bool)
    first[1:] = offers.engineer[order][1:] != offers.engineer[order][:-1]
    best = order[first]
    assert np.array_equal(offers.engineer[best], choosers)
    return best


def negotiate(state: MarketState, choosers: np.ndarray, offers: Offers) -> Negotiation:
    """Run counter-offer auctions and retention calls; ``offers.pay`` is updated in place
    where a poacher bids up."""
    eng = state.engineers
    tallies = state.log.tallies
    incumbent = eng.firm[choosers]
    stay_pay = eng.pay[choosers].copy()
    stay_bonus = np.zeros(choosers.size)
    countered = np.zeros(choosers.size, dtype=bool)
    called = np.zeros(choosers.size, dtype=bool)
    employed = incumbent != UNEMPLOYED
    if choosers.size == 0 or not employed.any():
        return Negotiation(stay_pay, stay_bonus, countered, called)

    poacher_value = value_to_firm(state, offers.engineer, offers.firm)
    best = best_offer(choosers, offers, poacher_value)
    top_pay = np.zeros(choosers.size)
    np.maximum.at(top_pay, np.searchsorted(choosers, offers.engineer), offers.pay)
    threat = employed & (top_pay > stay_pay)
    code = state.table.counter_offer[np.where(employed, incumbent, 0)]
    auction = threat & (code > 0)
    if auction.any():
        inc = incumbent[auction]
        v_inc = value_to_firm(state, choosers[auction], inc)
        v_p = poacher_value[best[auction]]
        margin = np.where(code[auction] == COUNTER_CODES["beat"],
                          state.table.beat_margin[inc], 0.0)
        keeps = v_inc >= v_p
        employer_bid = np.where(keeps, np.minimum(v_inc, v_p * (1 + margin)), v_inc)
        poacher_bid = np.where(keeps, v_p, np.minimum(v_p, v_inc * (1 + POACHER_OVERBID)))
        current = stay_pay[auction]
        # Nobody bids below what is on the table already.
        stay_pay[auction] = np.maximum(current, employer_bid)
        offers.pay[best[auction]] = np.maximum(offers.pay[best[auction]], poacher_bid)
        countered[auction] = stay_pay[auction] > current
        tallies.counter_offers += np.bincount(incumbent[countered], minlength=state.n_firms)

    calls = state.table.retention_calls
    cost = state.table.retention_call_cost
    for j in np.flatnonzero(calls):
        candidates = np.flatnonzero(employed & (incumbent == j))
        affordable = int(min(calls[j], state.ledger.cash[j] // max(cost[j], 1.0)))
        if candidates.size == 0 or affordable == 0:
            continue
        value = value_to_firm(state, choosers[candidates], np.full(candidates.size, j))
        chosen = candidates[np.argsort(-value, kind="stable")[:affordable]]
        called[chosen] = True
        stay_bonus[chosen] += eng.w_outreach[choosers[chosen]]
        state.ledger.to_outside(int(j), "engineers", chosen.size * cost[j])
        tallies.retention_calls[j] += chosen.size
    return Negotiation(stay_pay, stay_bonus, countered, called)


def record_outcomes(state: MarketState, choosers: np.ndarray, stayed: np.ndarray,
                    deal: Negotiation) -> None:
    """Stayers who were countered get their raise; tally kept engineers by employer."""
    eng = state.engineers
    raised = stayed & deal.countered
    eng.pay[choosers[raised]] = deal.stay_pay[raised]
    n = state.n_firms
    tallies = state.log.tallies
    firm = eng.firm[choosers]
    tallies.counter_offers_accepted += np.bincount(firm[raised], minlength=n)
    kept = stayed & deal.called
    tallies.retention_kept += np.bincount(firm[kept], minlength=n)
