"""Names of the output columns, declared once.

The records (``market.csv``, ``firms.csv``, ``flows.csv``, ``deals.csv``) are
written by :mod:`sim.market.measures` and read by the output layer (plots, compare,
report) and by sweeps; both take the names from here, so a column is renamed in one place.
Columns that exist once per tier are named ``<measure>_<tier>`` (:func:`per_tier`).
"""

from __future__ import annotations

# Shared by every table.
MONTH = "month"
DATE = "date"

# market.csv: one row per month.
ENGINEERS = "engineers"
EMPLOYED = "employed"
UNEMPLOYED = "unemployed"
UNEMPLOYMENT_RATE = "unemployment_rate"
SEARCHERS = "searchers"
OFFERS = "offers"
HIRES = "hires"
HIRES_FROM_UNEMPLOYMENT = "hires_from_unemployment"
JOB_TO_JOB = "job_to_job"
SEPARATIONS = "separations"
JOB_TO_JOB_RATE = "job_to_job_rate"
DEAL_MOVES = "deal_moves"
DEAL_DEPARTURES = "deal_departures"
EXIT_RELEASES = "exit_releases"
QUITS = "quits"
LAYOFFS = "layoffs"
TOP_SHARE_ABOVE_THRESHOLD = "top_share_above_threshold"
TOP_HIRES_BELOW_THRESHOLD = "top_hires_below_threshold"
TOP_HHI = "top_hhi"
HHI = "hhi"
AI_PAY_MEDIAN = "ai_pay_median"
NON_AI_PAY_MEDIAN = "non_ai_pay_median"
AI_PAY_RATIO = "ai_pay_ratio"
AI_PAY_INDEX = "ai_pay_index"
NON_AI_PAY_INDEX = "non_ai_pay_index"
OUTREACH_CONTACTS = "outreach_contacts"
OUTREACH_HIRES = "outreach_hires"
COUNTER_OFFERS = "counter_offers"
COUNTER_OFFERS_ACCEPTED = "counter_offers_accepted"
RETENTION_CALLS = "retention_calls"
RETENTION_KEPT = "retention_kept"
DEALS = "deals"
DEALS_BLOCKED = "deals_blocked"
EXITS = "exits"
GPU_ORDERED = "gpu_ordered"
GPU_ARRIVED = "gpu_arrived"
REVENUE = "revenue"
FUNDING = "funding"
PAY_BILL = "pay_bill"
GPU_QUEUE = "gpu_queue"
ACTIVE_FIRMS = "active_firms"
CASH_TOTAL = "cash_total"
MONEY_TOTAL = "money_total"

FRACTIONS = (UNEMPLOYMENT_RATE, JOB_TO_JOB_RATE, TOP_SHARE_ABOVE_THRESHOLD)
"""Market columns that are fractions, from 0 to 1 (a band of their mean is clipped there)."""

PAY_STATISTICS = ("mean", "p25", "median", "p75", "p90", "p99")
"""Pay statistics of the employed, per tier: ``pay_<statistic>_<tier>``."""
PAY_QUANTILES = {"p25": 0.25, "median": 0.5, "p75": 0.75, "p90": 0.9, "p99": 0.99}
"""The pay quantiles of ``market.csv`` (label: level). The quartiles are what salary sites
report as a "most likely range" (Glassdoor: the 25th to the 75th percentile)."""

# firms.csv: one row per firm per month (MONTH, FIRM, KIND, then measures).
FIRM = "firm"
KIND = "kind"
HEADCOUNT = "headcount"
PAY_BILL_MONTHLY = "pay_bill_monthly"
GPUS = "gpus"
GPUS_PER_RESEARCHER = "gpus_per_researcher"
CASH = "cash"
ACTIVE = "active"
POSTED_PAY = "posted_pay"
GPU_ON_ORDER = "gpu_on_order"
COUNTER_OFFER_POLICY = "counter_offer_policy"
STAYED_TENURE = 24
"""Months of tenure of ``stayed_24_months``."""
STAYED_24_MONTHS = f"stayed_{STAYED_TENURE}_months"
"""Engineers at the firm who joined it exactly 24 months before and have not moved since
(their tenure is 24): a hiring cohort's stayers, for two-year retention."""

# flows.csv: moves per month, tier, source and destination.
FLOW_SOURCE = "source"
FLOW_DESTINATION = "destination"
FLOW_TIER = "tier"
FLOW_KIND = "kind"
FLOW_ENGINEERS = "engineers"
FLOW_COLUMNS = (MONTH, FLOW_SOURCE, FLOW_DESTINATION, FLOW_TIER, FLOW_KIND, FLOW_ENGINEERS)
MOVE_KINDS = ("separation", "hire_from_unemployment", "job_to_job", "layoff", "exit",
              "deal_transfer", "deal_departure")
"""Names of the kinds of move in ``flows.csv`` (``kind``), in the order of their codes
(:class:`sim.market.moves.MoveKind`): an exogenous job loss, a hire of an unemployed
engineer, a move from one firm to another, a layoff, a release when the employer exits, a
transfer by a deal, a departure from a deal's buyer."""
UNEMPLOYMENT_PLACE = "unemployment"
"""The name ``flows.csv`` gives to unemployment as a source or a destination."""

# deals.csv: the fields of :class:`sim.market.deals.DealRecord`; those read elsewhere.
DEAL_ORIGIN = "origin"
DEAL_ORIGINS = ("scheduled", "model")
"""``origin`` of a deal: a dated deal of the timeline, or the model's own (seek_deals)."""
DEAL_BUYER = "buyer"
DEAL_TARGET = "target"
DEAL_FORM = "form"
DEAL_PRICE = "price"
DEAL_RETENTION = "retention_packages"
DEAL_BUYER_COST = "buyer_cost"
DEAL_BLOCKED = "blocked"
DEAL_ENGINEERS_MOVED = "engineers_moved"
DEAL_PRICE_PER_ENGINEER = "price_per_engineer"

# deal_teams.csv: where the engineers of each deal attempt (done or blocked) work at the end
# of the run, by tier and firm.
DEAL_TEAM_DEAL = "deal"
"""The deal attempt: its row in ``deals.csv``, counted from 0."""
DEAL_TEAM_TIER = "tier"
DEAL_TEAM_FIRM_AT_END = "firm_at_end"
"""The firm the engineer works at when the run ends, or :data:`UNEMPLOYMENT_PLACE`."""
DEAL_TEAM_ENGINEERS = "engineers"
DEAL_TEAM_COLUMNS = (DEAL_TEAM_DEAL, DATE, DEAL_BUYER, DEAL_TARGET, DEAL_FORM, DEAL_BLOCKED,
                     DEAL_TEAM_TIER, DEAL_TEAM_FIRM_AT_END, DEAL_TEAM_ENGINEERS)


def per_tier(measure: str, tier: str) -> str:
    """The column of ``measure`` for tier ``tier``: ``<measure>_<tier>``."""
    return f"{measure}_{tier}"


def pay_column(statistic: str, tier: str) -> str:
    """The column of a pay statistic (:data:`PAY_STATISTICS`) of a tier: ``pay_<s>_<tier>``."""
    return f"pay_{statistic}_{tier}"


MARKET_TIER_MEASURES = (EMPLOYED, UNEMPLOYED, HIRES, QUITS, LAYOFFS,
                        *(f"pay_{s}" for s in PAY_STATISTICS))
"""Measures of ``market.csv`` that have one column per tier."""
FIRM_TIER_MEASURES = (HEADCOUNT, HIRES, QUITS, POSTED_PAY, LAYOFFS, STAYED_24_MONTHS,
                      "pay_mean", "pay_median", "pay_p90")
"""Measures of ``firms.csv`` that have one column per tier."""
FIXED_COLUMNS = frozenset({
    MONTH, DATE, ENGINEERS, EMPLOYED, UNEMPLOYED, UNEMPLOYMENT_RATE, SEARCHERS, OFFERS, HIRES,
    HIRES_FROM_UNEMPLOYMENT, JOB_TO_JOB, SEPARATIONS, JOB_TO_JOB_RATE, DEAL_MOVES,
    DEAL_DEPARTURES, EXIT_RELEASES, QUITS, LAYOFFS, TOP_SHARE_ABOVE_THRESHOLD,
    TOP_HIRES_BELOW_THRESHOLD,
    TOP_HHI, HHI, AI_PAY_MEDIAN, NON_AI_PAY_MEDIAN, AI_PAY_RATIO, AI_PAY_INDEX, NON_AI_PAY_INDEX,
    OUTREACH_CONTACTS, OUTREACH_HIRES, COUNTER_OFFERS, COUNTER_OFFERS_ACCEPTED,
    RETENTION_CALLS, RETENTION_KEPT, DEALS, DEALS_BLOCKED, EXITS, GPU_ORDERED, GPU_ARRIVED,
    REVENUE, FUNDING, PAY_BILL, GPU_QUEUE, ACTIVE_FIRMS, CASH_TOTAL, MONEY_TOTAL, FIRM, KIND,
    HEADCOUNT, PAY_BILL_MONTHLY, GPUS, GPUS_PER_RESEARCHER, CASH, ACTIVE, GPU_ON_ORDER,
    COUNTER_OFFER_POLICY, STAYED_24_MONTHS,
})
"""Every column whose name does not depend on a tier."""


def tier_column_clashes(tier: str) -> list[str]:
    """Columns that tier ``tier``'s per-tier columns would overwrite (a tier called
    ``from_unemployment`` would write ``hires_from_unemployment``); empty if none."""
    names = {per_tier(m, tier) for m in (*MARKET_TIER_MEASURES, *FIRM_TIER_MEASURES)}
    return sorted(names & FIXED_COLUMNS)
