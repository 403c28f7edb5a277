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
engineer's productivity, at most the pay the firm's cash can fund, C_j = kappa_j cash_j
(:func:`sim.market.production.pay_ceiling`):

    p_iP = min(posted_Pt a_i, C_P).

With equity (sim/market/equity.py) an employed engineer forfeits its unvested equity
U_i by leaving; an offer carries the poacher's make-whole grant G_iP and is valued at the
pay equivalent p_iP + (G_iP - U_i) / H.

Every engineer with an offer then chooses between its offers and staying (the logit in
:mod:`sim.market.utility`). In the textbook limit (pay only, no noise, one offer from a random
firm) this is the job ladder of Burdett and Mortensen (1998): the steady state has
unemployment delta / (delta + lambda0) and pay among the employed distributed as
G(w) = F(w) / (1 + kappa (1 - F(w))), kappa = lambda1 / delta (see :mod:`sim.market.jobladder`).
"""

from __future__ import annotations

import itertools

import numpy as np

from sim.agents.engineers import UNEMPLOYED
from sim.market.counteroffers import negotiate, non_pay_values, record_outcomes
from sim.market.deals import depart
from sim.market.equity import make_whole_grant, offer_pay_equivalent
from sim.market.moves import (
    HIRE_FROM_UNEMPLOYMENT,
    JOB_TO_JOB,
    SEPARATION,
    Moves,
    Offers,
    distinct_engineers,
    move,
    rank_in_groups,
    to_unemployment,
)
from sim.market.production import bid_value, pay_ceiling, value_to_firm
from sim.market.profile import NullClock, PhaseClock
from sim.market.state import MarketState
from sim.market.utility import choose_stay_or_offer, pay_utility


def draw_events(state: MarketState) -> tuple[np.ndarray, np.ndarray]:
    """Who loses its job and who searches this month (boolean masks over engineers).

    With one uniform u_i per engineer: separation iff employed and u_i < delta_i; search iff
    employed and delta_i <= u_i < delta_i + lambda1_i, or unemployed and u_i < lambda0_i.
    ``state.search_multiplier[j]`` scales lambda1 for employees of firm j (turmoil); it has
    one more entry than there are firms, for the unemployed (index -1), always 1.
    """
    eng = state.engineers
    u = state.rng.random(eng.n)
    employed = eng.firm != UNEMPLOYED
    delta, delta_lam1 = eng.event_thresholds()
    if not (state.search_multiplier == 1.0).all():
        # turmoil: lambda1 scaled at some firms (with none, lambda1 x 1 is lambda1, and
        # the cut-off delta + lambda1 is the one kept from month to month)
        delta_lam1 = delta + eng.search_employed * state.search_multiplier[eng.firm]
    separates = employed & (u < delta)
    searches = np.where(employed, ~separates & (u < delta_lam1), u < eng.search_unemployed)
    return separates, searches


def separate(state: MarketState, leaving: np.ndarray) -> Moves:
    """Send the engineers in ``leaving`` (indices) to unemployment (exogenous job loss)."""
    return state.record(to_unemployment(state.engineers, leaving, SEPARATION))


def sampling_weights(state: MarketState) -> np.ndarray:
    """Chance that a searcher of tier t hears from firm j: a (tiers x firms) array.

    Only firms hiring the tier this month are drawn (``FirmTable.open``: active, paying
    the tier, with a vacancy and the cash to hire), with weights b_jt: 1 (``uniform``),
    size_j (``size``) or min(vacancies_jt, hiring_capacity_j) (``vacancies``: offers in
    proportion to hiring plans; size_j where both are unlimited).
    """
    firms = state.table
    mode = state.spec.choice.firm_sampling
    if mode == "vacancies":
        # The offers each firm plans in the tier: min(vacancies, hiring capacity); a firm
        # with neither a target nor a capacity weighs as its size.
        plan = np.minimum(firms.vacancies, firms.hiring_capacity[:, None])
        weights = (np.where(np.isfinite(plan), plan, firms.size[:, None]) * firms.open).T
    else:
        base = np.ones(state.n_firms) if mode == "uniform" else firms.size
        weights = (base[:, None] * firms.open).T
    totals = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)


def random_offers(state: MarketState, searchers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each searcher hears from ``offers_per_search`` firms drawn by :func:`sampling_weights`.

    Returns (engineer, firm) pairs. Searchers are sorted, so each tier is a contiguous block.
    """
    eng, rng = state.engineers, state.rng
    k = state.spec.choice.offers_per_search
    cumulative = sampling_weights(state).cumsum(axis=1)  # each tier's running total
    cuts = searchers.searchsorted(eng.bounds).tolist()
    totals = cumulative[:, -1].tolist()
    # The tiers with searchers and firms to hear from (weights are >= 0: a total of 0 is
    # no firm); their draws are one call, in tier order (the same numbers as a call a
    # tier). A handful of tiers: found in Python.
    drawn = [t for t, total in enumerate(totals) if cuts[t + 1] > cuts[t] and total > 0]
    if not drawn:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    blocks = [searchers[cuts[t] : cuts[t + 1]] for t in drawn]
    sizes = [block.size * k for block in blocks]
    draws = rng.random(sum(sizes))
    who = (blocks[0] if len(blocks) == 1 else np.concatenate(blocks)).repeat(k)
    firm, start = [], 0
    for t, size in zip(drawn, sizes, strict=True):
        # u x the tier's total weight (a float64 scalar times each u: the same products
        # as an array of the totals repeated)
        scaled = draws[start : start + size] * totals[t]
        firm.append(cumulative[t].searchsorted(scaled, side="right"))
        start += size
    n_firms = cumulative.shape[1]
    return who, np.minimum(np.concatenate(firm), n_firms - 1)


OUTREACH_BLOCK = 1 << 20
"""Most outreach keys (firms x top-tier engineers) drawn at once (8 MB)."""


def outreach_targets(state: MarketState) -> tuple[np.ndarray, np.ndarray]:
    """Top-tier engineers each firm's leaders contact this month: (engineer, firm) pairs.

    Firm j contacts its ``outreach`` capacity of top-tier engineers who do not work for it,
    chosen by the largest log(productivity_i) + e_ij, e_ij standard Gumbel (the
    Gumbel-top-k form of drawing without replacement with chance proportional to
    productivity). Only firms hiring the top tier this month reach out.
    """
    eng, rng = state.engineers, state.rng
    firms = state.table
    # The pool is the top tier, a contiguous block of engineers [low, high): sliced, not
    # gathered (pool[k] is engineer low + k).
    low, high = int(eng.bounds[0]), int(eng.bounds[1])
    size = high - low
    if size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    capacity = np.where(firms.open[:, 0], firms.outreach, 0)
    who, firm = [], []
    # -log(a_i): the keys are negated, so that the largest come first in an ascending
    # partition; (-x) - e is the same number as -(x + e) (negation is exact and rounding
    # to nearest is symmetric about 0).
    minus_log_a = -np.log(eng.productivity[low:high])
    employer = eng.firm[low:high]
    # each firm's employees in the pool (the unemployed, -1, counted apart)
    staff = np.bincount(employer + 1, minlength=state.n_firms + 1)[1:]
    reaching = capacity.nonzero()[0]
    # Firms in blocks of rows, one Gumbel draw per (firm, engineer) in that order: the same
    # numbers as a draw of the pool's size per firm in turn, with few calls at a small
    # market and at most OUTREACH_BLOCK keys in memory at a large one.
    rows = max(OUTREACH_BLOCK // size, 1)
    for first in range(0, reaching.size, rows):
        block = reaching[first:first + rows]
        negated = rng.gumbel(size=(block.size, size))
        np.subtract(minus_log_a, negated, out=negated)  # -(log a_i + e_ij)
        negated[employer == block[:, None]] = np.inf
        # Keys are finite (productivity > 0) but for its own employees: a firm contacts at
        # most the pool less its own staff in it
        counts = np.minimum(capacity[block], size - staff[block]).astype(np.int64).tolist()
        # The rows of one count partitioned together (a row's result is the same as its own
        # partition's), each row's picks written at its place in firm order. The rows are
        # grouped by count in Python: there are as many as firms reaching out.
        ends = list(itertools.accumulate(counts))
        picked = np.empty(ends[-1] if ends else 0, np.int64)
        rows_of: dict[int, list[int]] = {}
        for row, k in enumerate(counts):
            if k > 0:
                rows_of.setdefault(k, []).append(row)
        for k, rows_k in rows_of.items():
            chosen = negated[rows_k].argpartition(k - 1, axis=1)
            for row, picks in zip(rows_k, chosen, strict=True):
                picked[ends[row] - k:ends[row]] = picks[:k]
        who.append(picked + low)
        firm.append(block.repeat(counts))
    if not who:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if len(who) == 1:
        return who[0], firm[0]
    return np.concatenate(who), np.concatenate(firm)


def best_first(group: np.ndarray, outreach: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Indices ordered by ``group`` (a small non-negative int), then outreach first, then
    by ``value`` from highest, ties in listing order: ``np.lexsort((-value, ~outreach,
    group))``, as two stable sorts (by value, then by one small-integer key, which numpy
    sorts by radix when it fits in 16 bits)."""
    by_value = (-value).argsort(kind="stable")
    key = group[by_value].astype(np.int64) * 2 + ~outreach[by_value]
    if key.size and int(key.max()) <= np.iinfo(np.uint16).max:
        key = key.astype(np.uint16)
    return by_value[key.argsort(kind="stable")]


def first_of_each(keys: np.ndarray) -> np.ndarray:
    """The index of the first occurrence of each distinct key, by key ascending:
    ``np.unique(keys, return_index=True)[1]``, without its wrapper's checks.

    A stable sort lists each key's occurrences in index order, so the first of each run of
    equal sorted keys is its first occurrence (whichever stable sort numpy picks)."""
    order = keys.argsort(kind="stable")
    ranked = keys[order]
    starts = np.empty(ranked.size, dtype=bool)
    starts[:1] = True
    np.not_equal(ranked[1:], ranked[:-1], out=starts[1:])
    return order[starts]


def select_offers_in_two_passes(firm: np.ndarray, tier: np.ndarray, outreach: np.ndarray,
                                value: np.ndarray, vacancies: np.ndarray,
                                capacity: np.ndarray) -> np.ndarray:
    """:func:`select_offers` as it is defined: the candidates kept within each firm's
    vacancies in each tier, best first (:func:`best_first` by (firm, tier)), then those
    kept within each firm's hiring capacity, best first (by firm)."""
    slot = firm * vacancies.shape[1] + tier
    order = best_first(slot, outreach, value)
    keep = order[rank_in_groups(slot[order]) < vacancies.ravel()[slot[order]]]
    order = best_first(firm[keep], outreach[keep], value[keep])
    return keep[order[rank_in_groups(firm[keep][order]) < capacity[firm[keep][order]]]]


def select_offers(firm: np.ndarray, tier: np.ndarray, outreach: np.ndarray,
                  value: np.ndarray, vacancies: np.ndarray,
                  capacity: np.ndarray) -> np.ndarray:
    """The candidates (engineer ``tier``, ``firm``) each firm makes an offer to, as indices
    in the order the offers are listed: within its ``vacancies`` (firms x tiers) in each
    tier, then within its hiring ``capacity``, outreach candidates first, then by
    ``value`` from highest (:func:`select_offers_in_two_passes`).

    Where no firm has more candidates in a tier than its vacancies, nor more in all than
    its capacity (in a market without targets or capacities, always), nobody is dropped,
    and the two passes only order the offers: by firm, outreach first, value from highest,
    then - among ties, as the first pass listed them - by tier, then as listed. That order
    is taken here in one pass (a stable sort by tier, then :func:`best_first` by firm):
    the same indices in the same order, with one sort fewer and no ranks."""
    n_tiers = vacancies.shape[1]
    slot = firm * n_tiers + tier
    if (np.bincount(slot, minlength=vacancies.size) <= vacancies.ravel()).all() and (
            np.bincount(firm, minlength=capacity.size) <= capacity).all():
        by_tier = tier.argsort(kind="stable")
        return by_tier[best_first(firm[by_tier], outreach[by_tier], value[by_tier])]
    return select_offers_in_two_passes(firm, tier, outreach, value, vacancies, capacity)


def gather_offers(state: MarketState, searchers: np.ndarray, searching: np.ndarray) -> Offers:
    """All offers of the month, within each firm's hiring capacity.

    Random offers go to searchers; outreach offers go to the contacted engineers who search
    or, if not searching, who respond (chance = their responsiveness). A firm never offers
    to its own employees. Where a firm has more candidates than its vacancies in a tier, or
    than its hiring capacity, outreach candidates come first, then the most valuable to it.
    """
    eng, rng = state.engineers, state.rng
    firms = state.table
    r_who, r_firm = random_offers(state, searchers)
    o_who, o_firm = outreach_targets(state)
    respond = searching[o_who] | (rng.random(o_who.size) < eng.responsiveness[o_who])
    state.log.tallies.outreach_contacts = np.bincount(o_firm, minlength=state.n_firms)
    o_who, o_firm = o_who[respond], o_firm[respond]

    who = np.concatenate([o_who, r_who])
    firm = np.concatenate([o_firm, r_firm])
    outreach = np.zeros(who.size, bool)
    outreach[:o_who.size] = True
    keep = eng.firm[who] != firm
    who, firm, outreach = who[keep], firm[keep], outreach[keep]
    # One offer per (engineer, firm); outreach ones listed first, so they are the ones kept.
    first = first_of_each(who * state.n_firms + firm)
    who, firm, outreach = who[first], firm[first], outreach[first]

    # Vacancies, then hiring capacity: each firm keeps its best candidates, outreach first,
    # then by value to the firm v_ij (comparable across tiers).
    keep = select_offers(firm, eng.tier[who], outreach, value_to_firm(state, who, firm),
                         firms.vacancies, firms.hiring_capacity)
    who, firm, outreach = who[keep], firm[keep], outreach[keep]
    # Posted pay for the engineer's productivity, at most what the firm's cash can fund.
    pay = np.minimum(firms.pay[firm, eng.tier[who]] * eng.productivity[who],
                     pay_ceiling(state)[firm])
    if state.equity is None:
        return Offers(who, firm, pay, outreach)
    # U_i as of now for the engineers holding offers (the only ones whose U_i is read).
    state.refresh_unvested(distinct_engineers(who, eng.n))
    grant = make_whole_grant(firms.make_whole[firm], eng.unvested[who],
                             bid_value(state, who, firm), pay,
                             state.spec.economy.match_years)
    return Offers(who, firm, pay, outreach, grant)


def stay_values(state: MarketState, who: np.ndarray, pay: np.ndarray,
                non_pay: np.ndarray | None = None) -> np.ndarray:
    """Utility of keeping one's current place (job or unemployment), for engineers ``who``
    paid ``pay`` if they stay (their pay, or a counter-offer).

    Employed: w_pay log(pay) + w_gpu g(GPU_j) + w_mission fit(m_i, M_j) + s.
    Unemployed: w_pay log(b), with b the unemployment benefit (log 0 = -inf).
    ``non_pay``: the non-pay terms N_ij at the employer (firm 0 for the unemployed), if
    already computed (:attr:`sim.market.counteroffers.Negotiation.stay_non_pay`).
    """
    eng = state.engineers
    firm = eng.firm[who]
    employed = firm != UNEMPLOYED
    current = firm_values(state, who, np.where(employed, firm, 0), pay, non_pay)
    current += state.spec.choice.switching_cost
    # log 0 = -inf whatever the weight (0 * -inf would be NaN).
    idle = eng.w_pay[who] * np.log(state.benefit) if state.benefit > 0 else np.full(
        who.size, -np.inf)
    return np.where(employed, current, idle)


def firm_values(state: MarketState, who: np.ndarray, firm: np.ndarray,
                pay: np.ndarray, non_pay: np.ndarray | None = None) -> np.ndarray:
    """V_ij without outreach or switching terms:
    w_pay log(pay) + w_gpu g(GPU_j) + w_mission (1 - |m_i - M_j|) + sum_k w_ik A_jk
    (:func:`sim.market.counteroffers.non_pay_values`, or ``non_pay`` if already
    computed for these pairs)."""
    if non_pay is None:
        non_pay = non_pay_values(state, who, firm)
    return pay_utility(state.engineers.w_pay[who], pay) + non_pay


def decide(state: MarketState, offers: Offers) -> Moves:
    """Employers answer outside offers (counter-offers, retention calls); then each engineer
    with offers picks one alternative (its offers or staying) by the logit, and those who
    pick an offer move to the firm at the offered pay."""
    eng = state.engineers
    choosers = distinct_engineers(offers.engineer, eng.n)
    deal = negotiate(state, choosers, offers)
    offer_pay = offers.pay if offers.grant is None else offer_pay_equivalent(
        offers.pay, offers.grant, eng.unvested[offers.engineer], state.spec.economy.match_years)
    offer_values = firm_values(state, offers.engineer, offers.firm, offer_pay,
                               deal.offer_non_pay)
    offer_values += eng.w_outreach[offers.engineer] * offers.outreach
    # Staying is listed first, so with no noise a tie keeps the engineer where it is.
    values = np.concatenate([stay_values(state, choosers, deal.stay_pay, deal.stay_non_pay)
                             + deal.stay_bonus, offer_values])
    # Each offer's chooser by its position among the choosers (who are sorted): the
    # choice of sim.market.utility.choose among [choosers, offers.engineer], unsorted.
    slot = np.empty(eng.n, dtype=np.intp)
    slot[choosers] = np.arange(choosers.size)
    picked = choose_stay_or_offer(values, slot[offers.engineer], state.spec.choice.noise,
                                  state.rng)
    stayed = picked < choosers.size
    record_outcomes(state, choosers, stayed, deal)
    taken = offers.take(picked[~stayed] - choosers.size)
    mover = taken.engineer
    kind = np.where(eng.firm[mover] == UNEMPLOYED, HIRE_FROM_UNEMPLOYMENT, JOB_TO_JOB)
    grant = 0.0 if taken.grant is None else taken.grant
    moved = state.record(move(eng, mover, taken.firm, taken.pay, kind, grant))
    if taken.grant is not None:  # make-whole grants, paid by the hiring firm as it hires
        cost = np.bincount(taken.firm, weights=taken.grant, minlength=state.n_firms)
        state.ledger.to_outside(np.arange(state.n_firms), "engineers",
                                np.minimum(cost, state.ledger.cash))
    state.log.tallies.outreach_hires = np.bincount(taken.firm[taken.outreach],
                                                   minlength=state.n_firms)
    return moved


def labour_market_month(state: MarketState, clock: PhaseClock | None = None) -> None:
    """Deal leavers and separations, then search, offers, counter-offers and choices: the
    month of the labour market. Moves, offers and searchers go to the month's log; the
    phases' times to ``clock`` (:mod:`sim.market.profile`), if given."""
    clock = NullClock() if clock is None else clock
    depart(state)
    separates, searching = draw_events(state)
    separate(state, separates.nonzero()[0])
    clock.lap("separations")
    searchers = searching.nonzero()[0]
    offers = gather_offers(state, searchers, searching)
    clock.lap("search and offers")
    decide(state, offers)
    state.log.offers = offers
    state.log.searchers = int(searchers.size)
    state.last_offers = np.bincount(
        offers.firm * state.n_tiers + state.engineers.tier[offers.engineer],
        minlength=state.n_firms * state.n_tiers).reshape(state.n_firms, state.n_tiers)
    clock.lap("choices and counter-offers")
