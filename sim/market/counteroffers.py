"""Counter-offers and retention calls: how an employer answers an outside offer.

Wage bargaining with on-the-job search (Postel-Vinay and Robin 2002, "PVR"; Cahuc,
Postel-Vinay and Robin 2006, "CPR", Econometrica 74(2)). For each employed engineer i
holding offers, P is the outside firm that values it most (v_iP, the forward value of
:func:`sim.market.production.value_to_firm`). The auction starts when that *value* beats
current pay, v_iP > pay_i (not when P's posted offer does). Then, with v_inc = v_ij the
employer's value and beta_t the tier's bargaining power:

    outside = max(min(v_inc, v_iP), pay_i)       the lower-value firm's best bid (the
                                                 worker's outside option; pay is never cut)
    high    = max(v_inc, v_iP),   S = high - outside      (the surplus)
    w       = outside + beta_t * S                         (CPR; beta = 0: PVR's wage)

- if v_inc >= v_iP the employer keeps the engineer: its pay becomes w (``stay_pay``); P's
  offer stays at its posted pay (it is not raised to v_iP);
- if v_inc < v_iP the poacher wins: its offer becomes max(offer, w'), w' = w, or
  outside x (1 + 1e-9) where w = outside (beta S = 0), so that the higher-value firm wins
  a tie; the employer's last bid, v_inc, is what the engineer would be paid if it stayed.

The firm's policy (Policy.counter_offer) sits on top:

- ``never``: no renegotiation (Meta's rule before the talent war): the engineer chooses
  between the posted offers and its current pay;
- ``match``: the rule above;
- ``beat``: as ``match``, and an employer that keeps the engineer adds up to beat_margin x
  S, never above its own value v_inc and never more than needed to keep the engineer:

      stay_pay = min(v_inc, clip(needed, w, w + beat_margin * S)),
      needed   = v_iP * exp((N_iP + o_iP - N_ij - s) / w_pay_i)

  the pay at which staying is worth as much as P's best bid v_iP (N the non-pay terms of
  utility, o the outreach bonus of P's offer, s the switching cost; needed = w if
  w_pay_i = 0).

With equity (sim/market/equity.py) the poacher's value v_iP is replaced throughout by its
net bid b_iP = v_iP - U_i / H: to move the engineer it must make whole the unvested equity
U_i that leaving forfeits, so the threat is b_iP > pay_i, and a poacher that wins makes
whole in full (sign-on grant U_i) at the bargained pay w'.

The engineer then chooses by its utility as always (GPU access, mission and the switching
cost count too), with these pay figures.

A retention call (a founder's call, Policy.retention_calls a month, each costing
retention_call_cost) goes to the most valuable employees holding outside offers and adds
the engineer's outreach weight w_outreach_i to the utility of staying.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.agents.engineers import UNEMPLOYED
from sim.market.equity import net_bid
from sim.market.moves import Offers
from sim.market.production import value_to_firm
from sim.market.state import COUNTER_CODES, MarketState
from sim.market.utility import non_pay_utility

TIE_BREAK = 1e-9
"""Relative raise by which a winning poacher tops an outside option it matches exactly."""


@dataclass
class Bids:
    """Outcome of counter-offer auctions, one entry per auction."""

    keeps: np.ndarray
    """The employer values the engineer at least as much as the poacher (it keeps it)."""
    stay_pay: np.ndarray
    """Pay if the engineer stays: w (kept), v_inc (employer outbid), never below pay."""
    poacher_pay: np.ndarray
    """The poacher's bid: w' where it wins, NaN where it keeps its posted offer."""


def bargain(pay: np.ndarray, v_inc: np.ndarray, v_p: np.ndarray, beta: np.ndarray,
            beat_margin: np.ndarray | float = 0.0,
            needed: np.ndarray | float = np.inf) -> Bids:
    """The wage of a counter-offer auction (CPR 2006 with PVR 2002 as beta = 0):

        outside = max(min(v_inc, v_p), pay),   S = max(v_inc, v_p) - outside,
        w = outside + beta S;
        v_inc >= v_p:  stay_pay = min(v_inc, clip(needed, w, w + beat_margin S)),
                       poacher offer unchanged (NaN);
        v_inc <  v_p:  stay_pay = max(pay, v_inc),
                       poacher_pay = w if w > outside else min(v_p, outside (1 + TIE_BREAK)).

    ``beat_margin`` 0 is the ``match`` policy. Call it only where v_p > pay."""
    low = np.minimum(v_inc, v_p)
    high = np.maximum(v_inc, v_p)
    outside = np.maximum(low, pay)
    surplus = np.maximum(high - outside, 0.0)
    wage = outside + beta * surplus
    keeps = v_inc >= v_p
    beaten = np.minimum(np.clip(needed, wage, wage + beat_margin * surplus), v_inc)
    stay_kept = np.maximum(np.maximum(wage, beaten), pay)
    stay_pay = np.where(keeps, stay_kept, np.maximum(pay, v_inc))
    win = np.where(wage > outside, wage, np.minimum(v_p, outside * (1.0 + TIE_BREAK)))
    poacher_pay = np.where(keeps, np.nan, win)
    return Bids(keeps, stay_pay, poacher_pay)


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
    if state.equity is not None:
        # To move the engineer the poacher must cover what it forfeits: its bid is net.
        poacher_value = net_bid(poacher_value, eng.unvested[offers.engineer],
                                state.spec.economy.match_years)
    best = best_offer(choosers, offers, poacher_value)
    # The auction starts when the best poacher's value (not its posted pay) beats pay.
    threat = employed & (poacher_value[best] > stay_pay)
    code = state.table.counter_offer[np.where(employed, incumbent, 0)]
    auction = threat & (code > 0)
    if auction.any():
        who = choosers[auction]
        inc = incumbent[auction]
        pick = best[auction]
        rival = offers.firm[pick]
        v_inc = value_to_firm(state, who, inc)
        v_p = poacher_value[pick]
        beating = code[auction] == COUNTER_CODES["beat"]
        margin = np.where(beating, state.table.beat_margin[inc], 0.0)
        needed = np.full(who.size, np.inf)
        if beating.any():
            needed = _needed_to_keep(state, who, inc, rival, v_p, offers.outreach[pick])
        current = stay_pay[auction]
        bids = bargain(current, v_inc, v_p, eng.bargaining[eng.tier[who]], margin, needed)
        stay_pay[auction] = bids.stay_pay
        won = ~bids.keeps
        offers.pay[pick[won]] = np.maximum(offers.pay[pick[won]], bids.poacher_pay[won])
        if offers.grant is not None:  # a poacher that wins makes the forfeit whole in full
            offers.grant[pick[won]] = eng.unvested[who[won]]
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


def _needed_to_keep(state: MarketState, who: np.ndarray, inc: np.ndarray, rival: np.ndarray,
                    bid: np.ndarray, outreach: np.ndarray) -> np.ndarray:
    """needed = bid exp((N_iP + o_iP - N_ij - s) / w_pay_i): the pay at which staying at
    the employer j is worth as much, without noise, as the rival's offer at ``bid``
    (N the non-pay terms of utility, o the outreach bonus, s the switching cost);
    0 where w_pay_i = 0 (pay cannot keep the engineer, so `beat` adds nothing)."""
    eng, table = state.engineers, state.table

    def non_pay(firm: np.ndarray) -> np.ndarray:
        return non_pay_utility(eng.w_gpu[who], table.gpu_pull[firm], eng.w_mission[who],
                               eng.mission[who], table.mission[firm])

    gap = (non_pay(rival) + eng.w_outreach[who] * outreach - non_pay(inc)
           - state.spec.choice.switching_cost)
    w_pay = eng.w_pay[who]
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        needed = bid * np.exp(gap / w_pay)
    return np.where(w_pay > 0, needed, 0.0)


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
