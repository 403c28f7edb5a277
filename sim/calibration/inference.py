"""The inference at an SMM estimate: standard errors, identification, intervals.

The notation (θ, m, s, m̂, g, W) is that of :mod:`sim.calibration.objective`; G is the
Jacobian of g at the estimate, measured by the search (:mod:`sim.calibration.estimate`).

Standard errors (the SMM sandwich; Pakes and Pollard 1989, McFadden 1989)
    Var(θ̂) = (1 + 1/R) (G'WG)⁻¹ G'W Ω W G (G'WG)⁻¹, Ω = diag(s²)
    (the targets' variances, each from the data or a judgement, ``Moment.se_basis``; their
    covariances are unknown and taken as 0). G is the Jacobian of g: the rows of bounds
    that hold at the estimate (g_j = 0 with the model strictly on the allowed side) are
    zero, so such a moment pins nothing down; a bound that binds counts as an equality. With the
    default W = Ω⁻¹ it is (1 + 1/R) (G'WG)⁻¹. The factor 1 + 1/R assumes a run's moment
    has the same variance as the target's (one simulated market per observed one).
    A singular G'WG gives NaN standard errors for the parameters it does not pin down.

Identification (by the joint rank of the scaled Jacobian)
    S = diag(1/s) G D, D = diag(∂θ_i/∂u_i): the change of each fitted moment, in target
    SEs, per move of the parameter across its whole range (unit coordinate u). The rank r
    of S counts its singular values above τ = max(1e-8 σ_max, ``identification_threshold``)
    (condition number σ_max/σ_min). Parameter i is identified when dropping its column
    lowers the rank, rank(S_{-i}) < r: the parameters that span a weak direction (and a
    parameter whose column norm ‖S_i‖ is below τ) are not. A pivoted QR of S (S P = Q R,
    columns in order of the norm they add) keeps the r leading columns; the other k − r
    parameters are fixed (at their ``start``, else at the estimate) and the others
    re-estimated, until the free parameters have full rank
    (:func:`sim.calibration.estimate.smm`). Two parameters
    whose columns have |cos| above ``collinearity`` are reported as near-collinear; for
    each singular value below τ the parameters with weight ≥ 0.3 in its right singular
    vector are named.

Intervals that respect the bounds
    Every estimated parameter lies in its range [min, max]; the search works in the unit
    coordinate u ∈ [0, 1] (linear or log10 between the bounds), and J's minimiser does not
    depend on the coordinates, so only the interval is computed on a transformed scale:
    η = logit(u) = ln(u / (1 − u)), by the delta method, se_η = se_θ / (|∂θ/∂u| u (1 − u)),
    and η̂ ± 1.96 se_η mapped back by θ = from_unit(1 / (1 + e^−η)): inside (min, max), and
    equal to θ̂ ± 1.96 se_θ to first order in se_θ. Where θ̂ ± 1.96 se_θ reaches a bound the
    estimator's distribution is not normal on any scale: the truncated estimate has the
    limit Andrews (1999) derives for a parameter on a boundary (the normal projected onto
    the parameter space), and the interval is the Wald interval cut at the bounds,
    [max(min, θ̂ − 1.96 se), min(max, θ̂ + 1.96 se)], the inversion of the equal-tailed test
    under that limit: coverage at least 95% (97.5% with the true value on the bound), one
    parameter at a time (the others' intervals ignore a neighbour on its bound). A free
    parameter whose interval is its whole range, [min, max], passes the rank but is not
    pinned down: the inference warns ("not pinned down"), and the parameter should be fixed
    at a stated value or a moment added that moves it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.calibration.objective import active, fitted_index, weights
from sim.calibration.spec import CalibrationSpec, EstimatedParameter


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
    """Standard errors, intervals and identification at the estimate.

    ``identified[i]``: dropping parameter i lowers the rank of the free parameters' scaled
    Jacobian; ``fixed[i]``: the parameter was fixed (not identified) and not estimated;
    ``to_fix``: the free parameters the pivoted QR leaves out (k_free − rank of them);
    ``interval``: the k x 2 95% intervals (module docstring), ``interval_method`` how each
    was computed (``logit``, ``cut at the bound``, or empty without an SE)."""

    covariance: np.ndarray
    se: np.ndarray
    scaled: np.ndarray
    rank: int
    condition: float
    column_norms: np.ndarray
    not_identified: list[str] = field(default_factory=list)
    collinear: list[tuple[str, str, float]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    identified: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    fixed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    to_fix: list[int] = field(default_factory=list)
    interval: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    interval_method: list[str] = field(default_factory=list)


def numeric_rank(matrix: np.ndarray, tolerance: float) -> int:
    """The number of singular values of ``matrix`` above ``tolerance`` (0 if empty)."""
    if matrix.size == 0:
        return 0
    return int(np.sum(np.linalg.svd(matrix, compute_uv=False) > tolerance))


def joint_identification(scaled: np.ndarray, threshold: float
                         ) -> tuple[int, np.ndarray, list[int], float]:
    """Rank r of the scaled Jacobian S (singular values above τ = max(1e-8 σ_max,
    ``threshold``)), which columns are identified (rank(S_{-i}) < r), the columns a pivoted
    QR leaves out (positions r.. of its permutation: k − r of them), and τ."""
    k = scaled.shape[1]
    if scaled.size == 0 or k == 0:
        return 0, np.zeros(k, dtype=bool), list(range(k)), threshold
    top = float(np.linalg.svd(scaled, compute_uv=False).max())
    tol = max(1e-8 * top, threshold)
    rank = numeric_rank(scaled, tol)
    identified = np.array([rank > 0 and numeric_rank(np.delete(scaled, i, axis=1), tol) < rank
                           for i in range(k)], dtype=bool)
    from scipy.linalg import qr

    _, _, order = qr(scaled, mode="economic", pivoting=True)
    return rank, identified, sorted(int(i) for i in order[rank:]), tol


def on_bound(spec: CalibrationSpec, parameter: EstimatedParameter, value: float) -> bool:
    """Whether the value is within half a ``jacobian_step`` of a bound (unit coordinates)."""
    u = parameter.to_unit(value)
    edge = spec.estimator.jacobian_step / 2
    return u <= edge or u >= 1 - edge


def bounded_interval(parameter: EstimatedParameter, value: float, se: float,
                     z: float = 1.96) -> tuple[float, float, str]:
    """The 95% interval of the module docstring: (low, high, method).

    When θ̂ ± z se stays inside (min, max), the interval on η = logit(u), mapped back
    (``logit``); when it reaches a bound, the Wald interval cut at the bounds
    [max(min, θ̂ − z se), min(max, θ̂ + z se)] (``cut at the bound``). NaNs and an empty
    method without a finite SE."""
    if not math.isfinite(se):
        return math.nan, math.nan, ""
    low, high = parameter.bounds
    u = parameter.to_unit(value)
    slope = float(unit_slopes([parameter], [value])[0])
    if value - z * se <= low or value + z * se >= high or not 0.0 < u < 1.0 or slope <= 0:
        return max(low, value - z * se), min(high, value + z * se), "cut at the bound"
    se_eta = se / slope / (u * (1.0 - u))
    eta = math.log(u / (1.0 - u))

    def back(x: float) -> float:
        return parameter.from_unit(0.5 * (1.0 + math.tanh(x / 2.0)))  # the logistic, stably

    return back(eta - z * se_eta), back(eta + z * se_eta), "logit"


def inference(spec: CalibrationSpec, estimate: Sequence[float], g_all: np.ndarray,
              fixed: Sequence[bool] | None = None, means: np.ndarray | None = None
              ) -> Inference:
    """The sandwich covariance, the intervals and the identification checks (module
    docstring), over the parameters not ``fixed``. ``means``: m̂ of every moment at the
    estimate, which tells the bounds that hold (their rows of G are zero); without it every
    fitted moment counts."""
    idx = fitted_index(spec)
    g = np.nan_to_num(g_all[idx], nan=0.0)
    if means is not None:
        g = g * active(spec, np.asarray(means, dtype=float)[idx])[:, None]
    w = weights(spec)
    se_targets = np.array([m.sd for m in spec.fitted])
    omega = se_targets**2
    r = spec.estimator.replicates
    keys = [p.key for p in spec.parameters]
    k = len(keys)
    est = spec.estimator
    held = np.zeros(k, dtype=bool) if fixed is None else np.asarray(fixed, dtype=bool)
    free = np.flatnonzero(~held)

    scaled = (g / se_targets[:, None]) * unit_slopes(spec.parameters, estimate)[None, :]
    norms = np.linalg.norm(scaled, axis=0)
    sub_scaled = scaled[:, free]
    rank, sub_identified, sub_left_out, tol = joint_identification(
        sub_scaled, est.identification_threshold)
    singular = np.linalg.svd(sub_scaled, compute_uv=False) if sub_scaled.size else np.zeros(0)
    condition = float(singular.max() / singular.min()) if singular.size and singular.min() > 0 \
        else float("inf")
    identified = np.zeros(k, dtype=bool)
    identified[free] = sub_identified
    to_fix = [int(free[i]) for i in sub_left_out]
    weak = norms < tol
    collinear = []
    for a in free:
        for b in free:
            if b <= a or weak[a] or weak[b]:
                continue
            cos = float(scaled[:, a] @ scaled[:, b] / (norms[a] * norms[b]))
            if abs(cos) > est.collinearity:
                collinear.append((keys[a], keys[b], cos))

    cov = np.full((k, k), np.nan)
    kept = np.array([i for i in free if i not in to_fix], dtype=int)
    if kept.size:
        sub = g[:, kept]
        a_sub = sub.T @ (w[:, None] * sub)
        try:
            inv = np.linalg.inv(a_sub)
            meat = sub.T @ ((w * omega * w)[:, None] * sub)
            cov[np.ix_(kept, kept)] = (1.0 + 1.0 / r) * inv @ meat @ inv
        except np.linalg.LinAlgError:
            pass
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    bounds_rows = [bounded_interval(p, estimate[i], float(se[i]))
                   for i, p in enumerate(spec.parameters)]
    interval = np.array([[lo, hi] for lo, hi, _ in bounds_rows]).reshape(k, 2)
    methods = [m for _, _, m in bounds_rows]
    warnings = []
    unpinned = [keys[i] for i in kept
                if np.isfinite(interval[i]).all()
                and tuple(interval[i]) == tuple(spec.parameters[i].bounds)]
    if unpinned:
        warnings.append(
            "not pinned down: " + ", ".join(unpinned) + " (its 95% interval is its whole "
            "range: the sandwich interval excludes none of it; fix it at a stated value, add "
            "a moment that moves it, or check by a recovery Monte Carlo)")
    not_identified = [keys[i] for i in free if not identified[i]]
    weak_names = [keys[i] for i in free if weak[i]]
    if weak_names:
        warnings.append(
            "not identified: " + ", ".join(weak_names) + " (moving across the whole range "
            f"shifts the fitted moments by less than {tol:g} target SE)")
    for first, second, cos in collinear:
        warnings.append(f"near-collinear: {first} and {second} move the moments alike (cos = "
                        f"{cos:+.3f}): the moments pin down a combination, not each")
    if rank < len(free):
        warnings.append(f"the scaled Jacobian has rank {rank} < {len(free)} parameters "
                        f"(condition number {condition:.3g}); not identified by the joint "
                        "rank: " + ", ".join(not_identified))
        if sub_scaled.size:
            _, values, vt = np.linalg.svd(sub_scaled, full_matrices=False)
            for value, vector in zip(values, vt, strict=True):
                if value > tol:
                    continue
                terms = [f"{c:+.2f} {keys[free[i]]}" for i, c in enumerate(vector)
                         if abs(c) >= 0.3 and not weak[free[i]]]
                if terms:
                    warnings.append("weakly identified direction (moves the moments by "
                                    f"{value:.2g} SE across the ranges): " + " ".join(terms))
    return Inference(cov, se, scaled, rank, condition, norms, not_identified, collinear,
                     warnings, identified, held.copy(), to_fix, interval, methods)


@dataclass
class Prediction:
    """What the model predicts for each moment at the estimate, with its uncertainty (the
    arrays run over the calibration's moments, in file order)."""

    mean: np.ndarray
    """m̂_j: the mean over the R replicates at θ̂."""
    sd_parameters: np.ndarray
    """sqrt(G_j Var(θ̂) G_j'): the spread from the estimate's uncertainty (free
    parameters only; a parameter fixed as not identified adds none)."""
    sd_seed: np.ndarray
    """The spread of the moment across replicates (seeds) at θ̂: one market's draw."""
    sd: np.ndarray
    """The predictive SD, sqrt(sd_parameters² + sd_seed² (1 + 1/R))."""
    low: np.ndarray
    """m̂_j − 1.96 sd_j: the 95% prediction interval's low end."""
    high: np.ndarray
    """m̂_j + 1.96 sd_j."""
    z: np.ndarray
    """The prediction's distance from the target, in the SD of their difference:
    (m̂_j − target_j) / sqrt(sd_j² + s_j²); for a bound only the side that breaks it counts
    (0 while the prediction keeps to the bound)."""


Z95 = 1.959963984540054
"""The 97.5% quantile of the standard normal."""


def predict(spec: CalibrationSpec, moments: np.ndarray, g_all: np.ndarray,
            covariance: np.ndarray, fixed: Sequence[bool] | np.ndarray | None = None
            ) -> Prediction:
    """The 95% prediction interval of every moment at the estimate.

    A moment the fit did not use (held out, or published after the data cut of a backtest)
    is predicted by the model at θ̂ with two sources of error, taken as independent: the
    estimate's, by the delta method, Var_θ = G_j Var(θ̂) G_j' (G_j: the row of ∂m/∂θ, over
    the parameters with a finite covariance), and the market's own randomness, the variance
    of the moment across the R replicates' seeds, counted once for the one market observed
    and once over R for the mean's simulation error:

        sd_j² = Var_θ + Var_seed (1 + 1/R),   interval m̂_j ± 1.96 sd_j.

    The target carries its own SE s_j, so a target agrees with the prediction at the 5%
    level when |z_j| ≤ 1.96, z_j = (m̂_j − target_j) / sqrt(sd_j² + s_j²) (positive: the
    model above the target); for an ``at_most`` bound z_j = max(z_j, 0) (only the model
    above the bound counts), for ``at_least`` min(z_j, 0).

    R counts each moment's defined replicates. The parameters ``fixed`` (as not identified)
    add nothing; a free parameter without a variance (a singular G'WG) makes
    ``sd_parameters`` NaN, as does a moment defined in no replicate."""
    moments = np.asarray(moments, dtype=float)
    r = np.count_nonzero(np.isfinite(moments), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a moment defined in one run only
        mean = np.nanmean(moments, axis=0)
        sd_seed = np.where(r > 1, np.nanstd(moments, axis=0, ddof=1), 0.0)
        noise = sd_seed**2 * (1.0 + 1.0 / r)
    variances = np.diag(covariance)
    held = (np.zeros(variances.size, dtype=bool) if fixed is None
            else np.asarray(fixed, dtype=bool))
    keep = np.flatnonzero(~held & np.isfinite(variances))
    g = np.nan_to_num(np.asarray(g_all, dtype=float)[:, keep], nan=0.0)
    cov = covariance[np.ix_(keep, keep)]
    var_theta = np.clip(np.einsum("mi,ij,mj->m", g, cov, g), 0.0, None)
    if np.any(~held & ~np.isfinite(variances)):  # a free parameter has no variance
        var_theta = np.full(var_theta.shape, np.nan)
    var_theta = np.where(np.isfinite(mean), var_theta, np.nan)
    sd = np.sqrt(var_theta + noise)
    targets = np.array([m.target for m in spec.moments])
    se = np.array([m.sd for m in spec.moments])
    z = (mean - targets) / np.sqrt(sd**2 + se**2)
    for j, m in enumerate(spec.moments):
        if m.bound == "at_most":
            z[j] = max(z[j], 0.0)
        elif m.bound == "at_least":
            z[j] = min(z[j], 0.0)
    return Prediction(mean, np.sqrt(var_theta), sd_seed, sd, mean - Z95 * sd,
                      mean + Z95 * sd, z)
