"""The simulated method of moments: objective, standard errors, identification.

Notation: θ the k parameters, m the M fitted targets with standard errors s, m̂(θ) the mean
of the moments over R runs with the same R seeds at every θ (common random numbers),
g(θ) = m̂(θ) − m, and W the weighting matrix (diagonal: ``diagonal`` W = diag(1/s²),
``identity`` W = I, ``relative`` W = diag(1/m²)).

Objective
    J(θ) = g(θ)' W g(θ) (+ Σ_i ((x_i − μ_i)/σ_i)² for parameters with a normal prior, x_i
    the parameter in its design space). Replicates whose run failed or whose moment is
    undefined (NaN) are left out of the mean; a fitted moment undefined in every replicate
    makes J = :data:`PENALTY`.

Jacobian
    G_ji = (m̂_j(θ + h_i) − m̂_j(θ − h_i)) / (θ_i⁺ − θ_i⁻), central differences at the
    estimate with the same seeds, the step h_i being ``jacobian_step`` of the parameter's
    range in unit coordinates (linear or log10); one-sided at a bound.

Standard errors (the SMM sandwich; Pakes and Pollard 1989, McFadden 1989)
    Var(θ̂) = (1 + 1/R) (G'WG)⁻¹ G'W Ω W G (G'WG)⁻¹, Ω = diag(s²)
    (the targets' variances; their covariances are unknown and taken as 0). With the
    default W = Ω⁻¹ it is (1 + 1/R) (G'WG)⁻¹. The factor 1 + 1/R assumes a run's moment
    has the same variance as the target's (one simulated market per observed one).
    A singular G'WG gives NaN standard errors for the parameters it does not pin down.

Identification
    S = diag(1/s) G D, D = diag(∂θ_i/∂u_i): the change of each fitted moment, in target
    SEs, per move of the parameter across its whole range (unit coordinate u). A parameter
    whose column norm ‖S_i‖ is below ``identification_threshold`` is not identified; two
    parameters whose columns have |cos| above ``collinearity`` are near-collinear. The
    rank of S (singular values above 1e-8 × the largest, and above the threshold) and its
    condition number σ_max/σ_min are reported; for each singular value below the threshold
    the parameters with weight ≥ 0.3 in its right singular vector are named (a combination
    of parameters the moments do not pin down).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.calibration.spec import CalibrationSpec, EstimatedParameter

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
    return np.array([1.0 / m.se**2 for m in fitted])


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
    target = np.array([m.target for m in spec.fitted])
    g = mbar - target
    value = float(g @ (weights(spec) * g))
    for p, v in zip(spec.parameters, values, strict=True):
        if p.prior is not None:
            value += ((p.design_value(v) - p.prior.mean) / p.prior.sd) ** 2
    return value


def jacobian_points(spec: CalibrationSpec, estimate: Sequence[float]
                    ) -> list[tuple[list[float], list[float]]]:
    """For each parameter, the points θ⁺ and θ⁻ of its central difference (unit step
    ``jacobian_step``, moved inside [0, 1]: one-sided at a bound)."""
    h = spec.estimator.jacobian_step
    pairs = []
    for i, p in enumerate(spec.parameters):
        u = p.to_unit(estimate[i])
        hi, lo = min(u + h, 1.0), max(u - h, 0.0)
        plus, minus = list(estimate), list(estimate)
        plus[i], minus[i] = p.from_unit(hi), p.from_unit(lo)
        pairs.append((plus, minus))
    return pairs


def jacobian(pairs: Sequence[tuple[Sequence[float], Sequence[float]]],
             plus: Sequence[np.ndarray], minus: Sequence[np.ndarray]
             ) -> np.ndarray:
    """G (M x k, all moments) by central differences, in the parameters' own units."""
    cols = []
    for i, (hi, lo) in enumerate(pairs):
        step = hi[i] - lo[i]
        cols.append((mean_moments(plus[i]) - mean_moments(minus[i])) / step)
    return np.array(cols).T


def unit_slopes(parameters: Sequence[EstimatedParameter], estimate: Sequence[float]
                ) -> np.ndarray:
    """∂θ_i/∂u_i at the estimate (range on a linear scale; θ ln10 × log-range on a log
    scale)."""
    out = []
    for p, v in zip(parameters, estimate, strict=True):
        low, high = p.bounds
        if p.scale == "log":
            out.append(v * np.log(10) * (np.log10(high) - np.log10(low)))
        else:
            out.append(high - low)
    return np.array(out)


@dataclass
class Inference:
    """Standard errors and identification at the estimate."""

    covariance: np.ndarray
    se: np.ndarray
    scaled: np.ndarray
    rank: int
    condition: float
    column_norms: np.ndarray
    not_identified: list[str] = field(default_factory=list)
    collinear: list[tuple[str, str, float]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def inference(spec: CalibrationSpec, estimate: Sequence[float], g_all: np.ndarray
              ) -> Inference:
    """The sandwich covariance and the identification checks (module docstring)."""
    idx = fitted_index(spec)
    g = np.nan_to_num(g_all[idx], nan=0.0)
    w = weights(spec)
    se_targets = np.array([m.se for m in spec.fitted])
    omega = se_targets**2
    r = spec.estimator.replicates
    keys = [p.key for p in spec.parameters]
    est = spec.estimator

    scaled = (g / se_targets[:, None]) * unit_slopes(spec.parameters, estimate)[None, :]
    norms = np.linalg.norm(scaled, axis=0)
    weak = norms < est.identification_threshold
    singular = np.linalg.svd(scaled, compute_uv=False) if scaled.size else np.zeros(0)
    top = float(singular.max()) if singular.size else 0.0
    rank = int(np.sum(singular > max(1e-8 * top, est.identification_threshold)))
    condition = float(top / singular.min()) if singular.size and singular.min() > 0 \
        else float("inf")
    collinear = []
    for a in range(len(keys)):
        for b in range(a + 1, len(keys)):
            if weak[a] or weak[b]:
                continue
            cos = float(scaled[:, a] @ scaled[:, b] / (norms[a] * norms[b]))
            if abs(cos) > est.collinearity:
                collinear.append((keys[a], keys[b], cos))

    cov = np.full((len(keys), len(keys)), np.nan)
    ok = ~weak
    if ok.any():
        sub = g[:, ok]
        a_sub = sub.T @ (w[:, None] * sub)
        try:
            inv = np.linalg.inv(a_sub)
            meat = sub.T @ ((w * omega * w)[:, None] * sub)
            cov_ok = (1.0 + 1.0 / r) * inv @ meat @ inv
            cov[np.ix_(ok, ok)] = cov_ok
        except np.linalg.LinAlgError:
            pass
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    warnings = []
    weak_names = [k for k, bad in zip(keys, weak, strict=True) if bad]
    if weak_names:
        warnings.append(
            "not identified: " + ", ".join(weak_names) + " (moving across the whole range "
            f"shifts the fitted moments by less than {est.identification_threshold:g} target SE); "
            "their standard errors are not reported")
    for first, second, cos in collinear:
        warnings.append(f"near-collinear: {first} and {second} move the moments alike (cos = "
                        f"{cos:+.3f}): the moments pin down a combination, not each")
    if rank < len(keys):
        warnings.append(f"the scaled Jacobian has rank {rank} < {len(keys)} parameters "
                        f"(condition number {condition:.3g})")
        if scaled.size:
            _, values, vt = np.linalg.svd(scaled, full_matrices=False)
            for value, vector in zip(values, vt, strict=True):
                if value > max(1e-8 * top, est.identification_threshold):
                    continue
                terms = [f"{c:+.2f} {keys[i]}" for i, c in enumerate(vector)
                         if abs(c) >= 0.3 and not weak[i]]
                if terms:
                    warnings.append("weakly identified direction (moves the moments by "
                                    f"{value:.2g} SE across the ranges): " + " ".join(terms))
    return Inference(cov, se, scaled, rank, condition, norms, weak_names, collinear,
                     warnings)
