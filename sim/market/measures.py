"""Market-wide and per-firm measures of one month, computed on whole arrays.

:func:`month_measures` turns the month's log (:class:`sim.market.state.MonthLog`) and the
state into the month's row of ``market.csv`` and its columns of ``firms.csv``;
:func:`flow_counts` into its rows of ``flows.csv``. The pay indexes' base, which the
measures remember from month to month, is their own (:class:`PayIndex`, which the model
keeps), not the state's. Column names come from
:mod:`sim.columns`. Concentration is the HHI of :mod:`sim.market.concentration`.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim import columns as c
from sim.agents.engineers import UNEMPLOYED
from sim.market.concentration import hhi
from sim.market.moves import (
    DEAL_DEPARTURE,
    DEAL_TRANSFER,
    EXIT,
    HIRE_FROM_UNEMPLOYMENT,
    JOB_TO_JOB,
    SEPARATION,
    MoveKind,
    Moves,
)
from sim.market.payorder import PayOrder, linear_quantiles, sorted_median
from sim.market.state import MarketState, Tallies

DENSE_FLOW_CELLS = 1 << 22
"""Most possible flows counted in a dense array (32 MB of counts)."""

DENSE_FLOW_RATIO = 2
"""Most possible flows per move of the month counted in a dense array: a pass over the
dense array costs about as much as a sort of the moves at a ratio of 2 to 3."""


@dataclass
class FirmMonth:
    """The month's per-firm records: ``firms.csv`` columns, and hires and quits by tier
    (what next month's plans read)."""

    columns: dict[str, np.ndarray]
    hires: np.ndarray
    quits: np.ndarray


@dataclass(frozen=True)
class MonthFlows:
    """The month's moves by kind: masks over the moves, and (firms x tiers) counts."""

    hired: np.ndarray
    """Hires: from unemployment or job to job."""
    job_to_job: np.ndarray
    separated: np.ndarray
    hires: np.ndarray
    """(firms x tiers) hires by the hiring firm."""
    quits: np.ndarray
    """(firms x tiers) job-to-job moves by the firm left."""
    separations: np.ndarray
    """(firms x tiers) separations into unemployment by the firm left."""

    @classmethod
    def of(cls, state: MarketState, moves: Moves) -> MonthFlows:
        """Count ``moves`` by firm and tier."""
        j2j = moves.kind == JOB_TO_JOB
        hired = (moves.kind == HIRE_FROM_UNEMPLOYMENT) | j2j
        sep = moves.kind == SEPARATION
        # The three counts in one: codes (firm x tiers + tier) of the hiring firm, of the
        # firm left (+ one table's cells) and of the firm separated from (+ two), counted
        # at once (whole numbers: the same counts as three separate ones).
        n_firms, n_tiers = state.n_firms, state.n_tiers
        cells = n_firms * n_tiers
        tier = state.engineers.tier[moves.engineer]
        to = moves.destination.astype(np.int64) * n_tiers + tier
        left = moves.source.astype(np.int64) * n_tiers + tier
        left_sep = left[sep]
        left_sep += 2 * cells
        left_j2j = left[j2j]
        left_j2j += cells
        counts = np.bincount(np.concatenate([to[hired], left_j2j, left_sep]),
                             minlength=3 * cells).reshape(3, n_firms, n_tiers)
        return cls(hired, j2j, sep, counts[0], counts[1], counts[2])


def _by_firm_and_tier(state: MarketState, firm: np.ndarray, who: np.ndarray) -> np.ndarray:
    n_tiers = state.n_tiers
    code = firm.astype(np.int64) * n_tiers + state.engineers.tier[who]
    counts = np.bincount(code, minlength=state.n_firms * n_tiers)
    return counts.reshape(-1, n_tiers)


def _ratio(top: float, bottom: float) -> float:
    """top / bottom, NaN where bottom is 0 (a ratio to nobody's pay is undefined)."""
    return top / bottom if bottom != 0 else np.nan


@dataclass
class PayIndex:
    """The AI and non-AI pay indexes: index_m = 100 x median_m / base, the base being the
    median in the first month with employed engineers of the kind (NaN until then)."""

    base: list[float] = field(default_factory=lambda: [math.nan, math.nan])
    """AI, then non-AI median pay at the base month."""

    def index(self, k: int, median: float) -> float:
        """The index of kind ``k`` (0: AI, 1: non-AI) for this month's ``median`` (which
        is the base if there is none yet)."""
        if math.isnan(self.base[k]):
            self.base[k] = median
        return _ratio(100 * median, self.base[k])


def tally_counts(tallies: Tallies) -> dict[str, np.ndarray]:
    """The tallies that count events (whole numbers), by ``market.csv`` column."""
    return {c.COUNTER_OFFERS: tallies.counter_offers,
            c.COUNTER_OFFERS_ACCEPTED: tallies.counter_offers_accepted,
            c.RETENTION_CALLS: tallies.retention_calls,
            c.RETENTION_KEPT: tallies.retention_kept,
            c.DEALS: tallies.deals,
            c.DEALS_BLOCKED: tallies.deals_blocked,
            c.EXITS: tallies.exits}


def tally_amounts(tallies: Tallies) -> dict[str, np.ndarray]:
    """The tallies that are amounts (GPUs, dollars), by ``market.csv`` column."""
    return {c.GPU_ORDERED: tallies.gpu_ordered,
            c.GPU_ARRIVED: tallies.gpu_arrived,
            c.REVENUE: tallies.revenue,
            c.FUNDING: tallies.funding,
            c.PAY_BILL: tallies.pay_bill}


def firm_tallies(tallies: Tallies) -> dict[str, np.ndarray]:
    """The tallies recorded per firm in ``firms.csv``, by column, in column order (copies)."""
    t = tallies
    return {key: value.copy() for key, value in (
        (c.COUNTER_OFFERS, t.counter_offers),
        (c.COUNTER_OFFERS_ACCEPTED, t.counter_offers_accepted),
        (c.RETENTION_CALLS, t.retention_calls),
        (c.RETENTION_KEPT, t.retention_kept),
        (c.GPU_ORDERED, t.gpu_ordered),
        (c.GPU_ARRIVED, t.gpu_arrived),
        (c.REVENUE, t.revenue),
        (c.FUNDING, t.funding),
        (c.DEALS, t.deals),
        (c.DEALS_BLOCKED, t.deals_blocked),
        (c.EXITS, t.exits))}


@dataclass
class MeasureMemory:
    """What the month's measures keep from one month to the next, so that they only read
    the market state: the pay indexes' base and the employed engineers' pay kept sorted
    (made at the first month measured)."""

    pay_index: PayIndex = field(default_factory=PayIndex)
    pay_order: PayOrder | None = None
    """The pay kept sorted by tier group for the month's quantiles (:func:`pay_order`)."""


def month_measures(state: MarketState, moves: Moves, memory: MeasureMemory, *,
                   by_firm: bool = True, pay_statistics: bool = True,
                   sections: Collection[str] | None = None
                   ) -> tuple[dict[str, Any], FirmMonth]:
    """The month's market row (``market.csv``, :func:`market_row`) and firm columns
    (``firms.csv``, :func:`firm_columns`; empty with ``by_firm=False``, when only the
    market row is kept), from the state and the month's ``moves`` (its log's moves, joined
    once); ``memory`` keeps what the measures carry over (:class:`MeasureMemory`). Hires
    and quits by firm and tier are counted either way. With ``pay_statistics=False``
    (market row only) the row leaves out the columns of
    :func:`pay_columns` and the pay is not sorted. ``sections``: the other parts of the
    market row to compute (:data:`MARKET_SECTIONS`; None: all)."""
    flows = MonthFlows.of(state, moves)
    if not pay_statistics and not by_firm:
        row = market_row(state, moves, flows, None, memory.pay_index,
                         pay_statistics=False, sections=sections)
        return row, FirmMonth({}, flows.hires, flows.quits)
    order = pay_order(state, memory, by_firm=by_firm)
    row = market_row(state, moves, flows, order, memory.pay_index, sections=sections)
    columns = firm_columns(state, flows, order) if by_firm else {}
    return row, FirmMonth(columns, flows.hires, flows.quits)


def pay_columns(tier_names: list[str]) -> set[str]:
    """The columns of ``market.csv`` about pay: each tier's mean and quantiles, the AI and
    non-AI medians, their ratio and indexes (what ``pay_statistics=False`` leaves out)."""
    return {*(c.pay_column(label, name) for name in tier_names
              for label in ("mean", *c.PAY_QUANTILES)),
            c.AI_PAY_MEDIAN, c.NON_AI_PAY_MEDIAN, c.AI_PAY_RATIO, c.AI_PAY_INDEX,
            c.NON_AI_PAY_INDEX}


MARKET_SECTIONS = ("moves", "tiers", "concentration", "books")
"""The parts of the market row besides the month, the date and the pay statistics
(:func:`pay_columns`), which :func:`market_row` computes or leaves out together: people
and moves, the per-tier counts, concentration, and the tallies, GPUs and money."""


def section_columns(tier_names: list[str]) -> dict[str, set[str]]:
    """The ``market.csv`` columns of each of :data:`MARKET_SECTIONS`."""
    tallies = Tallies.zeros(1, 1)
    return {
        "moves": {c.ENGINEERS, c.EMPLOYED, c.UNEMPLOYED, c.UNEMPLOYMENT_RATE, c.SEARCHERS,
                  c.OFFERS, c.HIRES, c.HIRES_FROM_UNEMPLOYMENT, c.JOB_TO_JOB,
                  c.SEPARATIONS, c.JOB_TO_JOB_RATE, c.DEAL_MOVES, c.DEAL_DEPARTURES,
                  c.EXIT_RELEASES},
        "tiers": {c.per_tier(measure, name) for name in tier_names
                  for measure in (c.EMPLOYED, c.UNEMPLOYED, c.HIRES, c.QUITS, c.LAYOFFS)},
        "concentration": {c.TOP_SHARE_ABOVE_THRESHOLD, c.TOP_HIRES_BELOW_THRESHOLD,
                          c.TOP_HHI, c.HHI},
        "books": {c.OUTREACH_CONTACTS, c.OUTREACH_HIRES, c.LAYOFFS, *tally_counts(tallies),
                  *tally_amounts(tallies), c.GPU_QUEUE, c.ACTIVE_FIRMS, c.CASH_TOTAL,
                  c.MONEY_TOTAL},
    }


def market_columns(tier_names: list[str]) -> set[str]:
    """Every column of ``market.csv`` for a market of the tiers ``tier_names``: the month,
    the date, the pay statistics (:func:`pay_columns`) and the columns of every section
    (:func:`section_columns`), known without running a model."""
    return {c.MONTH, c.DATE, *pay_columns(tier_names),
            *(column for held in section_columns(tier_names).values() for column in held)}


def sections_for(columns: Collection[str], tier_names: list[str]) -> frozenset[str]:
    """The sections of :data:`MARKET_SECTIONS` that hold any of ``columns``."""
    wanted = set(columns)
    return frozenset(name for name, held in section_columns(tier_names).items()
                     if held & wanted)


def market_row(state: MarketState, moves: Moves, flows: MonthFlows,
               order: PayOrder | None, pay_index: PayIndex, *,
               pay_statistics: bool = True,
               sections: Collection[str] | None = None) -> dict[str, Any]:
    """The month's row of ``market.csv``: people and flows, pay by tier, concentration,
    the pay indexes (:class:`PayIndex`: index = 100 x median / base), the tallies summed
    over firms, GPUs and money. With
    ``pay_statistics=False`` the pay columns (:func:`pay_columns`) are left out and
    ``order`` is not read. ``sections``: the parts of the row besides the month, the date
    and the pay statistics to compute (:data:`MARKET_SECTIONS`, columns by
    :func:`section_columns`; None: all); a part left out leaves its columns out, and the
    others hold the same values.

    Rates: unemployment = (engineers - employed) / engineers; job-to-job = job-to-job
    moves / employed at the month's start (at least 1)."""
    eng = state.engineers
    log = state.log
    heads = state.heads
    tallies = log.tallies
    hires, quits = flows.hires, flows.quits
    wanted = set(MARKET_SECTIONS if sections is None else sections)
    pay_wanted = order is not None and pay_statistics

    row: dict[str, Any] = {c.MONTH: state.month, c.DATE: state.date()}
    if "moves" in wanted:
        employed = heads.sum()
        by_kind = np.bincount(moves.kind, minlength=len(MoveKind))  # moves of each kind
        row.update({
            c.ENGINEERS: eng.n,
            c.EMPLOYED: int(employed),
            c.UNEMPLOYED: int(eng.n - employed),
            c.UNEMPLOYMENT_RATE: (eng.n - employed) / eng.n,
            c.SEARCHERS: log.searchers,
            c.OFFERS: int(log.offers.engineer.size),
            c.HIRES: int(flows.hired.sum()),
            c.HIRES_FROM_UNEMPLOYMENT: int(by_kind[HIRE_FROM_UNEMPLOYMENT]),
            c.JOB_TO_JOB: int(flows.job_to_job.sum()),
            c.SEPARATIONS: int(flows.separated.sum()),
            c.JOB_TO_JOB_RATE: flows.job_to_job.sum() / max(state.employed_at_start, 1),
            c.DEAL_MOVES: int(by_kind[DEAL_TRANSFER]),
            c.DEAL_DEPARTURES: int(by_kind[DEAL_DEPARTURE]),
            c.EXIT_RELEASES: int(by_kind[EXIT]),
        })
    layoffs = tallies.layoffs
    ai_pay: list[np.ndarray] = []
    other_pay: list[np.ndarray] = []
    if "tiers" in wanted or pay_wanted:
        # Whole-number columns summed over firms once (integers: any order gives the
        # same sums)
        heads_by_tier, hires_by_tier = heads.sum(axis=0), hires.sum(axis=0)
        quits_by_tier, layoffs_by_tier = quits.sum(axis=0), layoffs.sum(axis=0)
        levels = np.array(list(c.PAY_QUANTILES.values()))
        employed_rows = eng.firm != UNEMPLOYED
        for t, name in enumerate(eng.tier_names):
            block = eng.tier_slice(t)
            if "tiers" in wanted:
                row[c.per_tier(c.EMPLOYED, name)] = int(heads_by_tier[t])
                row[c.per_tier(c.UNEMPLOYED, name)] = int(block.stop - block.start
                                                            - heads_by_tier[t])
                row[c.per_tier(c.HIRES, name)] = int(hires_by_tier[t])
                row[c.per_tier(c.QUITS, name)] = int(quits_by_tier[t])
                row[c.per_tier(c.LAYOFFS, name)] = int(layoffs_by_tier[t])
            if order is None or not pay_statistics:
                continue
            pay = eng.pay[block][employed_rows[block]]
            row[c.pay_column("mean", name)] = float(pay.mean()) if pay.size else np.nan
            if order.valid:  # the same values as np.quantile, read from the sorted pay
                values = linear_quantiles(order.sorted[t], levels)
            else:
                values = np.quantile(pay, levels) if pay.size else np.full(levels.size,
                                                                           np.nan)
                (ai_pay if eng.tier_ai[t] else other_pay).append(pay)
            for label, value in zip(c.PAY_QUANTILES, values, strict=True):
                row[c.pay_column(label, name)] = float(value)

    if "concentration" in wanted:
        top = heads[:, 0]
        big = state.table.gpus >= state.spec.compute.threshold
        top_total = top.sum()
        row[c.TOP_SHARE_ABOVE_THRESHOLD] = top[big].sum() / top_total if top_total else np.nan
        # Where researchers go at the margin: top-tier hires by firms below the threshold.
        row[c.TOP_HIRES_BELOW_THRESHOLD] = int(hires[~big, 0].sum())
        row[c.TOP_HHI] = hhi(top)
        row[c.HHI] = hhi(heads.sum(axis=1))
    if order is not None and pay_statistics:
        _pay_summary(row, order, ai_pay, other_pay, pay_index)
    if "books" in wanted:
        row[c.OUTREACH_CONTACTS] = int(tallies.outreach_contacts.sum())
        row[c.OUTREACH_HIRES] = int(tallies.outreach_hires.sum())
        row[c.LAYOFFS] = int(layoffs.sum())
        for key, counts in tally_counts(tallies).items():
            row[key] = int(counts.sum())
        for key, amounts in tally_amounts(tallies).items():
            row[key] = float(amounts.sum())
        row[c.GPU_QUEUE] = state.gpus.queued
        row[c.ACTIVE_FIRMS] = int(sum(f.active for f in state.firms))
        row[c.CASH_TOTAL] = float(state.ledger.cash.sum())
        row[c.MONEY_TOTAL] = state.ledger.total
    return row


def _pay_summary(row: dict[str, Any], order: PayOrder, ai_pay: list[np.ndarray],
                 other_pay: list[np.ndarray], pay_index: PayIndex) -> None:
    """The AI and non-AI pay medians, their ratio and the pay indexes, into ``row``
    (``ai_pay`` and ``other_pay``: the tiers' pay where ``order`` is not valid)."""
    if order.valid:
        row[c.AI_PAY_MEDIAN] = sorted_median(order.sorted[-2])
        row[c.NON_AI_PAY_MEDIAN] = sorted_median(order.sorted[-1])
    else:
        ai = np.concatenate(ai_pay) if ai_pay else np.zeros(0)
        other = np.concatenate(other_pay) if other_pay else np.zeros(0)
        row[c.AI_PAY_MEDIAN] = float(np.median(ai)) if ai.size else np.nan
        row[c.NON_AI_PAY_MEDIAN] = float(np.median(other)) if other.size else np.nan
    row[c.AI_PAY_RATIO] = _ratio(row[c.AI_PAY_MEDIAN], row[c.NON_AI_PAY_MEDIAN])
    # Pay indexes: 100 at the first month with employed engineers of the kind.
    for k, (median, index) in enumerate(((c.AI_PAY_MEDIAN, c.AI_PAY_INDEX),
                                         (c.NON_AI_PAY_MEDIAN, c.NON_AI_PAY_INDEX))):
        row[index] = pay_index.index(k, row[median])


def firm_columns(state: MarketState, flows: MonthFlows,
                 order: PayOrder) -> dict[str, np.ndarray]:
    """The month's columns of ``firms.csv`` (an entry per firm): headcounts, hires, quits
    and separations by tier, offers, outreach, the monthly pay bill (sum of employees'
    yearly pay / 12), GPUs and GPUs per researcher (GPUs / top-tier heads, NaN for none),
    cash, posted pay, layoffs, the tallies, pay statistics (:func:`firm_pay_statistics`),
    and the stayers of the cohort hired 24 months before: #{i at j : tenure_i = 24} (a move
    sets tenure to 0, each month adds 1).
    """
    eng = state.engineers
    names = eng.tier_names
    heads = state.heads
    n_firms = state.n_firms
    tallies = state.log.tallies
    layoffs = tallies.layoffs
    hires, quits = flows.hires, flows.quits
    top = heads[:, 0]
    employed_mask = state.employed()
    # Places shifted by one: the unemployed count in the first bin, dropped. Each firm's
    # bin adds its employees' pay in engineer order, as a count of the employed alone
    # would (the same sums), without picking the employed out first.
    paybill = np.bincount(eng.firm + 1, weights=eng.pay, minlength=n_firms + 1)[1:]
    cohort = np.flatnonzero(employed_mask & (eng.tenure == c.STAYED_TENURE))
    stayed = _by_firm_and_tier(state, eng.firm[cohort], cohort)
    table = state.table
    return {
        c.HEADCOUNT: heads.sum(axis=1),
        **{c.per_tier(c.HEADCOUNT, name): heads[:, t] for t, name in enumerate(names)},
        c.HIRES: hires.sum(axis=1),
        **{c.per_tier(c.HIRES, name): hires[:, t] for t, name in enumerate(names)},
        c.QUITS: quits.sum(axis=1),
        **{c.per_tier(c.QUITS, name): quits[:, t] for t, name in enumerate(names)},
        c.SEPARATIONS: flows.separations.sum(axis=1),
        c.OFFERS: np.bincount(state.log.offers.firm, minlength=n_firms),
        c.OUTREACH_CONTACTS: tallies.outreach_contacts,
        c.OUTREACH_HIRES: tallies.outreach_hires,
        c.PAY_BILL_MONTHLY: paybill / 12.0,
        c.GPUS: table.gpus.copy(),
        c.GPUS_PER_RESEARCHER: np.divide(
            table.gpus, top, out=np.full(n_firms, np.nan), where=top > 0
        ),
        c.CASH: state.ledger.cash.copy(),
        c.ACTIVE: table.active.astype(np.int8),
        **{c.per_tier(c.POSTED_PAY, name): table.pay[:, t].copy()
           for t, name in enumerate(names)},
        **{c.per_tier(c.LAYOFFS, name): layoffs[:, t].copy() for t, name in enumerate(names)},
        c.LAYOFFS: layoffs.sum(axis=1),
        **firm_tallies(tallies),
        c.GPU_ON_ORDER: state.gpus.on_order.copy(),
        c.COUNTER_OFFER_POLICY: np.array([f.policy.counter_offer for f in state.firms]),
        c.STAYED_24_MONTHS: stayed.sum(axis=1),
        **{c.per_tier(c.STAYED_24_MONTHS, name): stayed[:, t] for t, name in enumerate(names)},
        **firm_pay_statistics(state, order),
    }




def pay_order(state: MarketState, memory: MeasureMemory, by_firm: bool = True) -> PayOrder:
    """``memory``'s :class:`sim.market.payorder.PayOrder` (made at its first use), brought
    up to date: groups are each tier, then the AI tiers, then the other tiers; with
    ``by_firm`` (at its first use), the AI tiers' pay is also kept sorted by firm (for
    :func:`firm_pay_statistics`)."""
    eng = state.engineers
    if memory.pay_order is None:
        ai = np.asarray(eng.tier_ai, dtype=bool)
        groups = [np.arange(state.n_tiers) == t for t in range(state.n_tiers)]
        memory.pay_order = PayOrder([*groups, ai, ~ai], eng.tier,
                                   by_firm=[int(t) for t in np.flatnonzero(ai)]
                                   if by_firm else [])
    memory.pay_order.update(eng.firm, eng.pay)
    return memory.pay_order


def sorted_quantile(values: np.ndarray, starts: np.ndarray, sizes: np.ndarray,
                    q: float) -> np.ndarray:
    """The q-quantile of each sorted run ``values[start:start + size]``, by linear
    interpolation as :func:`numpy.quantile` computes it: with h = (n - 1) q and
    k = floor(h), x_k + (h - k)(x_{k+1} - x_k)."""
    h = (sizes - 1) * q
    low = np.floor(h).astype(np.int64)
    high = np.minimum(low + 1, sizes - 1)
    below, above = values[starts + low], values[starts + high]
    return below + (h - low) * (above - below)


def firm_pay_statistics(state: MarketState,
                        order: PayOrder | None = None) -> dict[str, np.ndarray]:
    """Pay of each firm's employees by tier (``firms.csv``): the mean for every tier
    (``pay_mean_<tier>``) and, for AI tiers, the median and 90th percentile
    (``pay_median_<tier>``, ``pay_p90_<tier>``); NaN where the firm has nobody of the tier.

    Quantiles of the AI tiers only: they are the talent war's subject, and sorting them by
    firm costs a few milliseconds a month at a million engineers, where sorting every tier
    would cost tens. With ``order`` (the month's :class:`sim.market.payorder.PayOrder`,
    up to date) each firm's pay is read already sorted, with no sort at all."""
    eng = state.engineers
    n_firms = state.n_firms
    out: dict[str, np.ndarray] = {}
    for t, name in enumerate(eng.tier_names):
        block = eng.tier_slice(t)
        # Places shifted by one, the unemployed's bin dropped: each firm's pay added in
        # engineer order, the same sums as over the employed picked out.
        place = eng.firm[block] + 1
        heads = np.bincount(place, minlength=n_firms + 1)[1:]
        total = np.bincount(place, weights=eng.pay[block], minlength=n_firms + 1)[1:]
        out[c.pay_column("mean", name)] = np.divide(
            total, heads, out=np.full(n_firms, np.nan), where=heads > 0)
        if not eng.tier_ai[t]:
            continue
        if order is not None and order.valid and t in order.by_firm:  # sorted by firm, pay
            pay = order.by_firm[t].imag
        else:
            # Sorted by pay, then (stably, a radix sort for small ints) by firm: each
            # firm's pay is a sorted run, whose quantiles follow by index arithmetic.
            employed = place > 0
            firm, pay = place[employed] - 1, eng.pay[block][employed]
            by_pay = np.argsort(pay)  # ties in pay need no order: their values are equal
            keys = firm[by_pay]
            if n_firms <= np.iinfo(np.uint16).max:
                keys = keys.astype(np.uint16)  # numpy sorts 16-bit keys stably by radix
            pay = pay[by_pay[np.argsort(keys, kind="stable")]]
        present = np.flatnonzero(heads)
        starts = np.cumsum(heads)[present] - heads[present]
        for label in ("median", "p90"):
            out[c.pay_column(label, name)] = np.full(n_firms, np.nan)
            out[c.pay_column(label, name)][present] = sorted_quantile(
                pay, starts, heads[present], c.PAY_QUANTILES[label])
    return out


def flow_counts(state: MarketState, moves: Moves) -> np.ndarray | None:
    """The month's moves counted by (source, destination, tier, kind): rows of
    (month, source, destination, tier, kind, engineers) in that order, places as firm
    indices with -1 for unemployment, kinds as :class:`sim.market.moves.MoveKind` codes
    (None if nobody moved).

    They are counted in a dense array of every possible flow ((firms + 1)^2 x tiers x
    kinds) only where there are at most :data:`DENSE_FLOW_RATIO` times as many possible
    flows as moves (a pass over the flows then costs less than a sort of the moves) and at
    most :data:`DENSE_FLOW_CELLS`; otherwise sparsely (a sort of the month's moves), so
    memory grows with the moves, not with the square of the number of firms. Both give the
    same rows."""
    if not moves.engineer.size:
        return None
    n_tiers = state.n_tiers
    n_kinds = len(MoveKind)
    size = state.n_firms + 1
    code = ((moves.source + 1).astype(np.int64) * size + moves.destination + 1)
    code = (code * n_tiers + state.engineers.tier[moves.engineer]) * n_kinds + moves.kind
    cells = size * size * n_tiers * n_kinds
    if cells <= min(DENSE_FLOW_CELLS, DENSE_FLOW_RATIO * code.size):  # a count per flow: no sort
        dense = np.bincount(code, minlength=cells)
        nonzero = np.flatnonzero(dense)
        counts = dense[nonzero]
    else:
        nonzero, counts = np.unique(code, return_counts=True)
    src, rest = np.divmod(nonzero, size * n_tiers * n_kinds)
    dst, rest = np.divmod(rest, n_tiers * n_kinds)
    tier, kind = np.divmod(rest, n_kinds)
    return np.column_stack([np.full(nonzero.size, state.month), src - 1, dst - 1, tier,
                            kind, counts])
