"""The measures over one run's outputs: what a measure reads (:class:`RunOutputs`) and
the formula of each kind (its ``value``).

The registry of these measures, with the formula of each in words, and the composite
measures (``ratio``, ``difference``) are :mod:`sim.calibration.moments`. Windows are
``[first, last]``, inclusive, each a model month (an int, 0 = the start) or a calendar month
``"YYYY-MM"``. A measure with nothing to measure (no deal, an empty window) is NaN.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import Field, model_validator

from sim import columns as c
from sim.scenario.schema import Strict

if TYPE_CHECKING:
    import pandas as pd

    from sim.scenario import Scenario

MonthRef = int | str
Window = Annotated[list[MonthRef], Field(min_length=2, max_length=2)]
QUANTILES = {level: label for label, level in c.PAY_QUANTILES.items()}
"""The pay quantiles market.csv records per tier (level: label)."""
FIRM_QUANTILES = {0.5: "median", 0.9: "p90"}
"""The pay quantiles firms.csv records per firm, for AI tiers (level: label)."""


@dataclass(frozen=True)
class RunOutputs:
    """What a measure may read of one finished run."""

    scenario: Scenario
    market: pd.DataFrame
    firm_records: pd.DataFrame
    deals: pd.DataFrame
    flows: pd.DataFrame

    @functools.cached_property
    def arrivals(self) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``flows`` by destination: each firm's (month, tier, engineers) arrays, split
        once a run for every measure of arrivals."""
        if self.flows.empty:
            return {}
        months = self.flows[c.MONTH].to_numpy()
        tiers = self.flows[c.FLOW_TIER].to_numpy(dtype=object)
        engineers = self.flows[c.FLOW_ENGINEERS].to_numpy()
        return {str(k): (months[v], tiers[v], engineers[v]) for k, v in
                self.flows.groupby(c.FLOW_DESTINATION, sort=False).indices.items()}

    @functools.cached_property
    def firm_rows(self) -> dict[str, np.ndarray]:
        """Row positions of ``firm_records`` by firm, split once a run."""
        if self.firm_records.empty:
            return {}
        return {str(k): np.asarray(v) for k, v in
                self.firm_records.groupby(c.FIRM, sort=False).indices.items()}


def month_of(scenario: Scenario, when: MonthRef) -> int:
    """A model month from an int or a ``YYYY-MM`` string (0 = the start)."""
    return int(scenario.month_of(when)) if isinstance(when, str) else int(when)


def window_rows(out: RunOutputs, frame: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Rows of ``frame`` whose month is within ``window`` (inclusive)."""
    first, last = (month_of(out.scenario, w) for w in window)
    months = frame[c.MONTH].to_numpy()
    return frame[(months >= first) & (months <= last)]


def tier_names(scenario: Scenario, group: str | list[str] | None) -> list[str]:
    """Tiers of a group: a tier name, a list of them, ``ai``, ``non_ai`` or all (None)."""
    tiers = list(scenario.tiers)
    if group is None:
        return tiers
    if isinstance(group, list):
        return group
    if group == "ai":
        return [t for t in tiers if scenario.tiers[t].ai]
    if group == "non_ai":
        return [t for t in tiers if not scenario.tiers[t].ai]
    return [group]


def named_tiers(group: str | list[str] | None) -> list[str]:
    """The tier names or groups a measure's ``tier`` argument names: none, one or a list."""
    if group is None:
        return []
    return group if isinstance(group, list) else [group]


def finite_mean(values: Any) -> float:
    """The mean of the finite values (NaN if none)."""
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    return float(arr.mean()) if arr.size else float("nan")


class Measure(Strict):
    """What every measure answers before any run: the columns, tiers, firms and months it
    names (each measure adds ``kind``, its arguments and ``value(out)``)."""

    def columns(self) -> list[str]:
        """Market columns this measure reads (checked before any run)."""
        return []

    def tiers_used(self) -> list[str]:
        """Tier names (or groups) this measure names (checked before any run)."""
        return []

    def firms_used(self) -> list[str]:
        """Firm names this measure names (checked before any run)."""
        return []

    def windows(self) -> list[MonthRef]:
        """Months this measure names (checked before any run)."""
        window = getattr(self, "window", None)
        return list(window) if window else []

    def earliest_month(self) -> int:
        """The first model month the measure's window may start at (checked before any
        run)."""
        return 0

    def leaves(self) -> list[Measure]:
        """The measures this one is made of, itself if it is not a composite (each is
        checked with its own windows)."""
        return [self]


class PayQuantile(Measure):
    """Mean over ``window`` of the ``q``-quantile of the tier's pay (employed)."""

    kind: Literal["pay_quantile"]
    tier: str = Field(description="A tier name, or 'ai' / 'non_ai' (q = 0.5 only).")
    q: float = Field(0.5, description="Quantile: 0.25, 0.5, 0.75, 0.9 or 0.99.")
    window: Window = Field(description="[first, last] month, inclusive (int or 'YYYY-MM').")

    @model_validator(mode="after")
    def _q(self) -> PayQuantile:
        if self.q not in QUANTILES:
            raise ValueError(f"q must be one of {', '.join(map(str, QUANTILES))} (the "
                             f"recorded quantiles), got {self.q}")
        return self

    def column(self) -> str:
        if self.tier in ("ai", "non_ai"):
            return c.AI_PAY_MEDIAN if self.tier == "ai" else c.NON_AI_PAY_MEDIAN
        stat = QUANTILES[self.q]
        return c.pay_column(stat, self.tier)

    def columns(self) -> list[str]:
        if self.tier in ("ai", "non_ai") and self.q != 0.5:
            return [f"<no column: tier {self.tier!r} has only q = 0.5>"]
        return [self.column()]

    def value(self, out: RunOutputs) -> float:
        return finite_mean(window_rows(out, out.market, self.window)[self.column()])


class FirmPayQuantile(Measure):
    """Mean over ``window`` of the ``q``-quantile (0.5 or 0.9) of the pay of one firm's
    employed engineers of an AI tier (``firms.csv``); months where the firm has nobody of
    the tier (NaN) are skipped, and a window with none is NaN."""

    kind: Literal["firm_pay_quantile"]
    firm: str = Field(description="A firm's name (a named firm of the scenario).")
    tier: str = Field(description="An AI tier's name (firms.csv records quantiles of AI "
                      "tiers only).")
    q: float = Field(0.5, description="Quantile: 0.5 or 0.9.")
    window: Window = Field(description="[first, last] month, inclusive.")

    @model_validator(mode="after")
    def _q(self) -> FirmPayQuantile:
        if self.q not in FIRM_QUANTILES:
            raise ValueError(f"q must be 0.5 or 0.9 (the quantiles firms.csv records), "
                             f"got {self.q}")
        return self

    def tiers_used(self) -> list[str]:
        return [self.tier]

    def firms_used(self) -> list[str]:
        return [self.firm]

    def value(self, out: RunOutputs) -> float:
        rows = window_rows(out, out.firm_records, self.window)
        column = c.pay_column(FIRM_QUANTILES[self.q], self.tier)
        if column not in rows.columns:
            return float("nan")
        return finite_mean(rows.loc[rows[c.FIRM] == self.firm, column])


class PayMean(Measure):
    """Mean over ``window`` of the tier's mean pay (employed)."""

    kind: Literal["pay_mean"]
    tier: str = Field(description="A tier name.")
    window: Window = Field(description="[first, last] month, inclusive.")

    def columns(self) -> list[str]:
        return [c.pay_column("mean", self.tier)]

    def value(self, out: RunOutputs) -> float:
        return finite_mean(window_rows(out, out.market, self.window)[self.columns()[0]])


class PayGrowth(Measure):
    """``pay_q(end) / pay_q(start) - 1`` of a tier (or 'ai' / 'non_ai' medians)."""

    kind: Literal["pay_growth"]
    tier: str = Field(description="A tier name, or 'ai' / 'non_ai'.")
    start: MonthRef = Field(description="First month (int or 'YYYY-MM').")
    end: MonthRef = Field(description="Last month (int or 'YYYY-MM').")
    q: float = Field(0.5, description="Quantile of pay: 0.25, 0.5, 0.75, 0.9 or 0.99.")

    def _quantile(self) -> PayQuantile:
        return PayQuantile(kind="pay_quantile", tier=self.tier, q=self.q,
                           window=[self.start, self.start])

    @model_validator(mode="after")
    def _q(self) -> PayGrowth:
        if self.q not in QUANTILES:
            raise ValueError(f"q must be one of {', '.join(map(str, QUANTILES))}, "
                             f"got {self.q}")
        return self

    def columns(self) -> list[str]:
        return self._quantile().columns()

    def windows(self) -> list[MonthRef]:
        return [self.start, self.end]

    def value(self, out: RunOutputs) -> float:
        col = self._quantile().column()
        market = out.market.set_index(c.MONTH)[col]
        a, b = month_of(out.scenario, self.start), month_of(out.scenario, self.end)
        if a not in market.index or b not in market.index or not market[a]:
            return float("nan")
        return float(market[b] / market[a] - 1.0)


class AiPayRatio(Measure):
    """Mean over ``window`` of median AI pay / median non-AI pay."""

    kind: Literal["ai_pay_ratio"]
    window: Window = Field(description="[first, last] month, inclusive.")

    def columns(self) -> list[str]:
        return [c.AI_PAY_RATIO]

    def value(self, out: RunOutputs) -> float:
        return finite_mean(window_rows(out, out.market, self.window)[c.AI_PAY_RATIO])


class JobToJobRate(Measure):
    """Monthly job-to-job rate over ``window``, of all engineers or of some tiers.

    Without ``tier``: the mean of ``market.csv``'s ``job_to_job_rate``. With a tier, a list
    of tiers, ``ai`` or ``non_ai``: Σ job-to-job moves of those tiers over the window
    (``flows.csv`` rows of kind ``job_to_job``: an engineer leaving one employer for
    another by choice, not a deal's transfer) / Σ employed of those tiers over its months.
    """

    kind: Literal["job_to_job_rate"]
    tier: str | list[str] | None = Field(
        None, description="A tier name, a list of them, 'ai' or 'non_ai' (default: all "
                          "engineers).")
    window: Window = Field(description="[first, last] month, inclusive.")

    def columns(self) -> list[str]:
        return [c.JOB_TO_JOB_RATE] if self.tier is None else []

    def tiers_used(self) -> list[str]:
        return named_tiers(self.tier)

    def value(self, out: RunOutputs) -> float:
        rows = window_rows(out, out.market, self.window)
        if self.tier is None:
            return finite_mean(rows[c.JOB_TO_JOB_RATE])
        names = tier_names(out.scenario, self.tier)
        flows = window_rows(out, out.flows, self.window)
        moves = flows[flows[c.FLOW_TIER].isin(names)]
        if c.FLOW_KIND in moves.columns:
            moves = moves[moves[c.FLOW_KIND] == "job_to_job"]
        else:  # runs written before flows.csv had a kind: every firm-to-firm move
            moves = moves[(moves[c.FLOW_SOURCE] != c.UNEMPLOYMENT_PLACE)
                          & (moves[c.FLOW_DESTINATION] != c.UNEMPLOYMENT_PLACE)]
        employed = float(sum(rows[c.per_tier(c.EMPLOYED, t)].sum() for t in names))
        return float(moves[c.FLOW_ENGINEERS].sum()) / employed if employed else float("nan")


class Retention(Measure):
    """Two-year retention of one firm's hires: of the engineers (of ``tier``) who joined
    ``firm`` in the months ``window`` - 24, the share still there, never having moved, 24
    months later.

    retention = Σ_{t in window} stayed_{j,t} / Σ_{t in window} arrivals_{j,t-24}, with
    stayed_{j,t} ``firms.csv``'s ``stayed_24_months_<tier>`` of firm j in month t (its
    engineers of tenure 24) and arrivals_{j,m} the engineers who moved to j in month m
    (``flows.csv`` rows with destination j: hires from unemployment, job-to-job hires and
    deals' transfers). ``window`` names the months of the check, so its first month is 25
    or later: a cohort hired in month 1 or later, never the engineers placed in month 0.
    """

    kind: Literal["retention"]
    firm: str = Field(description="A firm's name (a named firm of the scenario).")
    tier: str | list[str] | None = Field(
        None, description="A tier name, a list of them, 'ai' or 'non_ai' (default: all "
                          "engineers).")
    window: Window = Field(description="[first, last] month of the check, inclusive: the "
                           "cohort joined 24 months before each.")

    def tiers_used(self) -> list[str]:
        return named_tiers(self.tier)

    def firms_used(self) -> list[str]:
        return [self.firm]

    def earliest_month(self) -> int:
        return c.STAYED_TENURE + 1

    def value(self, out: RunOutputs) -> float:
        tenure = c.STAYED_TENURE
        names = tier_names(out.scenario, self.tier)
        first, last = (month_of(out.scenario, w) for w in self.window)
        empty = np.zeros(0, dtype=np.int64)
        month, tier, engineers = out.arrivals.get(self.firm, (empty, empty, empty))
        arrived = (month >= first - tenure) & (month <= last - tenure) & np.isin(tier, names)
        hired = float(engineers[arrived].sum())
        columns = [c.per_tier(c.STAYED_24_MONTHS, t) for t in names]
        firms = out.firm_records
        if not hired or any(col not in firms.columns for col in columns):
            return float("nan")
        rows = out.firm_rows.get(self.firm, empty)
        months = firms[c.MONTH].to_numpy()[rows]
        rows = rows[(months >= first) & (months <= last)]
        return float(firms[columns].to_numpy()[rows].sum()) / hired


class UnemploymentRate(Measure):
    """Mean over ``window`` of the unemployment rate, of all engineers or of a tier."""

    kind: Literal["unemployment_rate"]
    tier: str | None = Field(None, description="A tier name (default: all engineers).")
    window: Window = Field(description="[first, last] month, inclusive.")

    def columns(self) -> list[str]:
        if self.tier is None:
            return [c.UNEMPLOYMENT_RATE]
        return [c.per_tier(c.EMPLOYED, self.tier), c.per_tier(c.UNEMPLOYED, self.tier)]

    def value(self, out: RunOutputs) -> float:
        rows = window_rows(out, out.market, self.window)
        if self.tier is None:
            return finite_mean(rows[c.UNEMPLOYMENT_RATE])
        e = rows[c.per_tier(c.EMPLOYED, self.tier)].to_numpy(float)
        u = rows[c.per_tier(c.UNEMPLOYED, self.tier)].to_numpy(float)
        return finite_mean(u / np.maximum(e + u, 1))


class _Layoffs(Measure):
    tiers: str | list[str] | None = Field(
        None, description="A tier, a list of tiers, 'ai' or 'non_ai' (default: all tiers).")
    window: Window = Field(description="[first, last] month, inclusive.")

    def _names(self, out: RunOutputs) -> list[str]:
        return tier_names(out.scenario, self.tiers)

    def tiers_used(self) -> list[str]:
        return named_tiers(self.tiers)

    def _sum(self, out: RunOutputs, names: list[str]) -> float:
        rows = window_rows(out, out.market, self.window)
        return float(sum(rows[c.per_tier(c.LAYOFFS, t)].sum() for t in names))


class Layoffs(_Layoffs):
    """Σ over ``window`` of layoffs of the tiers."""

    kind: Literal["layoffs"]

    def value(self, out: RunOutputs) -> float:
        return self._sum(out, self._names(out))


class LayoffRate(_Layoffs):
    """Σ layoffs over ``window`` / mean employed over ``window``, of the tiers."""

    kind: Literal["layoff_rate"]

    def value(self, out: RunOutputs) -> float:
        names = self._names(out)
        rows = window_rows(out, out.market, self.window)
        employed = float(sum(rows[c.per_tier(c.EMPLOYED, t)].mean() for t in names))
        return self._sum(out, names) / employed if employed else float("nan")


class LayoffShare(_Layoffs):
    """Σ layoffs of the tiers / Σ layoffs of every tier, over ``window``."""

    kind: Literal["layoff_share"]

    def value(self, out: RunOutputs) -> float:
        total = self._sum(out, list(out.scenario.tiers))
        return self._sum(out, self._names(out)) / total if total else float("nan")


class FirmsLayingOff(_Layoffs):
    """Number of firms that lay off at least one engineer of the tiers over ``window``
    (``firm_records``)."""

    kind: Literal["firms_laying_off"]

    def value(self, out: RunOutputs) -> float:
        rows = window_rows(out, out.firm_records, self.window)
        names = self._names(out)
        laid = sum(rows[c.per_tier(c.LAYOFFS, t)].to_numpy(float) for t in names)
        per_firm = rows.assign(_laid=laid).groupby(c.FIRM)["_laid"].sum()
        return float((per_firm > 0).sum())


class _Deals(Measure):
    window: Window | None = Field(None, description="[first, last] month (default: all).")
    own_only: bool = Field(True, description="Leave out the dated forced_deal events (whose "
                           "prices are inputs): only the model's own deals.")

    def done(self, out: RunOutputs) -> pd.DataFrame:
        deals = out.deals
        if deals.empty:
            return deals
        deals = deals[~deals[c.DEAL_BLOCKED].astype(bool)]
        if self.window is not None:
            deals = window_rows(out, deals, self.window)
        if self.own_only:
            forced = {(month_of(out.scenario, e.month), e.buyer, e.target)
                      for e in out.scenario.events if e.type == "forced_deal"}
            keys = zip(deals[c.MONTH], deals[c.DEAL_BUYER], deals[c.DEAL_TARGET], strict=True)
            deals = deals[[(int(m), b, t) not in forced for m, b, t in keys]]
        return deals


class DealPricePerEngineer(_Deals):
    """Median (or mean) price per engineer moved of the deals done."""

    kind: Literal["deal_price_per_engineer"]
    statistic: Literal["median", "mean"] = Field("median", description="median or mean.")

    def value(self, out: RunOutputs) -> float:
        prices = self.done(out)
        if prices.empty:
            return float("nan")
        values = prices[c.DEAL_PRICE_PER_ENGINEER].to_numpy(float)
        return float(np.median(values) if self.statistic == "median" else values.mean())


class DealCount(_Deals):
    """Number of deals done."""

    kind: Literal["deal_count"]

    def value(self, out: RunOutputs) -> float:
        return float(len(self.done(out)))


class _WindowMean(Measure):
    window: Window = Field(description="[first, last] month, inclusive.")

    def columns(self) -> list[str]:
        return [self.kind]  # type: ignore[attr-defined]

    def value(self, out: RunOutputs) -> float:
        return finite_mean(window_rows(out, out.market, self.window)[self.columns()[0]])


class TopShareAboveThreshold(_WindowMean):
    """Mean over ``window`` of the share of top-tier talent at firms above the GPU
    threshold."""

    kind: Literal["top_share_above_threshold"]


class TopHhi(_WindowMean):
    """Mean over ``window`` of the HHI (0-10,000) of top-tier employment."""

    kind: Literal["top_hhi"]


class Hhi(_WindowMean):
    """Mean over ``window`` of the HHI (0-10,000) of all employment."""

    kind: Literal["hhi"]


class ShareAboveThreshold(Measure):
    """Mean over ``window`` of the share of the tier's employed at firms holding at least
    ``compute.threshold`` GPUs."""

    kind: Literal["share_above_threshold"]
    tier: str = Field(description="A tier name.")
    window: Window = Field(description="[first, last] month, inclusive.")

    def tiers_used(self) -> list[str]:
        return [self.tier]

    def value(self, out: RunOutputs) -> float:
        rows = window_rows(out, out.firm_records, self.window)
        heads = rows[c.per_tier(c.HEADCOUNT, self.tier)].to_numpy(float)
        big = rows[c.GPUS].to_numpy(float) >= out.scenario.compute.threshold
        months = rows[c.MONTH].to_numpy()
        shares = []
        for m in np.unique(months):
            inside = months == m
            total = heads[inside].sum()
            if total:
                shares.append(heads[inside & big].sum() / total)
        return finite_mean(shares)
