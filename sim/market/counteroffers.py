"""Counter-offers and retention calls: how an employer answers an outside offer.

**Auctions in what each firm can offer.** Firms compete for an engineer in the utility
they can deliver, not in dollars: pay together with GPU access, mission, amenities, the
outreach bonus of the poacher's note and the switching cost that favours staying. This is
the sequential auction of Postel-Vinay and Robin (2002, "PVR") with compensating
differentials: a firm's non-wage attributes enter the worker's value of the job, so a firm
with less money but a better offer on the other terms can keep or win a person (on-the-job
search with amenities: Hwang, Mortensen and Reed 1998; Sorkin 2018; Taber and Vejlin 2020
estimate a sequential-auction model with non-pecuniary job values).

For engineer i at firm j holding offers, with w_i its pay weight and N the non-pay terms of
utility (GPU pull, mission fit, amenities; the poacher's outreach bonus o_iP; the
switching cost s for staying), firm k's best bid delivers B_ik = w_i log v_ik + N_ik, with
v_ik the most it pays: its value of i (:func:`sim.market.production.value_to_firm`), at
most the pay its cash can fund, v_ik = min(value_ik, C_k), C_k = kappa_k cash_k
(:func:`sim.market.production.bid_value`, :func:`sim.market.production.pay_ceiling`: a
firm does not commit to pay it cannot fund); net of the forfeited equity for a poacher.
Expressed as pay at the employer, the poacher's best bid is worth

    v'_iP = v_iP exp((N_iP + o_iP - N_ij - s) / w_i)          (the compensating differential)

P is the offering firm with the largest v'_iP. The auction starts when P's best bid beats
staying at current pay, B_iP > w_i log pay_i + N_ij + s, that is v'_iP > pay_i. Then, in
pay at the employer (beta_t the tier's bargaining power, a reduced-form share):

    outside = max(min(v_ij, v'_iP), pay_i)     the loser's best bid (pay is never cut)
    S       = max(v_ij, v'_iP) - outside,   w = outside + beta_t S

- **the employer keeps the engineer iff v_ij >= v'_iP** (B_ij >= B_iP: a tie goes to the
  employer, who need not outbid an equal offer); its pay becomes w (``match``), or
  min(v_ij, w + beat_margin S) (``beat``: a margin of the surplus on top, insurance against
  the engineer's taste noise); P's offer stays at its posted pay;
- otherwise P wins and bids w x exp((N_ij + s - N_iP - o_iP) / w_i), the same utility in
  its own pay (w' = outside (1 + 1e-9) in the employer's pay where beta S = 0, so that the
  winner strictly beats the loser's bid); the employer's last bid v_ij is what the engineer
  would be paid if it stayed.

With pay the only term of utility (N equal, s = 0) this is the dollar auction of PVR with
the CPR split (Cahuc, Postel-Vinay and Robin 2006): the higher-value firm wins, and the
worker gets the lower value plus beta of the difference. **Departures from the
literature, stated:** wages are a stated reduced form, not values with the option value of
future offers (which lowers starting wages in PVR and CPR): beta is a reduced-form share
of the current-period surplus, not CPR's bargaining power, and is not compared with their
estimates; only the incumbent and the single best poacher bid; an engineer whose pay weight
is 0 cannot be kept by pay, so it triggers no auction.

The firm's policy (Policy.counter_offer) sits on top: ``never`` renegotiates nothing
(Meta's rule before the talent war: the engineer chooses between the posted offers and its
current pay); ``match`` and ``beat`` as above.

With equity (sim/market/equity.py) the poacher's value v_iP is replaced throughout by its
net bid b_iP = v_iP - U_i / H: to move the engineer it must make whole the unvested equity
U_i that leaving forfeits, and a poacher that wins makes whole in full (sign-on grant U_i)
at the bargained pay.

The engineer then chooses by its utility as always, with taste noise, with these pay
figures.

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
from sim.market.production import bid_value, pay_ceiling, value_to_firm
from sim.market.state import COUNTER_CODES, MarketState
from sim.market.utility import amenity_utility, choose, non_pay_utility

MAX_LOG_RATE = 50.0
"""Bound of the log of a compensating differential (:func:`exchange_rate`)."""
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
            beat_margin: np.ndarray | float = 0.0) -> Bids:
    """The wage of a counter-offer auction, in pay at the employer (``v_p`` is the
    poacher's best bid as pay at the employer, v'_iP; CPR's split with PVR as beta = 0):

        outside = max(min(v_inc, v_p), pay),   S = max(v_inc, v_p) - outside,
        w = outside + beta S;
        v_inc >= v_p:  stay_pay = min(v_inc, w + beat_margin S), poacher offer unchanged (NaN);
        v_inc <  v_p:  stay_pay = max(pay, v_inc),
                       poacher_pay = w if w > outside else min(v_p, outside (1 + TIE_BREAK)).

    A tie (v_inc = v_p) goes to the employer. ``beat_margin`` 0 is the ``match`` policy.
    Call it only where v_p > pay."""
    low = np.minimum(v_inc, v_p)
    high = np.maximum(v_inc, v_p)
    outside = np.maximum(low, pay)
    surplus = np.maximum(high - outside, 0.0)
    wage = outside + beta * surplus
    keeps = v_inc >= v_p
    stay_kept = np.maximum(np.minimum(wage + beat_margin * surplus, np.maximum(v_inc, wage)),
                           pay)
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
    stay_non_pay: np.ndarray | None = None
    """N_ij of each chooser at its employer (firm 0 for the unemployed), as
    :func:`non_pay_values` gave it, for the choice to reuse; None if not computed."""
    offer_non_pay: np.ndarray | None = None
    """N_ij of each offer (engineer, firm), likewise."""


def best_offer(choosers: np.ndarray, offers: Offers, value: np.ndarray) -> np.ndarray:
    """Index (into ``offers``) of each chooser's offer from the firm valuing it most, the
    first listed among equals: the first of each chooser's offers in
    ``np.lexsort((-value, offers.engineer))`` (:func:`sim.market.utility.choose` with no
    noise, which finds the same without sorting by value)."""
    best = choose(offers.engineer, value, 0.0, None)
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

    employer = np.where(employed, incumbent, 0)  # firm 0 standing in for the unemployed
    stay_non_pay = non_pay_values(state, choosers, employer)
    offer_non_pay = non_pay_values(state, offers.engineer, offers.firm)
    code = state.table.counter_offer[employer]
    auction = employed & (code > 0)
    if auction.any():  # the bids matter only where an employer may counter
        # Bids: each firm's value of the engineer, at most the pay its cash can fund.
        poacher_value = bid_value(state, offers.engineer, offers.firm)
        if state.equity is not None:
            # To move the engineer the poacher must cover what it forfeits: its bid is net.
            poacher_value = net_bid(poacher_value, eng.unvested[offers.engineer],
                                    state.spec.economy.match_years)
        # Each offer's best bid as pay at the engineer's employer: v'_iP (the unemployed
        # have no employer: their rate is 1, and they hold no auction).
        stay_terms = np.where(employed, stay_non_pay + state.spec.choice.switching_cost, 0.0)
        slot = np.empty(eng.n, dtype=np.int64)  # each offer's chooser, by position
        slot[choosers] = np.arange(choosers.size)
        slot = slot[offers.engineer]
        offer_terms = offer_non_pay + eng.w_outreach[offers.engineer] * offers.outreach
        rate = exchange_rate(eng.w_pay[offers.engineer], offer_terms - stay_terms[slot])
        bid_at_home = poacher_value * rate
        best = best_offer(choosers, offers, bid_at_home)
        # The auction starts when the best poacher's bid (not its posted pay) beats staying.
        auction &= (bid_at_home[best] > stay_pay) & (eng.w_pay[choosers] > 0)
    if auction.any():
        who = choosers[auction]
        inc = incumbent[auction]
        pick = best[auction]
        v_inc = bid_value(state, who, inc)
        beating = code[auction] == COUNTER_CODES["beat"]
        margin = np.where(beating, state.table.beat_margin[inc], 0.0)
        current = stay_pay[auction]
        bids = bargain(current, v_inc, bid_at_home[pick], eng.bargaining[eng.tier[who]],
                       margin)
        stay_pay[auction] = bids.stay_pay
        won = ~bids.keeps
        # The winning poacher pays the bargained utility in its own pay: w / rate, which
        # is at most its capped bid. It also makes the forfeit whole (grant G = U, worth
        # U / H a year), and what it commits stays within its cash: p + G / H <= C_P, so
        # the pay is clipped to C_P - U / H (and the grant to H (C_P - p) where the
        # forfeit alone passes C_P); the clip also keeps rounding in x rate / rate from
        # lifting the pay over C_P.
        winner = offers.firm[pick[won]]
        ceiling = pay_ceiling(state)[winner]
        horizon = state.spec.economy.match_years
        forfeit = eng.unvested[who[won]] if offers.grant is not None else np.zeros(won.sum())
        pay = np.minimum(
            np.maximum(offers.pay[pick[won]], bids.poacher_pay[won] / rate[pick[won]]),
            np.maximum(ceiling - forfeit / horizon, 0.0))
        offers.pay[pick[won]] = pay
        if offers.grant is not None:  # a poacher that wins makes the forfeit whole
            offers.grant[pick[won]] = np.minimum(forfeit,
                                                 horizon * np.maximum(ceiling - pay, 0.0))
        countered[auction] = stay_pay[auction] > current
        tallies.counter_offers += np.bincount(incumbent[countered], minlength=state.n_firms)

    calls = state.table.retention_calls
    cost = state.table.retention_call_cost
    for j in calls.nonzero()[0]:
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
    return Negotiation(stay_pay, stay_bonus, countered, called, stay_non_pay, offer_non_pay)


def non_pay_values(state: MarketState, who: np.ndarray, firm: np.ndarray) -> np.ndarray:
    """N_ij, the terms of V_ij other than pay, outreach and switching:
    w_gpu g(GPU_j) + w_mission (1 - |m_i - M_j|) + sum_k w_ik A_jk (the amenity term only
    where some engineer values amenities)."""
    eng, table = state.engineers, state.table
    values = non_pay_utility(eng.w_gpu[who], table.gpu_pull[firm], eng.w_mission[who],
                             eng.mission[who], table.mission[firm])
    if state.values_amenities:
        values += amenity_utility(np.column_stack([eng.w_safety[who], eng.w_openness[who]]),
                                  table.amenities[firm])
    return values


def exchange_rate(w_pay: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """exp(gap / w_pay): the pay at one job worth as much as one dollar at another whose
    non-pay terms are ``gap`` utility units lower (the compensating differential of log
    pay); 1 where w_pay = 0 (pay cannot compensate: no auction is held there). The exponent
    is bounded to [-MAX_LOG_RATE, MAX_LOG_RATE]: a factor beyond e^50 in pay compensates
    nothing any firm can bid, and the bound keeps every bid finite (a tiny pay weight
    would otherwise overflow to inf, and inf x 0 to NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_rate = np.clip(np.divide(gap, w_pay, out=np.zeros_like(gap, dtype=np.float64),
                                     where=w_pay > 0), -MAX_LOG_RATE, MAX_LOG_RATE)
    return np.where(w_pay > 0, np.exp(log_rate), 1.0)


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
