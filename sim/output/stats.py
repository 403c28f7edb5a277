"""The statistics of replicates: t intervals of a mean, paired tests and the false
discovery rate.

Replicates of two scenarios are paired by seed (common random numbers): the effect of the
change is the mean of the per-seed differences, with its Student t interval and the
p-value of the paired t test. A comparison reports many measures at once; at a 95% level
each measure with no effect reads "differs" by chance once in twenty, so the tables add a
verdict that controls the false discovery rate (Benjamini and Hochberg, 1995) over the
measures of one table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import cast

import numpy as np
import pandas as pd
from scipy import special

LEVEL = 0.95
"""The confidence level of every interval (and 1 - the false discovery rate)."""


def t_quantile(p: float, df: int) -> float:
    """Student's t quantile ``t_{p, df}`` (``F_df(t) = p``): ``scipy.special.stdtrit``,
    which ``scipy.stats.t.ppf`` calls for ``0 < p < 1`` and ``df > 0`` (the same number),
    without importing ``scipy.stats`` (more than a second of every command that reads
    replicates)."""
    return float(special.stdtrit(df, p))


def t_quantiles(p: float, df: np.ndarray) -> np.ndarray:
    """:func:`t_quantile` for each degrees of freedom of ``df`` (``df > 0``)."""
    return np.asarray(special.stdtrit(df, p), dtype=float)


def t_upper_tail(t: float, df: int) -> float:
    """Student's t upper tail ``1 - F_df(t) = F_df(-t)``: ``scipy.special.stdtr(df, -t)``,
    which ``scipy.stats.t.sf`` calls for ``df > 0`` (the same number)."""
    return float(special.stdtr(df, -t))


def mean_interval(values: Sequence[float] | np.ndarray, level: float = LEVEL
                  ) -> tuple[float, float, float, float]:
    """``(mean, standard deviation, low, high)`` of ``values``: the Student t interval of
    the mean, ``mean ± t_{(1+level)/2, n-1} s / sqrt(n)`` (NaN values dropped).

    With fewer than two values the deviation and the interval are NaN; with zero spread
    the interval is the mean itself.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan, math.nan
    sd = float(x.std(ddof=1))
    half = t_quantile((1 + level) / 2, n - 1) * sd / math.sqrt(n)
    return mean, sd, mean - half, mean + half


def paired_p_value(differences: Sequence[float] | np.ndarray) -> float:
    """The two-sided p-value of the paired t test that the mean difference is 0:
    ``2 (1 - F_{n-1}(|d̄| / (s_d / sqrt(n))))`` (NaN values dropped).

    NaN with fewer than two differences, or when every difference is 0 (no evidence
    either way); 0 when the differences are all equal and not 0 (no spread: the interval
    is the mean itself and excludes 0).
    """
    d = np.asarray(differences, dtype=float)
    d = d[~np.isnan(d)]
    if len(d) < 2:
        return math.nan
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    if sd == 0 or np.all(d == d[0]):
        return math.nan if mean == 0 else 0.0
    t = abs(mean) / (sd / math.sqrt(len(d)))
    return 2 * t_upper_tail(t, len(d) - 1)


def benjamini_hochberg(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (NaN stays NaN and is not counted).

    With the ``m`` known p-values sorted, ``p_(1) <= ... <= p_(m)``, the adjusted value of
    ``p_(k)`` is ``min_{j >= k} min(1, m p_(j) / j)``. Rejecting where the adjusted value is
    below ``q`` keeps the expected share of false rejections among the rejections at or
    below ``q`` (for independent or positively dependent tests).
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, math.nan)
    known = np.flatnonzero(~np.isnan(p))
    m = len(known)
    if m == 0:
        return out
    order = known[np.argsort(p[known], kind="stable")]
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out[order] = np.minimum(adjusted, 1.0)
    return out


def fdr_verdicts(p_values: Sequence[float] | np.ndarray, per_measure: Sequence[bool]
                 | np.ndarray, level: float = LEVEL) -> np.ndarray:
    """Whether each measure differs with the false discovery rate held at ``1 - level``:
    its Benjamini–Hochberg adjusted p-value is below ``1 - level`` and its own interval
    excludes 0. Never true where ``per_measure`` is false (the adjusted p-value is at least
    the p-value, and the p-value is below ``1 - level`` exactly when the interval excludes
    0; the second condition also guards the rounding at that edge)."""
    adjusted = benjamini_hochberg(p_values)
    below = np.where(np.isnan(adjusted), False, adjusted < 1 - level)
    return np.asarray(below & np.asarray(per_measure, dtype=bool), dtype=bool)


def percent_of(difference: float, reference: float) -> float:
    """An effect in % of the reference: ``100 Δ / |reference|`` (NaN if the reference is 0
    or unknown)."""
    if math.isnan(difference) or math.isnan(reference) or reference == 0:
        return math.nan
    return 100.0 * difference / abs(reference)


def paired_interval(diff: np.ndarray, level: float = LEVEL) -> tuple[float, float, float]:
    """The mean of the paired differences ``diff`` (NaN dropped) and its t interval
    (:func:`mean_interval`). Where two or more differences are all equal the interval is
    the mean itself (no spread); one difference alone has no interval (NaN), so it is never
    called distinguishable."""
    mean, _, low, high = mean_interval(diff, level)
    if np.count_nonzero(~np.isnan(diff)) >= 2 and np.nanstd(diff) == 0:
        low = high = mean  # identical differences: no spread
    return mean, low, high


def paired_row(reference: np.ndarray, other: np.ndarray, level: float = LEVEL
               ) -> dict[str, float | bool | int]:
    """The paired comparison of one measure over replicates paired by seed (NaN where a
    replicate lacks the measure; pairs with a NaN are dropped from the difference).

    Returns the means of each side over the pairs (so that ``other_mean -
    reference_mean`` is ``d̄``; each side's own mean where no pair has both), the mean
    difference ``d̄`` of ``other - reference``, its t interval (``low``, ``high``; the mean
    itself when every difference is equal), ``percent_difference`` (``100 d̄ / |reference
    mean|``), the paired t test's ``p_value``, ``distinguishable`` (the interval excludes
    0) and ``pairs``.
    """
    a = np.asarray(reference, dtype=float)
    b = np.asarray(other, dtype=float)
    diff = b - a
    mean, low, high = paired_interval(diff, level)
    known = not (math.isnan(low) or math.isnan(high))
    both = ~np.isnan(diff)
    if both.any():
        ref_mean, oth_mean = float(a[both].mean()), float(b[both].mean())
    else:
        ref_mean = float(np.nanmean(a)) if np.any(~np.isnan(a)) else math.nan
        oth_mean = float(np.nanmean(b)) if np.any(~np.isnan(b)) else math.nan
    return {"reference_mean": ref_mean, "other_mean": oth_mean, "mean_difference": mean,
            "low": low, "high": high,
            "percent_difference": percent_of(mean, ref_mean),
            "p_value": paired_p_value(diff),
            "distinguishable": bool(known and (low > 0 or high < 0)),
            "pairs": int(np.sum(both))}


def with_fdr(table: pd.DataFrame, level: float = LEVEL,
             family: np.ndarray | None = None) -> pd.DataFrame:
    """``table`` (rows of :func:`paired_row`) with ``distinguishable_fdr``
    after ``distinguishable``: the Benjamini–Hochberg verdict over the table's rows
    (:func:`fdr_verdicts`), or over the rows ``family`` marks (a boolean array); a row
    outside the family (a fact, not an estimate: the final month) keeps its own
    ``distinguishable``."""
    out = table.copy()
    distinguishable = out["distinguishable"].to_numpy(dtype=bool)
    verdict = distinguishable.copy()
    tested = np.ones(len(out), dtype=bool) if family is None else np.asarray(family, bool)
    verdict[tested] = fdr_verdicts(out["p_value"].to_numpy(dtype=float)[tested],
                                   distinguishable[tested], level)
    out.insert(int(cast(int, out.columns.get_loc("distinguishable"))) + 1,
               "distinguishable_fdr", verdict)
    return out
