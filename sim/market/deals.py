"""Acqui-hires and license-and-hire deals.

**Acquisition (acqui-hire).** A firm with cash and a talent gap (top-tier headcount below
its target) buys an AI start-up for its team. Price P = V_target x premium, with V the
valuation of :mod:`sim.market.production`. The whole team joins the buyer; the target's cash and
GPUs become the buyer's and the target leaves the market. A share r of P is paid as
retention packages to the team, the rest to the target's owners (investors).

**License-and-hire.** The buyer hires a share h of the target's team (AI engineers, most
valuable first) and pays the target a licence fee (licence_share x P) plus retention
packages; the target survives as a smaller firm with its fee. Firms use it where an
acquisition would be blocked (deal_form = "auto"), or by choice.

After either, a share leave_after_deal x exp(-r / retention_effect) of the moved engineers
leaves within six months (retention packages, part of the price, lower it). Every deal,
done or blocked, is recorded (``deals.csv``).

Economics: acqui-hiring buys a team rather than a product (Coyle and Polsky 2013,
"Acqui-hiring", Duke Law Journal); the brief's cases set the scale - Databricks paid about
six times MosaicML's valuation, Microsoft licensed Inflection's models and hired most of
its staff, a form that avoided merger review.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.agents.engineers import UNEMPLOYED
from sim.market.antitrust import review
from sim.market.matching import DEAL_DEPARTURE, DEAL_TRANSFER, Moves
from sim.market.production import output_by_firm_and_tier, valuation, value_to_firm

if TYPE_CHECKING:
    from sim.model import TalentMarket

DEPARTURE_WINDOW = 6  # months within which deal leavers leave


@dataclass
class DealRecord:
    """One row of ``deals.csv``."""

    month: int
    date: str
    buyer: str
    target: str
    form: str
    price: float
    licence_fee: float
    retention_packages: float
    engineers_moved: int
    left_after: int
    price_per_engineer: float
    premium: float
    valuation: float
    blocked: bool
    reason: str

    def as_row(self) -> dict:
        """The record as a plain dict."""
        return asdict(self)


@dataclass
class Departures:
    """Engineers moved by a deal who will leave, and when."""

    deal: int
    engineers: np.ndarray
    month: np.ndarray


def seek_deals(model: TalentMarket, heads: np.ndarray) -> None:
    """Acquisitive firms with a top-tier gap may buy a start-up's team this month.

    With chance ``deal_rate`` a month, the buyer picks, among active AI start-ups it can
    afford (price <= max_price_share x its cash), the one with the most value of AI talent
    per dollar of price, sum_i v_i,buyer / P.
    """
    out = None
    years = model.spec.economy.valuation_years
    for buyer in model.active_firms():
        policy = buyer.policy
        if not (policy.acquisitive and buyer.active):  # it may have been bought this month
            continue
        gap = heads[buyer.index, 0] < buyer.targets(model.steps)[0]
        if not gap or model.rng.random() >= policy.deal_rate:
            continue
        # Teams' output by tier, once (again after a deal): values of whole teams follow.
        out = output_by_firm_and_tier(model) if out is None else out
        factor = model.firm_table["factor"]
        ai = model.engineers.tier_ai
        budget = policy.max_price_share * model.ledger.cash[buyer.index]
        best, best_ratio = None, 0.0
        for target in model.active_firms():
            t = target.index
            if target.kind != "ai_startup" or t == buyer.index or not out[t].any():
                continue
            # V_t = cash_t + valuation_years * sum_i v_it, priced at a premium
            value = model.ledger.cash[t] + years * 12.0 * float(factor[t] @ out[t])
            price = value * policy.premium
            # what the target's AI team is worth to the buyer: sum_i v_i,buyer
            worth = 12.0 * float(factor[buyer.index, ai] @ out[t, ai])
            if 0 < price <= budget and worth / price > best_ratio:
                best, best_ratio = (target, price), worth / price
        if best is not None:
            execute(model, buyer.index, best[0].index, policy.deal_form, best[1], review_it=True)
            out = None  # the deal moved engineers


def execute(model: TalentMarket, buyer: int, target: int, form: str, price: float,
            review_it: bool, hire_share: float | None = None) -> DealRecord:
    """Do (or try) a deal; ``form`` "auto" tries an acquisition, then license-and-hire if
    the acquisition is blocked. Returns the record of the last attempt."""
    forms = ["acquisition", "license_and_hire"] if form == "auto" else [form]
    for attempt in forms:
        record = _attempt(model, buyer, target, attempt, price, review_it, hire_share)
        if not record.blocked:
            break
    return record


def _moving(model: TalentMarket, buyer: int, members: np.ndarray, form: str,
            share: float) -> np.ndarray:
    if form == "acquisition":
        return members
    eng = model.engineers
    value = value_to_firm(model, members, np.full(members.size, buyer))
    ordered = members[np.lexsort((-value, ~eng.tier_ai[eng.tier[members]]))]
    return ordered[: int(np.ceil(share * members.size))]


def _attempt(model: TalentMarket, buyer: int, target: int, form: str, price: float,
             review_it: bool, hire_share: float | None) -> DealRecord:
    eng, ledger = model.engineers, model.ledger
    policy = model.firms[buyer].policy
    members = model.members(target)
    value = valuation(model, target, members)
    share = policy.hire_share if hire_share is None else hire_share
    moving = _moving(model, buyer, members, form, share)
    retention = policy.retention_share * price
    fee = policy.licence_share * price if form == "license_and_hire" else 0.0
    cost = fee + retention if form == "license_and_hire" else price
    record = DealRecord(
        month=model.steps, date=model.calendar_month(model.steps),
        buyer=model.firm_names[buyer], target=model.firm_names[target], form=form,
        price=cost, licence_fee=fee, retention_packages=retention,
        engineers_moved=0, left_after=0, price_per_engineer=float("nan"),
        premium=cost / value if value > 0 else float("nan"), valuation=value,
        blocked=False, reason="",
    )
    blocked, reason = review(model, buyer, target, moving, form) if review_it else (False, "")
    if not blocked and cost > ledger.cash[buyer]:
        blocked, reason = True, "buyer lacks the cash"
    if blocked:
        record.blocked, record.reason = True, reason
        model.deal_records.append(record)
        model.tally["deals_blocked"][buyer] += 1
        return record

    # Money first: packages to the team, the rest to the owners (or the licensor).
    ledger.to_outside(buyer, "engineers", retention)
    if form == "acquisition":
        ledger.to_outside(buyer, "investors", price - retention)
        ledger.between(target, buyer, ledger.cash[target])
        model.firms[buyer].gpus += model.firms[target].gpus
        model.firms[target].gpus = 0.0
        model.gpu_market.transfer_orders(target, buyer)
        model.firms[target].active = False
    else:
        ledger.between(buyer, target, fee)

    source = eng.firm[moving].copy()
    eng.firm[moving] = buyer
    eng.tenure[moving] = 0
    posted = model.firm_table["pay"][buyer, eng.tier[moving]] * eng.productivity[moving]
    eng.pay[moving] = np.maximum(eng.pay[moving], posted)
    model.extra_moves.append(Moves(moving, source, np.full(moving.size, buyer, np.int32),
                                   np.full(moving.size, DEAL_TRANSFER, np.int8)))
    record.engineers_moved = int(moving.size)
    record.price_per_engineer = cost / moving.size if moving.size else float("nan")

    economy = model.spec.economy
    leave = economy.leave_after_deal * np.exp(-policy.retention_share / economy.retention_effect)
    leavers = moving[model.rng.random(moving.size) < leave]
    when = model.steps + model.rng.integers(1, DEPARTURE_WINDOW + 1, leavers.size)
    model.departures.append(Departures(len(model.deal_records), leavers, when))
    model.deal_records.append(record)
    model.tally["deals"][buyer] += 1
    return record


def depart(model: TalentMarket) -> Moves:
    """Deal leavers whose month has come leave the buyer for the market."""
    eng = model.engineers
    parts = []
    pending = []
    for item in model.departures:
        due = item.month == model.steps
        record = model.deal_records[item.deal]
        buyer = model.firm_names.index(record.buyer)
        who = item.engineers[due]
        who = who[eng.firm[who] == buyer]
        if who.size:
            parts.append(Moves(who, eng.firm[who].copy(), np.full(who.size, UNEMPLOYED,
                                                                   np.int32),
                               np.full(who.size, DEAL_DEPARTURE, np.int8)))
            eng.firm[who] = UNEMPLOYED
            eng.pay[who] = 0.0
            eng.tenure[who] = 0
            record.left_after += int(who.size)
        later = item.month > model.steps
        if later.any():
            pending.append(Departures(item.deal, item.engineers[later], item.month[later]))
    model.departures = pending
    return Moves.concat(parts) if parts else Moves.empty()


def forced_deal(model: TalentMarket, event) -> None:
    """A deal forced by the timeline: "firm X hires most of firm Y's team for $Z"."""
    buyer = model.firm_index(event.buyer)
    target = model.firm_index(event.target)
    if not (model.firms[buyer].active and model.firms[target].active):
        return
    policy = model.firms[buyer].policy
    # The event's price is the acquisition price or the licence fee: gross it up so the
    # recorded fee is what the event says.
    price = event.price if event.form == "acquisition" else event.price / max(
        policy.licence_share, 1e-12)
    execute(model, buyer, target, event.form, price, review_it=event.review,
            hire_share=event.hire_share)
