"""One month of the labour market: job loss, search, offers, outreach and choice.

Each month, for every engineer, one uniform draw u_i decides what happens to it:

- an employed engineer loses its job if u_i < delta (exogenous separation), searches if
  delta <= u_i < delta + lambda1_i, and otherwise stays put (the two events exclude each
  other, so the monthly rates are exactly delta and lambda1);
- an unemployed engineer searches if u_i < lambda0_i.

A searcher hears from ``offers_per_search`` firms, drawn among those hiring its tier
(uniformly, or in proportion to their size). Firms with outreach capacity contact top-tier
engineers of their choosing: a contacted searcher gets that firm's offer with an outreach
bonus; a contacted engineer who was not searching considers it with its responsiveness.
Each firm makes at most ``hiring_capacity`` offers (outreach first, then the most
productive candidates). An offer pays the firm's posted pay for the tier times the
engineer's productivity.

Every engineer with an offer then chooses between its offers and staying (the logit in
:mod:`sim.market.utility`). In the textbook limit (pay only, no noise, one offer from a random
firm) this is the job ladder of Burdett and Mortensen (1998): the steady state has
unemployment delta / (delta + lambda0) and pay among the employed distributed as
G(w) = F(w) / (1 + kappa (1 - F(w))), kappa = lambda1 / delta (see :mod:`sim.market.jobladder`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.agents.engineers import UNEMPLOYED
from sim.market.counteroffers import negotiate, record_outcomes
from sim.market.production import value_to_firm
from sim.market.utility import choose, log_pay, mission_fit

if TYPE_CHECKING:
    from sim.model import TalentMarket

# Kinds of move, as recorded in ``Moves.kind``.
SEPARATION = 0  # exogenous job loss
HIRE_FROM_UNEMPLOYMENT = 1
JOB_TO_JOB = 2
LAYOFF = 3
EXIT = 4  # the employer left the market
DEAL_TRANSFER = 5  # moved by an acquisition or license-and-hire
DEAL_DEPARTURE = 6  # left the buyer after a deal


@dataclass
class Moves:
    """Engineers who changed place this month: who, from where, to where, and how."""

    engineer: np.ndarray
    source: np.ndarray
    destination: np.ndarray
    kind: np.ndarray

    @classmethod
    def empty(cls) -> Moves:
        """No moves."""
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none.astype(np.int32), none.astype(np.int32), none.astype(np.int8))

    @classmethod
    def concat(cls, parts: list[Moves]) -> Moves:
        """All moves of several phases of a month, in order."""
        return cls(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__)
        )


@dataclass
class Offers:
    """Offers on the table this month, one entry per (engineer, firm)."""

    engineer: np.ndarray
    firm: np.ndarray
    pay: np.ndarray
    outreach: np.ndarray

    def take(self, keep: np.ndarray) -> Offers:
        """The offers selected by a mask or index array."""
        return Offers(self.engineer[keep], self.firm[keep], self.pay[keep], self.outreach[keep])


@dataclass
class MonthReport:
    """What the labour market did this month, for the records."""

    moves: Moves
    offers: Offers
    searchers: int


def draw_events(model: TalentMarket) -> tuple[np.ndarray, np.ndarray]:
    """Who loses its job and who searches this month (boolean masks over engineers).

    With one uniform u_i per engineer: separation iff employed and u_i < delta_i; search iff
    employed and delta_i <= u_i < delta_i + lambda1_i, or unemployed and u_i < lambda0_i.
    ``model.search_multiplier[j]`` scales lambda1 for employees of firm j (turmoil); it has
    one more entry than there are firms, for the unemployed (index -1), always 1.
    """
    eng = model.engineers
    u = model.rng.random(eng.n)
    employed = eng.firm != UNEMPLOYED
    delta = eng.separation[eng.tier]
    lam1 = eng.search_employed * model.search_multiplier[eng.firm]
    separates = employed & (u < delta)
    searches = np.where(employed, ~separates & (u < delta + lam1), u < eng.search_unemployed)
    return separates, searches


def separate(model: TalentMarket, leaving: np.ndarray) -> Moves:
    """Send the engineers in ``leaving`` (indices) to unemployment."""
    eng = model.engineers
    source = eng.firm[leaving].copy()
    eng.firm[leaving] = UNEMPLOYED
    eng.pay[leaving] = 0.0
    eng.tenure[leaving] = 0
    kind = np.full(leaving.size, SEPARATION, dtype=np.int8)
    return Moves(leaving, source, np.full(leaving.size, UNEMPLOYED, np.int32), kind)


def sampling_weights(model: TalentMarket) -> np.ndarray:
    """Chance that a searcher of tier t hears from firm j: a (tiers x firms) array.

    Only firms hiring the tier this month are drawn (``firm_table["open"]``: active, paying
    the tier, with a vacancy and the cash to hire).
    """
    firms = model.firm_table
    base = np.ones(len(model.firms)) if model.spec.choice.firm_sampling == "uniform" else (
        firms["size"]
    )
    weights = (base[:, None] * firms["open"]).T
    totals = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)


def random_offers(model: TalentMarket, searchers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each searcher hears from ``offers_per_search`` firms drawn by :func:`sampling_weights`.

    Returns (engineer, firm) pairs. Searchers are sorted, so each tier is a contiguous block.
    """
    eng, rng = model.engineers, model.rng
    k = model.spec.choice.offers_per_search
    weights = sampling_weights(model)
    cuts = np.searchsorted(searchers, eng.bounds)
    who, firm = [], []
    for t in range(len(eng.tier_names)):
        block = searchers[cuts[t] : cuts[t + 1]]
        if block.size == 0 or weights[t].sum() == 0:
            continue
        cumulative = np.cumsum(weights[t])
        draws = rng.random(block.size * k) * cumulative[-1]
        who.append(np.repeat(block, k))
        firm.append(np.minimum(np.searchsorted(cumulative, draws, side="right"),
                               len(cumulative) - 1))
    if not who:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(who), np.concatenate(firm)


def outreach_targets(model: TalentMarket) -> tuple[np.ndarray, np.ndarray]:
    """Top-tier engineers each firm's leaders contact this month: (engineer, firm) pairs.

    Firm j contacts its ``outreach`` capacity of top-tier engineers who do not work for it,
    chosen by the largest log(productivity_i) + e_ij, e_ij standard Gumbel (the
    Gumbel-top-k form of drawing without replacement with chance proportional to
    productivity). Only firms hiring the top tier this month reach out.
    """
    eng, rng = model.engineers, model.rng
    firms = model.firm_table
    pool = np.arange(*eng.tier_slice(0).indices(eng.n))
    capacity = np.where(firms["open"][:, 0], firms["outreach"], 0)
    who, firm = [], []
    if pool.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    log_a = np.log(eng.productivity[pool])
    for j in np.flatnonzero(capacity):
        keys = log_a + rng.gumbel(size=pool.size)
        keys[eng.firm[pool] == j] = -np.inf
        k = int(min(capacity[j], np.count_nonzero(np.isfinite(keys))))
        if k == 0:
            continue
        chosen = np.argpartition(-keys, k - 1)[:k]
        who.append(pool[chosen])
        firm.append(np.full(k, j))
    if not who:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(who), np.concatenate(firm)


def gather_offers(model: TalentMarket, searchers: np.ndarray, searching: np.ndarray) -> Offers:
    """All offers of the month, within each firm's hiring capacity.

    Random offers go to searchers; outreach offers go to the contacted engineers who search
    or, if not searching, who respond (chance = their responsiveness). A firm never offers
    to its own employees. Where a firm has more candidates than its vacancies in a tier, or
    than its hiring capacity, outreach candidates come first, then the most valuable to it.
    """
    eng, rng = model.engineers, model.rng
    firms = model.firm_table
    r_who, r_firm = random_offers(model, searchers)
    o_who, o_firm = outreach_targets(model)
    respond = searching[o_who] | (rng.random(o_who.size) < eng.responsiveness[o_who])
    model.outreach_contacts = np.bincount(o_firm, minlength=len(model.firms))
    o_who, o_firm = o_who[respond], o_firm[respond]

    who = np.concatenate([o_who, r_who])
    firm = np.concatenate([o_firm, r_firm])
    outreach = np.concatenate([np.ones(o_who.size, bool), np.zeros(r_who.size, bool)])
    keep = eng.firm[who] != firm
    who, firm, outreach = who[keep], firm[keep], outreach[keep]
    # One offer per (engineer, firm); outreach ones listed first, so they are the ones kept.
    _, first = np.unique(who * len(model.firms) + firm, return_index=True)
    who, firm, outreach = who[first], firm[first], outreach[first]

    # Vacancies, then hiring capacity: each firm keeps its best candidates, outreach first,
    # then by value to the firm v_ij (comparable across tiers).
    n_tiers = len(eng.tier_names)
    value = value_to_firm(model, who, firm)
    slot = firm * n_tiers + eng.tier[who]
    order = np.lexsort((-value, ~outreach, slot))
    keep = order[rank_in_groups(slot[order]) < firms["vacancies"].ravel()[slot[order]]]
    who, firm, outreach, value = who[keep], firm[keep], outreach[keep], value[keep]
    order = np.lexsort((-value, ~outreach, firm))
    keep = order[rank_in_groups(firm[order]) < firms["hiring_capacity"][firm[order]]]
    who, firm, outreach = who[keep], firm[keep], outreach[keep]
    pay = firms["pay"][firm, eng.tier[who]] * eng.productivity[who]
    return Offers(who, firm, pay, outreach)


def rank_in_groups(keys: np.ndarray) -> np.ndarray:
    """Position of each element within its run of equal ``keys`` (keys sorted)."""
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return np.arange(keys.size) - np.repeat(starts, np.diff(np.r_[starts, keys.size]))


def stay_values(model: TalentMarket, who: np.ndarray, pay: np.ndarray) -> np.ndarray:
    """Utility of keeping one's current place (job or unemployment), for engineers ``who``
    paid ``pay`` if they stay (their pay, or a counter-offer).

    Employed: w_pay log(pay) + w_gpu g(GPU_j) + w_mission fit(m_i, M_j) + s.
    Unemployed: w_pay log(b), with b the unemployment benefit (log 0 = -inf).
    """
    eng = model.engineers
    firm = eng.firm[who]
    employed = firm != UNEMPLOYED
    current = firm_values(model, who, np.where(employed, firm, 0), pay)
    current += model.spec.choice.switching_cost
    # log 0 = -inf whatever the weight (0 * -inf would be NaN).
    idle = eng.w_pay[who] * np.log(model.benefit) if model.benefit > 0 else np.full(
        who.size, -np.inf)
    return np.where(employed, current, idle)


def firm_values(model: TalentMarket, who: np.ndarray, firm: np.ndarray, pay: np.ndarray):
    """V_ij without outreach or switching terms:
    w_pay log(pay) + w_gpu g(GPU_j) + w_mission (1 - |m_i - M_j|)."""
    eng = model.engineers
    table = model.firm_table
    return (
        eng.w_pay[who] * log_pay(pay)
        + eng.w_gpu[who] * table["gpu_pull"][firm]
        + eng.w_mission[who] * mission_fit(eng.mission[who], table["mission"][firm])
    )


def decide(model: TalentMarket, offers: Offers) -> Moves:
    """Employers answer outside offers (counter-offers, retention calls); then each engineer
    with offers picks one alternative (its offers or staying) by the logit, and those who
    pick an offer move to the firm at the offered pay."""
    eng = model.engineers
    choosers = np.unique(offers.engineer)
    deal = negotiate(model, choosers, offers)
    offer_values = firm_values(model, offers.engineer, offers.firm, offers.pay)
    offer_values += eng.w_outreach[offers.engineer] * offers.outreach
    # Staying is listed first, so with no noise a tie keeps the engineer where it is.
    who = np.concatenate([choosers, offers.engineer])
    values = np.concatenate([stay_values(model, choosers, deal.stay_pay) + deal.stay_bonus,
                             offer_values])
    picked = choose(who, values, model.spec.choice.noise, model.rng)
    stayed = picked < choosers.size
    record_outcomes(model, choosers, stayed, deal)
    taken = offers.take(picked[~stayed] - choosers.size)
    mover = taken.engineer
    source = eng.firm[mover].copy()
    kind = np.where(source == UNEMPLOYED, HIRE_FROM_UNEMPLOYMENT, JOB_TO_JOB).astype(np.int8)
    eng.firm[mover] = taken.firm
    eng.pay[mover] = taken.pay
    eng.tenure[mover] = 0
    model.outreach_hires = np.bincount(taken.firm[taken.outreach], minlength=len(model.firms))
    return Moves(mover, source, taken.firm.astype(np.int32), kind)


def labour_market_month(model: TalentMarket) -> MonthReport:
    """Deal leavers and separations, then search, offers, counter-offers and choices: the
    month of the labour market."""
    from sim.market.deals import depart

    departed = depart(model)
    separates, searching = draw_events(model)
    left = separate(model, np.flatnonzero(separates))
    searchers = np.flatnonzero(searching)
    offers = gather_offers(model, searchers, searching)
    moved = decide(model, offers)
    return MonthReport(Moves.concat([departed, left, moved]), offers, int(searchers.size))
