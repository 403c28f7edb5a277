"""The registry of moments: named measures over one run's outputs.

A *measure* is a pydantic model with a ``kind`` (its name in the registry) and its
arguments; :meth:`value` computes it from a :class:`RunOutputs` (the run's ``market``,
``firm_records`` and ``deals`` tables and its scenario). Windows are ``[first, last]``,
inclusive, each a model month (an int, 0 = the start) or a calendar month ``"YYYY-MM"``.
A measure with nothing to measure (no deal, an empty window) is NaN.

Registry (:data:`MEASURES`), with the formula of each:

- ``pay_quantile(tier, q, window)``: mean over the window of the q-quantile of the pay of
  the tier's employed engineers, ``q`` in {0.25, 0.5, 0.75, 0.9, 0.99}
  (``pay_<p25|median|p75|p90|p99>_<tier>``, numpy's linear quantile of each month's pay);
  ``tier = "ai"`` / ``"non_ai"`` take the median of all AI / non-AI tiers (q = 0.5 only).
- ``firm_pay_quantile(firm, tier, q, window)``: mean over the window of the q-quantile
  (0.5 or 0.9) of the pay of one firm's employed engineers of an AI tier (``firms.csv``
  ``pay_<median|p90>_<tier>``; months where the firm has nobody of the tier are skipped).
- ``pay_mean(tier, window)``: mean over the window of the tier's mean pay.
- ``pay_growth(tier, start, end, q)``: ``pay_q(end) / pay_q(start) - 1`` (q = 0.5: median).
- ``ai_pay_ratio(window)``: mean over the window of median AI pay / median non-AI pay.
- ``job_to_job_rate(tier?, window)``: without tier, the mean of ``job_to_job_rate`` (moves
  between firms / employed at the start of the month); with a tier, a list of tiers,
  ``ai`` or ``non_ai``: Σ_window job-to-job moves of those tiers (``flows`` rows of kind
  ``job_to_job``; deal transfers are not counted) / Σ_window employed of those tiers.
- ``unemployment_rate(tier?, window)``: mean over the window of unemployed / engineers (of
  the tier).
- ``layoffs(tiers?, window)``: total layoffs over the window (of the tiers; all by default).
- ``layoff_rate(tiers?, window)``: Σ layoffs / mean employed over the window, of the tiers.
- ``layoff_share(tiers, window)``: Σ layoffs of the tiers / Σ layoffs of all tiers.
- ``firms_laying_off(tiers?, window)``: number of firms laying off at least one engineer
  of the tiers over the window.
- ``deal_price_per_engineer(statistic, window?, own_only)``: median (or mean) price per
  engineer moved of the deals done; ``own_only`` (default) leaves out the dated
  ``forced_deal`` events, whose prices are inputs.
- ``deal_count(window?, own_only)``: number of deals done.
- ``top_share_above_threshold(window)``, ``top_hhi(window)``, ``hhi(window)``: window means
  of those ``market.csv`` columns.
- ``share_above_threshold(tier, window)``: mean over the window of the share of the tier's
  employed at firms with at least ``compute.threshold`` GPUs (``firm_records``).
- ``ratio(numerator, denominator)`` and ``difference(a, b)`` of two measures.
"""

from __future__ import annotations

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


def _mean(values: Any) -> float:
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    return float(arr.mean()) if arr.size else float("nan")


class _Base(Strict):
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


class PayQuantile(_Base):
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
        return _mean(window_rows(out, out.market, self.window)[self.column()])


class FirmPayQuantile(_Base):
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
        return _mean(rows.loc[rows[c.FIRM] == self.firm, column])


class PayMean(_Base):
    """Mean over ``window`` of the tier's mean pay (employed)."""

    kind: Literal["pay_mean"]
    tier: str = Field(description="A tier name.")
    window: Window = Field(description="[first, last] month, inclusive.")

    def columns(self) -> list[str]:
        return [c.pay_column("mean", self.tier)]

    def value(self, out: RunOutputs) -> float:
        return _mean(window_rows(out, out.market, self.window)[self.columns()[0]])


class PayGrowth(_Base):
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


class AiPayRatio(_Base):
    """Mean over ``window`` of median AI pay / median non-AI pay."""

    kind: Literal["ai_pay_ratio"]
    window: Window = Field(description="[first, last] month, inclusive.")

    def columns(self) -> list[str]:
        return [c.AI_PAY_RATIO]

    def value(self, out: RunOutputs) -> float:
        return _mean(window_rows(out, out.market, self.window)[c.AI_PAY_RATIO])


class JobToJobRate(_Base):
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
        if self.tier is None:
            return []
        return self.tier if isinstance(self.tier, list) else [self.tier]

    def value(self, out: RunOutputs) -> float:
        rows = window_rows(out, out.market, self.window)
        if self.tier is None:
            return _mean(rows[c.JOB_TO_JOB_RATE])
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


class UnemploymentRate(_Base):
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
            return _mean(rows[c.UNEMPLOYMENT_RATE])
        e = rows[c.per_tier(c.EMPLOYED, self.tier)].to_numpy(float)
        u = rows[c.per_tier(c.UNEMPLOYED, self.tier)].to_numpy(float)
        return _mean(u / np.maximum(e + u, 1))


class _Layoffs(_Base):
    tiers: str | list[str] | None = Field(
        None, description="A tier, a list of tiers, 'ai' or 'non_ai' (default: all tiers).")
    window: Window = Field(description="[first, last] month, inclusive.")

    def _names(self, out: RunOutputs) -> list[str]:
        return tier_names(out.scenario, self.tiers)

    def tiers_used(self) -> list[str]:
        if self.tiers is None:
            return []
        return self.tiers if isinstance(self.tiers, list) else [self.tiers]

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


class _Deals(_Base):
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


class _WindowMean(_Base):
    window: Window = Field(description="[first, last] month, inclusive.")

    def columns(self) -> list[str]:
        return [self.kind]  # type: ignore[attr-defined]

    def value(self, out: RunOutputs) -> float:
        return _mean(window_rows(out, out.market, self.window)[self.columns()[0]])


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


class ShareAboveThreshold(_Base):
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
        return _mean(shares)


class Ratio(_Base):
    """``numerator / denominator`` of two measures."""

    kind: Literal["ratio"]
    numerator: AnyMeasure
    denominator: AnyMeasure

    def columns(self) -> list[str]:
        return self.numerator.columns() + self.denominator.columns()

    def tiers_used(self) -> list[str]:
        return self.numerator.tiers_used() + self.denominator.tiers_used()

    def firms_used(self) -> list[str]:
        return self.numerator.firms_used() + self.denominator.firms_used()

    def windows(self) -> list[MonthRef]:
        return self.numerator.windows() + self.denominator.windows()

    def value(self, out: RunOutputs) -> float:
        den = self.denominator.value(out)
        return self.numerator.value(out) / den if den else float("nan")


class Difference(_Base):
    """``a - b`` of two measures."""

    kind: Literal["difference"]
    a: AnyMeasure
    b: AnyMeasure

    def columns(self) -> list[str]:
        return self.a.columns() + self.b.columns()

    def tiers_used(self) -> list[str]:
        return self.a.tiers_used() + self.b.tiers_used()

    def firms_used(self) -> list[str]:
        return self.a.firms_used() + self.b.firms_used()

    def windows(self) -> list[MonthRef]:
        return self.a.windows() + self.b.windows()

    def value(self, out: RunOutputs) -> float:
        return self.a.value(out) - self.b.value(out)


AnyMeasure = Annotated[
    PayQuantile | FirmPayQuantile | PayMean | PayGrowth | AiPayRatio | JobToJobRate
    | UnemploymentRate | Layoffs | LayoffRate | LayoffShare | FirmsLayingOff
    | DealPricePerEngineer | DealCount | TopShareAboveThreshold | TopHhi | Hhi
    | ShareAboveThreshold | Ratio | Difference,
    Field(discriminator="kind"),
]
"""Any registered measure, told apart by its ``kind``."""

Ratio.model_rebuild()
Difference.model_rebuild()

MEASURES: dict[str, type[_Base]] = {
    cls.model_fields["kind"].annotation.__args__[0]: cls  # type: ignore[union-attr]
    for cls in (PayQuantile, FirmPayQuantile, PayMean, PayGrowth, AiPayRatio, JobToJobRate,
                UnemploymentRate, Layoffs, LayoffRate, LayoffShare, FirmsLayingOff,
                DealPricePerEngineer, DealCount, TopShareAboveThreshold, TopHhi, Hhi,
                ShareAboveThreshold, Ratio, Difference)
}
"""The registry: measure kind -> its class (arguments and formula in the class)."""


def measure_value(measure: Any, out: RunOutputs) -> float:
    """The value of a measure on one run, as a float (NaN when undefined)."""
    value = float(measure.value(out))
    return value if np.isfinite(value) else float("nan")


def _window_text(window: Any) -> str:
    first, last = window
    return f"{first}" if first == last else f"{first} to {last}"


def _tiers_text(group: Any, default: str = "every tier") -> str:
    if group is None:
        return default
    if isinstance(group, list):
        return ", ".join(group)
    return {"ai": "AI tiers", "non_ai": "non-AI tiers"}.get(group, group)


def describe(measure: Any) -> str:
    """What a measure computes, in words (the docs' "what the model measures" column;
    ``tests/calibration/test_moment_definitions.py`` checks docs/calibration.md against it).
    """
    kind = measure.kind
    if kind == "pay_quantile":
        if measure.tier in ("ai", "non_ai"):
            who = "AI" if measure.tier == "ai" else "non-AI"
            return (f"median pay of all employed {who} engineers, mean of the months "
                    f"{_window_text(measure.window)}")
        stat = QUANTILES[measure.q]
        return (f"{stat} of employed {measure.tier}s' pay (market.csv), mean of the months "
                f"{_window_text(measure.window)}")
    if kind == "firm_pay_quantile":
        return (f"{FIRM_QUANTILES[measure.q]} of {measure.firm}'s employed {measure.tier}s' "
                f"pay (firms.csv), mean of the months {_window_text(measure.window)}")
    if kind == "ai_pay_ratio":
        return ("median AI pay / median non-AI pay of the employed, mean of the months "
                f"{_window_text(measure.window)}")
    if kind == "job_to_job_rate":
        who = _tiers_text(measure.tier)
        return (f"moves to another employer / employed ({who}), months "
                f"{_window_text(measure.window)}")
    if kind == "layoffs":
        return f"layoffs ({_tiers_text(measure.tiers)}), months {_window_text(measure.window)}"
    if kind == "layoff_rate":
        return (f"layoffs / mean employed ({_tiers_text(measure.tiers)}), months "
                f"{_window_text(measure.window)}")
    if kind == "deal_price_per_engineer":
        whose = "the model's own deals" if measure.own_only else "every deal"
        return f"{measure.statistic} price per engineer moved, {whose}"
    if kind == "ratio":
        return f"({describe(measure.numerator)}) / ({describe(measure.denominator)})"
    if kind == "difference":
        return f"({describe(measure.a)}) - ({describe(measure.b)})"
    args = ", ".join(f"{k} = {v}" for k, v in measure.model_dump().items() if k != "kind")
    return f"{kind}({args})"
