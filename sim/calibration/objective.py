"""The simulated method of moments: the objective J and what it is made of.

Notation: θ the k parameters, m the M fitted targets with standard errors s, m̂(θ) the mean
of the moments over R runs with the same R seeds at every θ (common random numbers),
g(θ) the deviations, and W the weighting matrix (diagonal: ``diagonal`` W = diag(1/s²),
``identity`` W = I, ``relative`` W = diag(1/m²)). An equality moment has g_j = m̂_j − m_j;
a bound from a quote (:class:`sim.calibration.spec.Moment`) has the one-sided
g_j = min(m̂_j − m_j, 0) (``at_least``) or max(m̂_j − m_j, 0) (``at_most``): a penalty that is
zero while the model keeps to the bound.

Objective
    J(θ) = g(θ)' W g(θ) (+ Σ_i ((x_i − μ_i)/σ_i)² for parameters with a normal prior, x_i
    the parameter in its design space). Replicates whose run failed or whose moment is
    undefined (NaN) are left out of the mean; a fitted moment undefined in every replicate
    makes J = :data:`PENALTY`. J is a distance between the model and the targets, not a
    test statistic: Ω (the targets' variances s², :mod:`sim.calibration.inference`)
    holds judgements (and bounds have no χ² limit), so no p-value is
    reported (:func:`objective_kind`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.calibration.spec import CalibrationSpec

PENALTY = 1e12
"""J of a point where a fitted moment is undefined in every replicate."""


def weights(spec: CalibrationSpec) -> np.ndarray:
    """The diagonal of W over the fitted moments."""
    fitted = spec.fitted
    kind = spec.estimator.weighting
    if kind == "identity":
        return np.ones(len(fitted))
    if kind == "relative":
        return np.array([1.0 / m.target**2 for m in fitted])
    return np.array([1.0 / m.sd**2 for m in fitted])


def deviations(spec: CalibrationSpec, mbar: np.ndarray) -> np.ndarray:
    """g over the fitted moments from their means m̂ (fitted moments only, in order):
    m̂ − m for equalities, the one-sided deviation for bounds (module docstring)."""
    return np.array([m.deviation(x) for m, x in zip(spec.fitted, mbar, strict=True)],
                    dtype=float).reshape(len(spec.fitted))


def active(spec: CalibrationSpec, mbar: np.ndarray) -> np.ndarray:
    """Which fitted moments count in G at m̂ (fitted only): every equality, and each bound
    the model does not keep strictly (m̂ on the bound or beyond it)."""
    out = []
    for m, x in zip(spec.fitted, mbar, strict=True):
        if m.bound == "at_least":
            out.append(not x > m.target)
        elif m.bound == "at_most":
            out.append(not x < m.target)
        else:
            out.append(True)
    return np.array(out, dtype=bool)


def objective_kind(spec: CalibrationSpec) -> str:
    """How J may be read: always a distance here (no χ² test, no p-value), with the reason:
    the share of fitted moments whose SE is a judgement, and the bounds."""
    fitted = spec.fitted
    judged = sum(m.se_basis == "judgement" for m in fitted)
    bounds = sum(m.bound != "equal" for m in fitted)
    why = []
    if judged:
        why.append(f"{judged} of {len(fitted)} fitted SEs are judgements, so J scales with "
                   "them")
    if bounds:
        why.append(f"{bounds} fitted moments are one-sided bounds (no χ² limit)")
    if spec.estimator.weighting != "diagonal":
        why.append(f"W is {spec.estimator.weighting!r}, not Ω⁻¹")
    if not why:
        why.append("even with Ω from the data, the targets' covariances are unknown")
    return "distance, not a test (no p-value): " + "; ".join(why)


def fitted_index(spec: CalibrationSpec) -> np.ndarray:
    """Positions of the fitted moments among all moments."""
    return np.array([i for i, m in enumerate(spec.moments) if not m.held_out], dtype=int)


def mean_moments(runs: np.ndarray) -> np.ndarray:
    """m̂: the mean over replicates (rows) of each moment, NaN replicates left out."""
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(runs)
        counts = ok.sum(axis=0)
        total = np.where(ok, runs, 0.0).sum(axis=0)
        return np.where(counts > 0, total / np.maximum(counts, 1), np.nan)


def objective(spec: CalibrationSpec, runs: np.ndarray, values: Sequence[float]) -> float:
    """J(θ) of a point from its R x M moments (see the module docstring)."""
    idx = fitted_index(spec)
    mbar = mean_moments(runs)[idx]
    if not np.all(np.isfinite(mbar)):
        return PENALTY
    g = deviations(spec, mbar)
    value = float(g @ (weights(spec) * g))
    for p, v in zip(spec.parameters, values, strict=True):
        if p.prior is not None:
            value += ((p.design_value(v) - p.prior.mean) / p.prior.sd) ** 2
    return value
