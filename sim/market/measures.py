"""Market-wide and per-firm measures of one month, computed on whole arrays.

Concentration is the Herfindahl-Hirschman index used by competition authorities,

    HHI = sum_j (100 * s_j)^2,   s_j = firm j's share of the employed engineers considered,

from 0 (atomistic) to 10,000 (one firm). The US merger guidelines count a market as highly
concentrated above 1,800 (2023 guidelines; 2,500 in the 2010 ones).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents.engineers import UNEMPLOYED
from sim.market.matching import (
    DEAL_DEPARTURE,
    DEAL_TRANSFER,
    EXIT,
    HIRE_FROM_UNEMPLOYMENT,
    JOB_TO_JOB,
    SEPARATION,
    MonthReport,
)

if TYPE_CHECKING:
    from sim.model import TalentMarket

PAY_QUANTILES = {"median": 0.5, "p90": 0.9, "p99": 0.99}


def hhi(counts: np.ndarray) -> float:
    """Herfindahl-Hirschman index sum_j (100 s_j)^2 of headcounts (0 if nobody)."""
    total = counts.sum()
    if total == 0:
        return 0.0
    shares = 100.0 * counts / total
    return float(np.sum(shares**2))


def headcount(model: TalentMarket) -> np.ndarray:
    """Employees of each firm by tier: a (firms x tiers) integer array."""
    eng = model.engineers
    n_tiers = len(eng.tier_names)
    code = (eng.firm.astype(np.int64) + 1) * n_tiers + eng.tier
    counts = np.bincount(code, minlength=(len(model.firms) + 1) * n_tiers)
    return counts.reshape(-1, n_tiers)[1:]


def _by_firm_and_tier(model: TalentMarket, firm: np.ndarray, who: np.ndarray) -> np.ndarray:
    n_tiers = len(model.engineers.tier_names)
    code = firm.astype(np.int64) * n_tiers + model.engineers.tier[who]
    counts = np.bincount(code, minlength=len(model.firms) * n_tiers)
    return counts.reshape(-1, n_tiers)


def month_measures(model: TalentMarket, report: MonthReport) -> tuple[dict, dict]:
    """The month's market row (``market.csv``) and firm columns (``firms.csv``)."""
    eng = model.engineers
    names = eng.tier_names
    moves = report.moves
    heads = model.heads
    n_firms = len(model.firms)

    hired = (moves.kind == HIRE_FROM_UNEMPLOYMENT) | (moves.kind == JOB_TO_JOB)
    j2j = moves.kind == JOB_TO_JOB
    sep = moves.kind == SEPARATION
    hires = _by_firm_and_tier(model, moves.destination[hired], moves.engineer[hired])
    quits = _by_firm_and_tier(model, moves.source[j2j], moves.engineer[j2j])
    separations = _by_firm_and_tier(model, moves.source[sep], moves.engineer[sep])

    employed = heads.sum()
    row: dict[str, float] = {
        "month": model.steps,
        "date": model.calendar_month(model.steps),
        "engineers": eng.n,
        "employed": int(employed),
        "unemployed": int(eng.n - employed),
        "unemployment_rate": (eng.n - employed) / eng.n,
        "searchers": report.searchers,
        "offers": int(report.offers.engineer.size),
        "hires": int(hired.sum()),
        "hires_from_unemployment": int(np.sum(moves.kind == HIRE_FROM_UNEMPLOYMENT)),
        "job_to_job": int(j2j.sum()),
        "separations": int(sep.sum()),
        "job_to_job_rate": j2j.sum() / max(model.employed_at_start, 1),
        "deal_moves": int(np.sum(moves.kind == DEAL_TRANSFER)),
        "deal_departures": int(np.sum(moves.kind == DEAL_DEPARTURE)),
        "exit_releases": int(np.sum(moves.kind == EXIT)),
    }
    tally, layoffs = model.tally, model.tally_tier["layoffs"]
    ai_pay, other_pay = [], []
    for t, name in enumerate(names):
        block = eng.tier_slice(t)
        pay = eng.pay[block][eng.firm[block] != UNEMPLOYED]
        row[f"employed_{name}"] = int(heads[:, t].sum())
        row[f"unemployed_{name}"] = int(block.stop - block.start - heads[:, t].sum())
        row[f"hires_{name}"] = int(hires[:, t].sum())
        row[f"quits_{name}"] = int(quits[:, t].sum())
        row[f"layoffs_{name}"] = int(layoffs[:, t].sum())
        row[f"pay_mean_{name}"] = float(pay.mean()) if pay.size else np.nan
        values = np.quantile(pay, list(PAY_QUANTILES.values())) if pay.size else [np.nan] * 3
        for label, value in zip(PAY_QUANTILES, values, strict=True):
            row[f"pay_{label}_{name}"] = float(value)
        (ai_pay if eng.tier_ai[t] else other_pay).append(pay)

    top = heads[:, 0]
    big = model.firm_table["gpus"] >= model.spec.compute.threshold
    row["top_share_above_threshold"] = top[big].sum() / top.sum() if top.sum() else np.nan
    row["top_hhi"] = hhi(top)
    row["hhi"] = hhi(heads.sum(axis=1))
    ai = np.concatenate(ai_pay) if ai_pay else np.zeros(0)
    other = np.concatenate(other_pay) if other_pay else np.zeros(0)
    row["ai_pay_median"] = float(np.median(ai)) if ai.size else np.nan
    row["non_ai_pay_median"] = float(np.median(other)) if other.size else np.nan
    row["ai_pay_ratio"] = row["ai_pay_median"] / row["non_ai_pay_median"]
    # Pay indexes: 100 at the first month with employed engineers of the kind.
    if model.steps == 0:
        model.pay_base = [np.nan, np.nan]
    for k, kind in enumerate(("ai", "non_ai")):
        if np.isnan(model.pay_base[k]):
            model.pay_base[k] = row[f"{kind}_pay_median"]
        row[f"{kind}_pay_index"] = 100 * row[f"{kind}_pay_median"] / model.pay_base[k]
    row["outreach_contacts"] = int(model.outreach_contacts.sum())
    row["outreach_hires"] = int(model.outreach_hires.sum())
    row["layoffs"] = int(layoffs.sum())
    for key in ("counter_offers", "counter_offers_accepted", "retention_calls",
                "retention_kept", "deals", "deals_blocked", "exits"):
        row[key] = int(tally[key].sum())
    for key in ("gpu_ordered", "gpu_arrived", "revenue", "funding", "pay_bill"):
        row[key] = float(tally[key].sum())
    row["gpu_queue"] = model.gpu_market.queued
    row["active_firms"] = int(sum(f.active for f in model.firms))
    row["cash_total"] = float(model.ledger.cash.sum())
    row["money_total"] = model.ledger.total

    employed_mask = eng.firm != UNEMPLOYED
    paybill = np.bincount(eng.firm[employed_mask], weights=eng.pay[employed_mask],
                          minlength=n_firms)
    table = model.firm_table
    firm_cols: dict[str, np.ndarray] = {
        "headcount": heads.sum(axis=1),
        **{f"headcount_{name}": heads[:, t] for t, name in enumerate(names)},
        "hires": hires.sum(axis=1),
        **{f"hires_{name}": hires[:, t] for t, name in enumerate(names)},
        "quits": quits.sum(axis=1),
        **{f"quits_{name}": quits[:, t] for t, name in enumerate(names)},
        "separations": separations.sum(axis=1),
        "offers": np.bincount(report.offers.firm, minlength=n_firms),
        "outreach_contacts": model.outreach_contacts,
        "outreach_hires": model.outreach_hires,
        "pay_bill_monthly": paybill / 12.0,
        "gpus": table["gpus"].copy(),
        "gpus_per_researcher": np.divide(
            table["gpus"], top, out=np.full(n_firms, np.nan), where=top > 0
        ),
        "cash": table["cash"].copy(),
        "active": table["active"].astype(np.int8),
        **{f"posted_pay_{name}": table["pay"][:, t].copy() for t, name in enumerate(names)},
        **{f"layoffs_{name}": layoffs[:, t].copy() for t, name in enumerate(names)},
        "layoffs": layoffs.sum(axis=1),
        **{key: tally[key].copy() for key in (
            "counter_offers", "counter_offers_accepted", "retention_calls", "retention_kept",
            "gpu_ordered", "gpu_arrived", "revenue", "funding", "deals", "deals_blocked",
            "exits")},
        "gpu_on_order": model.gpu_market.on_order.copy(),
        "counter_offer_policy": np.array([f.policy.counter_offer for f in model.firms]),
        "_hires_by_tier": hires,
        "_quits_by_tier": quits,
    }
    return row, firm_cols
