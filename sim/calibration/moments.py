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
- ``retention(firm, tier?, window)``: of the engineers (of the tiers; all by default) who
  moved to the firm 24 months before the months of the window (``flows`` rows with that
  destination: hires and deals' transfers), the share still there, never having moved,
  in those months (``firms.csv``'s ``stayed_24_months_<tier>``, its engineers of tenure
  24). The window starts at month 25 or later.
- ``ratio(numerator, denominator)`` and ``difference(a, b)`` of two measures, and
  ``mean(of)``, the mean of two or more.

The classes of the measures (what each reads and its ``value``) are
:mod:`sim.calibration.run_measures`; this module holds the composites, the registry and the
descriptions in words.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field

from sim.calibration.run_measures import (
    FIRM_QUANTILES,
    QUANTILES,
    AiPayRatio,
    DealCount,
    DealPricePerEngineer,
    FirmPayQuantile,
    FirmsLayingOff,
    Hhi,
    JobToJobRate,
    LayoffRate,
    Layoffs,
    LayoffShare,
    Measure,
    MonthRef,
    PayGrowth,
    PayMean,
    PayQuantile,
    Retention,
    RunOutputs,
    ShareAboveThreshold,
    TopHhi,
    TopShareAboveThreshold,
    UnemploymentRate,
)


class Composite(Measure):
    """A measure made of others (:meth:`parts`): what it reads and names is what their
    leaves read and name."""

    def parts(self) -> list[Measure]:
        """The measures this one combines, in order."""
        raise NotImplementedError

    def leaves(self) -> list[Measure]:
        return [leaf for part in self.parts() for leaf in part.leaves()]

    def columns(self) -> list[str]:
        return [col for leaf in self.leaves() for col in leaf.columns()]

    def tiers_used(self) -> list[str]:
        return [tier for leaf in self.leaves() for tier in leaf.tiers_used()]

    def firms_used(self) -> list[str]:
        return [firm for leaf in self.leaves() for firm in leaf.firms_used()]

    def windows(self) -> list[MonthRef]:
        return [when for leaf in self.leaves() for when in leaf.windows()]


class Ratio(Composite):
    """``numerator / denominator`` of two measures."""

    kind: Literal["ratio"]
    numerator: AnyMeasure
    denominator: AnyMeasure

    def parts(self) -> list[Measure]:
        return [self.numerator, self.denominator]

    def value(self, out: RunOutputs) -> float:
        den = self.denominator.value(out)
        return self.numerator.value(out) / den if den else float("nan")


class Difference(Composite):
    """``a - b`` of two measures."""

    kind: Literal["difference"]
    a: AnyMeasure
    b: AnyMeasure

    def parts(self) -> list[Measure]:
        return [self.a, self.b]

    def value(self, out: RunOutputs) -> float:
        return self.a.value(out) - self.b.value(out)


class Mean(Composite):
    """The mean of several measures, (1/n) Σ_k m_k (NaN if any is NaN)."""

    kind: Literal["mean"]
    of: Annotated[list[AnyMeasure], Field(min_length=2)]

    def parts(self) -> list[Measure]:
        return list(self.of)

    def value(self, out: RunOutputs) -> float:
        return float(np.mean([m.value(out) for m in self.of]))


AnyMeasure = Annotated[
    PayQuantile | FirmPayQuantile | PayMean | PayGrowth | AiPayRatio | JobToJobRate
    | UnemploymentRate | Layoffs | LayoffRate | LayoffShare | FirmsLayingOff
    | DealPricePerEngineer | DealCount | TopShareAboveThreshold | TopHhi | Hhi
    | ShareAboveThreshold | Retention | Ratio | Difference | Mean,
    Field(discriminator="kind"),
]
"""Any registered measure, told apart by its ``kind``."""

Ratio.model_rebuild()
Difference.model_rebuild()
Mean.model_rebuild()

MEASURES: dict[str, type[Measure]] = {
    cls.model_fields["kind"].annotation.__args__[0]: cls  # type: ignore[union-attr]
    for cls in (PayQuantile, FirmPayQuantile, PayMean, PayGrowth, AiPayRatio, JobToJobRate,
                UnemploymentRate, Layoffs, LayoffRate, LayoffShare, FirmsLayingOff,
                DealPricePerEngineer, DealCount, TopShareAboveThreshold, TopHhi, Hhi,
                ShareAboveThreshold, Retention, Ratio, Difference, Mean)
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
    if kind == "retention":
        return (f"share of {measure.firm}'s arrivals ({_tiers_text(measure.tier)}) 24 months "
                f"before the months {_window_text(measure.window)} still there, never having "
                "moved")
    if kind == "ratio":
        return f"({describe(measure.numerator)}) / ({describe(measure.denominator)})"
    if kind == "difference":
        return f"({describe(measure.a)}) - ({describe(measure.b)})"
    if kind == "mean":
        parts = measure.of
        if all(m.kind == "retention" and (m.tier, m.window) == (parts[0].tier, parts[0].window)
               for m in parts):
            return (f"mean over {', '.join(m.firm for m in parts)} of the share of the "
                    f"firm's arrivals ({_tiers_text(parts[0].tier)}) 24 months before the "
                    f"months {_window_text(parts[0].window)} still there, never having moved")
        return "mean of " + "; ".join(f"({describe(m)})" for m in parts)
    args = ", ".join(f"{k} = {v}" for k, v in measure.model_dump().items() if k != "kind")
    return f"{kind}({args})"
