"""Acqui-hires and license-and-hire deals.

**Acquisition (acqui-hire).** A firm with cash and a talent gap (top-tier headcount below
its target) buys an AI start-up for its team. Price P = V_target x premium, with V the
target's reported valuation (its latest: the scenario's, then its funding rounds'), else
the valuation of :mod:`sim.market.production`; the buyer pays no more than the target is
worth to it (:func:`seek_deals`). The whole team joins the buyer; the target's cash and
GPUs become the buyer's and the target leaves the market. A share r of P is paid as
retention packages to the team, the rest to the target's owners (investors).

**License-and-hire.** The buyer hires a share h of the target's team (AI engineers, most
valuable first) and pays the target a licence fee (licence_share x P) plus retention
packages; the target survives as a smaller firm with its fee. Firms use it where an
acquisition would be blocked (deal_form = "auto"), or by choice.

After either, a share leave_after_deal x exp(-r / retention_effect) of the moved engineers
leaves within six months (retention packages lower it). Every deal, done or blocked, is
recorded (``deals.csv``): whether it was ``scheduled`` (a dated deal of the timeline) or
the ``model``'s own, its price as the source defines it (the acquisition price, or the
licence fee), and the retention packages in their own column.

**History as scheduled.** Dated deals (``forced_deal``) happen as reported. Unless
``[economy] rewrite_history`` is true, the model's own deals do not take a start-up that a
later dated deal names as its target (:func:`scheduled_targets`).

Economics: acqui-hiring buys a team rather than a product (Coyle and Polsky 2013,
"Acqui-hiring", Duke Law Journal); the brief's cases set the scale - Databricks paid about
six times MosaicML's valuation, Microsoft licensed Inflection's models and hired most of
its staff, a form that avoided merger review.
"""

from __future__ import annotations

import math

import numpy as np

from sim.market.antitrust import review
from sim.market.moves import DEAL_DEPARTURE, DEAL_TRANSFER, Moves, move, to_unemployment
from sim.market.production import output_by_firm_and_tier, team_value, valuation, value_to_firm
from sim.market.state import DealRecord, Departures, MarketState
from sim.scenario.schema import ForcedDeal

DEPARTURE_WINDOW = 6  # months within which deal leavers leave


def scheduled_targets(state: MarketState) -> set[int]:
    """Firms that a dated deal of a later month names as its target: reserved for history,
    {k : forced_deal e with target k and month(e) > this month}."""
    spec = state.spec
    return {state.firm_index(e.target) for e in spec.events
            if isinstance(e, ForcedDeal) and spec.month_of(e.month) > state.month}


def reported_valuation(state: MarketState, firm: int) -> float | None:
    """The firm's reported post-money valuation as of this month (``firms.NAME.valuation``,
    updated by its ``funding_round`` events), or None if none is reported."""
    reported = state.firms[firm].valuation
    return None if math.isnan(reported) else float(reported)


def seek_deals(state: MarketState, heads: np.ndarray) -> None:
    """Acquisitive firms with a top-tier gap may buy a start-up's team this month.

    With chance ``deal_rate`` a month, the buyer considers the active AI start-ups. A
    target's price is P = V_t x premium, V_t its reported valuation if the scenario gives
    one, else the model's, cash_t + Y sum_{i at t} v_it (Y = ``valuation_years``). The
    team is worth W = cash_t + Y sum_{i at t} v_i,buyer to the buyer (its cash, and its AI
    team valued by the buyer over the same years). The buyer can afford P <= max_price_share
    x its cash, and pays no more than the target is worth to it, P <= W; among the targets
    that pass both, it picks the one with the most value of AI talent per dollar of price,
    sum_i v_i,buyer / P. Start-ups that a later dated deal names are left alone
    (:func:`scheduled_targets`) unless ``[economy] rewrite_history`` is true.
    """
    out = None
    years = state.spec.economy.valuation_years
    reserved = set() if state.spec.economy.rewrite_history else scheduled_targets(state)
    for buyer in state.active_firms():
        policy = buyer.policy
        if not (policy.acquisitive and buyer.active):  # it may have been bought this month
            continue
        gap = heads[buyer.index, 0] < buyer.targets(state.month)[0]
        if not gap or state.rng.random() >= policy.deal_rate:
            continue
        # Teams' output by tier, once (again after a deal): values of whole teams follow.
        out = output_by_firm_and_tier(state) if out is None else out
        factor = state.table.value_factor
        ai = state.engineers.tier_ai
        budget = policy.max_price_share * state.ledger.cash[buyer.index]
        best, best_ratio = None, 0.0
        for target in state.active_firms():
            t = target.index
            if (target.kind != "ai_startup" or t == buyer.index or t in reserved
                    or not out[t].any()):
                continue
            # V_t: reported, or cash_t + Y sum_i v_it; priced at a premium
            reported = reported_valuation(state, t)
            value = (reported if reported is not None
                     else state.ledger.cash[t] + team_value(factor[t], out[t], years))
            price = value * policy.premium
            # what the target's AI team is worth to the buyer a year: sum_i v_i,buyer
            worth = team_value(factor[buyer.index, ai], out[t, ai])
            # ... and the target to the buyer: W = cash_t + Y sum_i v_i,buyer
            whole = state.ledger.cash[t] + years * worth
            if 0 < price <= min(budget, whole) and worth / price > best_ratio:
                best, best_ratio = (target, price), worth / price
        if best is not None:
            execute(state, buyer.index, best[0].index, policy.deal_form, best[1], review_it=True,
                    origin="model")
            out = None  # the deal moved engineers


def execute(state: MarketState, buyer: int, target: int, form: str, price: float,
            review_it: bool, hire_share: float | None = None,
            origin: str = "model") -> DealRecord:
    """Do (or try) a deal; ``form`` "auto" tries an acquisition, then license-and-hire if
    the acquisition is blocked. ``origin`` is recorded (``scheduled`` or ``model``).
    Returns the record of the last attempt."""
    forms = ["acquisition", "license_and_hire"] if form == "auto" else [form]
    for attempt in forms:
        record = _attempt(state, buyer, target, attempt, price, review_it, hire_share,
                          origin)
        if not record.blocked:
            break
    return record


def _moving(state: MarketState, buyer: int, members: np.ndarray, form: str,
            share: float) -> np.ndarray:
    if form == "acquisition":
        return members
    eng = state.engineers
    value = value_to_firm(state, members, np.full(members.size, buyer))
    ordered = members[np.lexsort((-value, ~eng.tier_ai[eng.tier[members]]))]
    return ordered[: int(np.ceil(share * members.size))]


def _attempt(state: MarketState, buyer: int, target: int, form: str, price: float,
             review_it: bool, hire_share: float | None, origin: str) -> DealRecord:
    eng, ledger, tallies = state.engineers, state.ledger, state.log.tallies
    policy = state.firms[buyer].policy
    members = state.members(target)
    reported = reported_valuation(state, target)
    value = reported if reported is not None else valuation(state, target, members)
    share = policy.hire_share if hire_share is None else hire_share
    moving = _moving(state, buyer, members, form, share)
    retention = policy.retention_share * price
    fee = policy.licence_share * price if form == "license_and_hire" else 0.0
    cost = fee + retention if form == "license_and_hire" else price
    # The price as the source defines it: the acquisition price, or the licence fee.
    stated = fee if form == "license_and_hire" else price
    record = DealRecord(
        month=state.month, date=state.date(), origin=origin,
        buyer=state.firm_names[buyer], target=state.firm_names[target], form=form,
        price=stated, licence_fee=fee, retention_packages=retention, buyer_cost=cost,
        engineers_moved=0, left_after=0, price_per_engineer=float("nan"),
        premium=stated / value if value > 0 else float("nan"), valuation=value,
        blocked=False, reason="",
    )
    blocked, reason = review(state, buyer, target, moving, form) if review_it else (False, "")
    if not blocked and cost > ledger.cash[buyer]:
        blocked, reason = True, "buyer lacks the cash"
    if blocked:
        record.blocked, record.reason = True, reason
        state.deal_records.append(record)
        state.deal_teams.append(members)
        tallies.deals_blocked[buyer] += 1
        return record

    # Money first: packages to the team, the rest to the owners (or the licensor).
    ledger.to_outside(buyer, "engineers", retention)
    if form == "acquisition":
        ledger.to_outside(buyer, "investors", price - retention)
        ledger.between(target, buyer, ledger.cash[target])
        state.firms[buyer].gpus += state.firms[target].gpus
        state.firms[target].gpus = 0.0
        state.gpus.transfer_orders(target, buyer)
        state.firms[target].active = False
    else:
        ledger.between(buyer, target, fee)

    # The team keeps its pay, or gets the buyer's posted pay if that is more.
    posted = state.table.pay[buyer, eng.tier[moving]] * eng.productivity[moving]
    pay = np.maximum(eng.pay[moving], posted)
    state.record(move(eng, moving, buyer, pay, DEAL_TRANSFER))
    record.engineers_moved = int(moving.size)
    record.price_per_engineer = stated / moving.size if moving.size else float("nan")

    economy = state.spec.economy
    leave = economy.leave_after_deal * np.exp(-policy.retention_share / economy.retention_effect)
    leavers = moving[state.rng.random(moving.size) < leave]
    when = state.month + state.rng.integers(1, DEPARTURE_WINDOW + 1, leavers.size)
    state.departures.append(Departures(len(state.deal_records), leavers, when))
    state.deal_records.append(record)
    state.deal_teams.append(members)
    tallies.deals[buyer] += 1
    return record


def depart(state: MarketState) -> Moves:
    """Deal leavers whose month has come leave the buyer for the market."""
    eng = state.engineers
    parts = []
    pending = []
    for item in state.departures:
        due = item.month == state.month
        record = state.deal_records[item.deal]
        buyer = state.firm_names.index(record.buyer)
        who = item.engineers[due]
        who = who[eng.firm[who] == buyer]
        if who.size:
            parts.append(to_unemployment(eng, who, DEAL_DEPARTURE))
            record.left_after += int(who.size)
        later = item.month > state.month
        if later.any():
            pending.append(Departures(item.deal, item.engineers[later], item.month[later]))
    state.departures = pending
    return state.record(Moves.concat(parts))


def forced_deal(state: MarketState, event: ForcedDeal) -> None:
    """A deal forced by the timeline: "firm X hires most of firm Y's team for $Z"."""
    buyer = state.firm_index(event.buyer)
    target = state.firm_index(event.target)
    if not (state.firms[buyer].active and state.firms[target].active):
        gone = state.firms[buyer if not state.firms[buyer].active else target].name
        state.note_unapplied(event, gone)
        return
    policy = state.firms[buyer].policy
    # The event's price is the acquisition price or the licence fee: gross it up so the
    # recorded fee is what the event says.
    price = event.price if event.form == "acquisition" else event.price / max(
        policy.licence_share, 1e-12)
    execute(state, buyer, target, event.form, price, review_it=event.review,
            hire_share=event.hire_share, origin="scheduled")
