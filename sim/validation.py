"""The validation facts of the flagship: measures of a finished run and their checks.

docs/validation.md ("Facts of 2023-2025") states each fact, its tolerance, the market on
which it must fail (its mechanism switched off) and the pass rates over 20 seeds. The
measures are defined here once: ``tests/test_validation.py`` checks them on the flagship's
seed and on the broken markets, ``benchmarks/validation_seeds.py`` over many seeds.

Each fact tests what the model *does* over the run, not what the scenario fixes in
month 0: pay the run set (hires, moves, counter-offers) and how it changed from month 0,
layoffs and pay indexes that change, and which way researchers move across the GPU
threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.agents.engineers import UNEMPLOYED
from sim.model import TalentMarket
from sim.scenario import load_scenario


@dataclass
class Run:
    """A finished run and its engineers' pay and employers in month 0."""

    model: TalentMarket
    initial_pay: np.ndarray
    initial_firm: np.ndarray | None = None


def run_scenario(path: Path, seed: int | None = None, engineers: int | None = None,
                 overrides: list[str] | None = None) -> Run:
    """Run the scenario at ``path`` to its end (optionally another seed, size or ``--set``
    overrides), keeping month 0's pay and employers."""
    sets = list(overrides or [])
    if seed is not None:
        sets.append(f"seed={seed}")
    if engineers is not None:
        sets.append(f"market.engineers={engineers}")
    model = TalentMarket(load_scenario(path, sets))
    initial = model.engineers.pay.copy()
    initial_firm = model.engineers.firm.copy()
    model.run()
    return Run(model, initial, initial_firm)


def year(market: pd.DataFrame, y: int) -> pd.DataFrame:
    """The rows of ``market`` dated in year ``y``."""
    return market[market["date"].str.startswith(str(y))]


def priced_by_the_market(run: Run, tier: str) -> np.ndarray:
    """Final pay of the employed engineers of ``tier`` whose pay the run set: those who
    moved into their job during the run (tenure below the run's length), or whose pay a
    counter-offer changed (pay no longer their initial pay)."""
    eng = run.model.engineers
    block = eng.tier_slice(eng.tier_names.index(tier))
    employed = eng.firm[block] != UNEMPLOYED
    moved = eng.tenure[block] < run.model.months
    repriced = ~np.isclose(eng.pay[block], run.initial_pay[block])
    return np.asarray(eng.pay[block][employed & (moved | repriced)])


def employed_pay(run: Run, tier: str) -> np.ndarray:
    """Final pay of the employed engineers of ``tier``."""
    eng = run.model.engineers
    block = eng.tier_slice(eng.tier_names.index(tier))
    return np.asarray(eng.pay[block][eng.firm[block] != UNEMPLOYED])


def market_priced(run: Run) -> np.ndarray:
    """Mask of employed engineers whose pay the run set (:func:`priced_by_the_market`)."""
    eng = run.model.engineers
    employed = eng.firm != UNEMPLOYED
    return np.asarray(employed & ((eng.tenure < run.model.months)
                                  | ~np.isclose(eng.pay, run.initial_pay)))


def within_firm_ratio(pay: np.ndarray, firm: np.ndarray, ai: np.ndarray, counted: np.ndarray,
                      minimum: int = 20) -> float:
    """Headcount-weighted median over firms of median AI pay / median non-AI pay among the
    ``counted`` engineers of each firm with at least ``minimum`` of each.

    r_f = median(pay | f, AI) / median(pay | f, non-AI); the result is the r_f at which the
    cumulative weight n_f (AI + non-AI counted at f), in increasing order of r_f, first
    reaches half the total. NaN when no firm has ``minimum`` of each.
    """
    ratios, weights = [], []
    for f in np.unique(firm[counted]):
        here = counted & (firm == f)
        a, o = pay[here & ai], pay[here & ~ai]
        if len(a) >= minimum and len(o) >= minimum:
            ratios.append(np.median(a) / np.median(o))
            weights.append(len(a) + len(o))
    if not ratios:
        return float("nan")
    order = np.argsort(ratios)
    cumulative = np.cumsum(np.asarray(weights, dtype=float)[order])
    return float(np.asarray(ratios)[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def ai_engineers(run: Run) -> np.ndarray:
    """Mask of engineers of AI tiers."""
    eng = run.model.engineers
    ai_tiers = [k for k, t in enumerate(eng.tier_names) if run.model.spec.tiers[t].ai]
    return np.isin(eng.tier, ai_tiers)


def ratio_within_firms(run: Run) -> float:
    """AI/non-AI pay ratio among the engineers the market priced, at the same employers:
    :func:`within_firm_ratio` over the market-priced engineers at the end of the run.

    Pooled over the market, the two groups differ in where they work: the non-AI engineers
    the market prices are mostly hires from unemployment at the low-paying generated firms
    (the job ladder's offer distribution), the AI engineers mostly movers who climbed to the
    labs and big tech. A survey of engineers' pay (Levels.fyi's, the source of fact 1)
    compares people at comparable employers; within firms, so does this measure.
    """
    eng = run.model.engineers
    return within_firm_ratio(eng.pay, eng.firm, ai_engineers(run), market_priced(run))


def ratio_within_firms_at_start(run: Run) -> float:
    """The same ratio in month 0, over every employed engineer (posted pay x productivity:
    what the inputs set). Fact 1 asks the run to raise the ratio above it."""
    if run.initial_firm is None:
        raise ValueError("the run did not keep its month-0 employers")
    return within_firm_ratio(run.initial_pay, run.initial_firm, ai_engineers(run),
                             run.initial_firm != UNEMPLOYED)


def _in_period(model: TalentMarket, frame: pd.DataFrame, years: tuple[str, str]) -> pd.DataFrame:
    dates = model.market.set_index("month")["date"]
    return frame[dates.reindex(frame["month"]).between(*years).to_numpy()]


def researcher_hires_above_threshold(model: TalentMarket, years: tuple[str, str]) -> float:
    """Share of researchers' hires (from unemployment or another firm) in the period that
    went to firms holding at least the GPU threshold that month: where researchers choose
    to go (flows.csv joined with firms.csv)."""
    flows = model.flows
    hires = flows[flows["kind"].isin(["job_to_job", "hire_from_unemployment"])
                  & (flows["tier"] == "researcher")]
    firms = model.firm_records[["month", "firm", "gpus"]]
    joined = _in_period(model, hires.merge(firms, left_on=["month", "destination"],
                                           right_on=["month", "firm"]), years)
    total = joined["engineers"].sum()
    big = joined.loc[joined["gpus"] >= model.spec.compute.threshold, "engineers"].sum()
    return float(big / total) if total else float("nan")


def researcher_moves_up_the_gpu_threshold(model: TalentMarket,
                                          years: tuple[str, str]) -> tuple[float, int]:
    """Of researchers' job-to-job moves in the period that cross the GPU threshold, the
    share that go up: u / (u + d), with u the moves from a firm below the threshold to one
    at or above it that month and d the moves the other way; and u + d.

    Where researchers work at the start is an input (the firms' reported teams); which way
    they cross the threshold when they move is their choice. Without a GPU weight in their
    utility, moves across it follow pay and mission alone and about an eighth to a sixth go
    down (seeds 1-20).
    """
    flows = model.flows
    moves = flows[(flows["kind"] == "job_to_job") & (flows["tier"] == "researcher")]
    gpus = model.firm_records[["month", "firm", "gpus"]]
    moves = moves.merge(gpus.rename(columns={"firm": "source", "gpus": "gpus_source"}),
                        on=["month", "source"])
    moves = moves.merge(gpus.rename(columns={"firm": "destination", "gpus": "gpus_dest"}),
                        on=["month", "destination"])
    moves = _in_period(model, moves, years)
    threshold = model.spec.compute.threshold
    up = int(moves.loc[(moves["gpus_source"] < threshold) & (moves["gpus_dest"] >= threshold),
                       "engineers"].sum())
    down = int(moves.loc[(moves["gpus_source"] >= threshold) & (moves["gpus_dest"] < threshold),
                         "engineers"].sum())
    crossing = up + down
    return (up / crossing if crossing else float("nan")), crossing


def measures(run: Run) -> dict[str, float]:
    """The validation measures of one run (docs/validation.md, "Facts of 2023-2025")."""
    model = run.model
    market = model.market
    out: dict[str, float] = {}
    ai = np.concatenate([priced_by_the_market(run, t) for t in ("researcher", "ml_engineer")])
    other = priced_by_the_market(run, "software_engineer")
    out["ratio_2024"] = float(year(market, 2024)["ai_pay_ratio"].mean())
    out["ratio_market_priced"] = float(np.median(ai) / np.median(other))
    out["ratio_within_firms"] = ratio_within_firms(run)
    if run.initial_firm is not None:
        out["ratio_within_firms_month_0"] = ratio_within_firms_at_start(run)
        out["ratio_within_firms_rise"] = (out["ratio_within_firms"]
                                          - out["ratio_within_firms_month_0"])
    for tier, key, (low, high) in (("ml_engineer", "ml", (130_000, 240_000)),
                                   ("researcher", "researchers", (1e6, 10e6))):
        everyone = employed_pay(run, tier)
        priced = priced_by_the_market(run, tier)
        out[f"{key}_in_band"] = float(np.mean((everyone >= low) & (everyone <= high)))
        out[f"{key}_repriced"] = len(priced) / len(everyone)
        out[f"{key}_in_band_market_priced"] = float(np.mean((priced >= low) & (priced <= high)))
        if run.initial_firm is not None:  # the same share in month 0, for comparison
            block = run.model.engineers.tier_slice(run.model.engineers.tier_names.index(tier))
            start = run.initial_pay[block][run.initial_firm[block] != UNEMPLOYED]
            out[f"{key}_in_band_month_0"] = float(np.mean((start >= low) & (start <= high)))
    deals = model.deals
    done = deals[~deals["blocked"].astype(bool)]
    own = done[done["origin"] == "model"]  # the model's own deals: priced by the model
    per_head = own["price_per_engineer"]
    out["deal_median_per_head"] = float(per_head.median()) if len(own) else float("nan")
    out["deals_in_band"] = float(np.mean((per_head >= 5e6) & (per_head <= 25e6))) if len(
        own) else 0.0
    out["model_deals"] = float(len(own))
    out["model_deals_blocked"] = float(((deals["origin"] == "model")
                                        & deals["blocked"].astype(bool)).sum())
    out["deals_done"] = float(len(done))
    # The forms of deals are inputs in the flagship (dated deals' forms, buyers' deal_form):
    # reported, not checked (docs/validation.md, fact 3).
    early, late = done[done["date"] < "2024-01"], done[done["date"] >= "2024-01"]
    out["lah_share_early"] = float(np.mean(early["form"] == "license_and_hire")) if len(
        early) else 0.0
    out["lah_share_late"] = float(np.mean(late["form"] == "license_and_hire")) if len(
        late) else 0.0
    two = market[(market["date"] >= "2023-01") & (market["date"] <= "2024-12")]
    out["non_ai_layoffs"] = float(two["layoffs_software_engineer"].sum())
    out["ai_layoffs"] = float(two[["layoffs_researcher", "layoffs_ml_engineer"]].sum().sum())
    end_2024 = market[market["date"] == "2024-12"].iloc[0]
    out["ai_index_2024_12"] = float(end_2024["ai_pay_index"])
    out["non_ai_index_2024_12"] = float(end_2024["non_ai_pay_index"])
    period = ("2023-01", "2024-12")
    out["researcher_hires_above_threshold"] = researcher_hires_above_threshold(model, period)
    up, crossing = researcher_moves_up_the_gpu_threshold(model, period)
    out["researcher_moves_up_the_threshold"] = up
    out["researcher_moves_across_the_threshold"] = float(crossing)
    return out


TOLERANCES = {
    "fact_1": "2024 AI/non-AI median pay ratio in [1.35, 1.65], and the ratio among "
              "engineers the market priced during the run, at the same employers, in "
              "[1.35, 1.7] and at least 0.2 above the same ratio in month 0",
    "fact_2": "at the end, of the engineers the market priced during the run (at least a "
              "third of each tier), ML engineers >= 60% in $130k-$240k and researchers "
              ">= 75% in $1M-$10M; all employed ML engineers >= 60% and researchers "
              ">= 80% in band",
    "fact_3": "price per engineer of the model's own deals (priced by its valuation of "
              "the team): median in [$5M, $25M], and a share in it consistent with >= 60% "
              "(one-sided binomial test at 5% over those deals)",
    "fact_4": "2023-24: > 2,000 non-AI layoffs, AI layoffs < 5% of them; Dec 2024 AI pay "
              "index > 101.5 and > non-AI index + 2",
    "fact_5": ">= 70% of researchers' hires in 2023-24 go to firms with 10,000+ H100s, and "
              ">= 90% of their job-to-job moves across that threshold go up it",
}


def consistent_with_at_least(share: float, n: float, p: float, level: float = 0.05) -> bool:
    """Whether ``share`` of ``n`` trials is consistent with a true share of at least ``p``:
    a one-sided binomial test, P(X <= share * n | n, p) >= ``level``. A run of the flagship
    makes a few deals of its own (3 to 6 on most seeds), so a share in band of 3 of 7 (43%)
    is still consistent with 60% (P = 0.29), while 1 of 7 is not (P = 0.02); with 3 deals or
    fewer no share is refused (0 of 3: P = 0.064), and fact 3's median does the work."""
    from scipy.stats import binom

    if n < 1:
        return False
    return bool(binom.cdf(round(share * n), int(n), p) >= level)


def checks(m: dict[str, float]) -> dict[str, bool]:
    """Whether each fact holds for measures ``m`` (:data:`TOLERANCES`)."""
    return {
        "fact_1": (1.35 <= m["ratio_2024"] <= 1.65 and 1.35 <= m["ratio_within_firms"] <= 1.7
                   and m["ratio_within_firms_rise"] >= 0.2),
        "fact_2": (m["ml_in_band_market_priced"] >= 0.6
                   and m["researchers_in_band_market_priced"] >= 0.75
                   and m["ml_in_band"] >= 0.6 and m["researchers_in_band"] >= 0.8
                   and m["ml_repriced"] >= 1 / 3 and m["researchers_repriced"] >= 1 / 3),
        "fact_3": (5e6 <= m["deal_median_per_head"] <= 25e6
                   and consistent_with_at_least(m["deals_in_band"], m["model_deals"], 0.6)),
        "fact_4": (m["non_ai_layoffs"] > 2_000 and m["ai_layoffs"] < 0.05 * m["non_ai_layoffs"]
                   and m["ai_index_2024_12"] > 101.5
                   and m["ai_index_2024_12"] > m["non_ai_index_2024_12"] + 2),
        "fact_5": (m["researcher_hires_above_threshold"] >= 0.7
                   and m["researcher_moves_up_the_threshold"] >= 0.9),
    }
