"""The simulated method of moments: objective, standard errors, identification.

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
    test statistic: Ω holds judgements (and bounds have no χ² limit), so no p-value is
    reported (:func:`objective_kind`).

Jacobian
    G_ji = (m̂_j(θ + h_i) − m̂_j(θ − h_i)) / (θ_i⁺ − θ_i⁻), central differences at the
    estimate with the same seeds, the step h_i being ``jacobian_step`` of the parameter's
    range in unit coordinates (linear or log10); one-sided at a bound.

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
    re-estimated, until the free parameters have full rank (:func:`smm`). Two parameters
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
    parameter at a time (the others' intervals ignore a neighbour on its bound).

The search (:func:`smm`, deterministic given the seed, so a resume replays it)
    a global design of ``points`` points in unit coordinates (Latin hypercube or scrambled
    Sobol, ``scipy.stats.qmc``, seeded from the calibration's seed), plus the ``start``
    point if every parameter has one, evaluated as one batch; a local optimiser
    (``scipy.optimize.minimize``, Nelder-Mead or Powell, bounds [0, 1]) from the best point
    so far, on J, up to the budget of runs; θ̂ the evaluated point with the smallest J
    (the first, in order of evaluation, among equals); then the Jacobian (2k points). When
    its rank is below the number of free parameters, the parameters the pivoted QR leaves
    out are fixed and the search repeated over the others: the local search alone, from
    θ̂ with the fixed values, with the same budget, then their Jacobian. Last the profiles
    (free parameters x ``profile_points``), each a batch.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.calibration.spec import CalibrationSpec, EstimatedParameter
from sim.sweeps.designs import design_seed

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


# --------------------------------------------------------------------------- the search

Evaluate = Callable[[list[list[float]]], list[np.ndarray]]
"""The moments of each point of a batch, an R x M array each (NaN rows for failed runs)."""
Observe = Callable[[str, list[float], np.ndarray, float], None]
"""Told of each evaluation: stage (design, search, jacobian, profile), point, moments, J
(NaN for the Jacobian's points)."""


@dataclass
class Estimate:
    """What :func:`smm` found: θ̂ (``values``, the fixed parameters at their fixed values),
    J(θ̂), the R x M moments at θ̂, the Jacobian of every moment (M x k; a fixed parameter's
    column is the one measured when it was fixed), the inference, the profiles ((key,
    value, J) rows) and the fixed parameters (key: value)."""

    values: list[float]
    objective: float
    moments: np.ndarray
    jacobian: np.ndarray
    inference: Inference
    profiles: list[tuple[str, float, float]]
    fixed: dict[str, float] = field(default_factory=dict)


def smm(spec: CalibrationSpec, evaluate: Evaluate, observe: Observe | None = None
        ) -> Estimate:
    """Estimate the calibration's parameters by the simulated method of moments (the search
    and the inference of the module docstring), evaluating points with ``evaluate`` alone;
    ``observe`` is told of every evaluation, in order.

    Parameters the joint rank of the scaled Jacobian does not support are fixed (at their
    ``start``, else at the estimate) and the others re-estimated from the estimate, until
    the free parameters' Jacobian has full rank: the result has as many free parameters
    as the rank supports."""
    params = spec.parameters
    k = len(params)
    fixed: dict[int, float] = {}
    g_all = np.full((len(spec.moments), k), np.nan)
    warnings: list[str] = []
    start: list[float] | None = None
    while True:
        free = [i for i in range(k) if i not in fixed]
        estimate, j_best, moments = _search(spec, evaluate, observe, fixed, start)
        pairs = jacobian_points(spec, estimate)
        pairs = [pairs[i] for i in free]
        flat = [pt for pair in pairs for pt in pair]
        evaluated = evaluate(flat) if flat else []
        if free:
            g_all[:, free] = _columns(pairs, free, evaluated)
        if observe is not None:
            for values, point_moments in zip(flat, evaluated, strict=True):
                observe("jacobian", values, point_moments, math.nan)
        held = [i in fixed for i in range(k)]
        info = inference(spec, estimate, g_all, held, mean_moments(moments))
        if not info.to_fix:
            break
        warnings.extend(info.warnings)
        for i in info.to_fix:
            p = params[i]
            fixed[i] = float(p.start) if p.start is not None else estimate[i]
        names = ", ".join(f"{params[i].key} = {fixed[i]:.6g}" for i in info.to_fix)
        rest = ("the other parameters re-estimated" if len(fixed) < k
                else "no parameter is left to estimate")
        warnings.append(f"fixed (not identified): {names} (at its start value, else at the "
                        f"estimate); {rest}")
        start = [fixed.get(i, v) for i, v in enumerate(estimate)]
    info.warnings[:0] = warnings
    info.not_identified = [params[i].key for i in sorted(fixed)] + info.not_identified
    profiles = _profiles(spec, estimate, _objectives(spec, evaluate, observe, None),
                         [i for i in range(k) if i not in fixed])
    info.warnings.extend(profile_warnings(profiles, j_best))
    return Estimate(estimate, j_best, moments, g_all, info, profiles,
                    {params[i].key: v for i, v in sorted(fixed.items())})


def _columns(pairs: Sequence[tuple[Sequence[float], Sequence[float]]], free: Sequence[int],
             evaluated: Sequence[np.ndarray]) -> np.ndarray:
    """The central differences of the free parameters' columns (M x len(free))."""
    cols = []
    for n, (hi, lo) in enumerate(pairs):
        i = free[n]
        cols.append((mean_moments(evaluated[2 * n]) - mean_moments(evaluated[2 * n + 1]))
                    / (hi[i] - lo[i]))
    return np.array(cols).T


def _objectives(spec: CalibrationSpec, evaluate: Evaluate, observe: Observe | None,
                history: dict[tuple[float, ...], tuple[float, np.ndarray]] | None
                ) -> Callable[[str, list[list[float]]], list[float]]:
    """J of each point of a batch (full points), recording design and search points in
    ``history`` and telling ``observe``."""

    def objectives(stage: str, batch: list[list[float]]) -> list[float]:
        out = []
        for values, moments in zip(batch, evaluate(batch), strict=True):
            key = tuple(values)
            j = objective(spec, moments, values)
            if history is not None and key not in history and stage in ("design", "search"):
                history[key] = (j, moments)
            if observe is not None:
                observe(stage, values, moments, j)
            out.append(j)
        return out

    return objectives


def _search(spec: CalibrationSpec, evaluate: Evaluate, observe: Observe | None,
            fixed: dict[int, float], start: list[float] | None
            ) -> tuple[list[float], float, np.ndarray]:
    """The search over the parameters not ``fixed``: the global design (or the ``start``
    point alone when given) then the local search; (θ̂, J(θ̂), moments at θ̂)."""
    est = spec.estimator
    params = spec.parameters
    free = [i for i in range(len(params)) if i not in fixed]
    history: dict[tuple[float, ...], tuple[float, np.ndarray]] = {}
    objectives = _objectives(spec, evaluate, observe, history)

    def to_values(u: np.ndarray) -> list[float]:
        values = [fixed.get(i, math.nan) for i in range(len(params))]
        for i, x in zip(free, u, strict=True):
            values[i] = params[i].from_unit(float(x))
        return values

    if start is None:
        design = [to_values(u) for u in design_units(spec)]
        if all(p.start is not None for p in params):
            design.append([float(p.start) for p in params])  # type: ignore[arg-type]
    else:
        design = [list(start)]
    objectives("design" if start is None else "search", design)
    used = len(history) * est.replicates
    if free and est.search.local != "none" and used < est.budget:
        _local_search(spec, history, objectives, to_values, est.budget - used, free)
    order = list(history)
    best = min(history, key=lambda key: (history[key][0], order.index(key)))
    return list(best), history[best][0], history[best][1]


def design_units(spec: CalibrationSpec) -> np.ndarray:
    """The global design in unit coordinates (points x k), from the calibration's seed."""
    from scipy.stats import qmc

    k, search = len(spec.parameters), spec.estimator.search
    seed = design_seed(spec.seed)
    most = max(spec.estimator.budget // spec.estimator.replicates, 1)
    n = min(search.points, most)
    if search.design == "sobol":
        m = max(math.ceil(math.log2(max(n, 1))), 0)
        while 2**m > most and m > 0:
            m -= 1
        return np.asarray(qmc.Sobol(d=k, scramble=True, seed=seed).random_base2(m))
    return np.asarray(qmc.LatinHypercube(d=k, seed=seed).random(n))


def _local_search(spec: CalibrationSpec, history: dict[tuple[float, ...], Any],
                  evaluate: Any, to_values: Any, budget: int, free: Sequence[int]) -> None:
    """scipy.optimize.minimize on J in the free parameters' unit coordinates from the best
    point so far."""
    from scipy.optimize import minimize

    est = spec.estimator
    best = min(history, key=lambda key: history[key][0])
    x0 = np.array([spec.parameters[i].to_unit(best[i]) for i in free])
    evaluations = max(budget // est.replicates, 1)
    count = 0

    def f(u: np.ndarray) -> float:
        nonlocal count
        count += 1
        if count > evaluations:
            raise _Budget
        return evaluate("search", [to_values(np.clip(u, 0.0, 1.0))])[0]

    k = len(x0)
    options: dict[str, Any]
    if est.search.local == "nelder-mead":
        simplex = [x0]
        for i in range(k):
            step = np.zeros(k)
            step[i] = 0.1 if x0[i] <= 0.9 else -0.1
            simplex.append(x0 + step)
        options = {"initial_simplex": np.array(simplex), "xatol": est.search.xatol,
                   "fatol": est.search.fatol, "maxfev": evaluations}
        method = "Nelder-Mead"
    else:
        options = {"xtol": est.search.xatol, "ftol": est.search.fatol, "maxfev": evaluations}
        method = "Powell"
    with contextlib.suppress(_Budget):
        minimize(f, x0, method=method, bounds=[(0.0, 1.0)] * k, options=options)


class _Budget(Exception):
    """The local search has used its budget of runs."""


def _profiles(spec: CalibrationSpec, estimate: list[float], evaluate: Any,
              free: Sequence[int]) -> list[tuple[str, float, float]]:
    """J along each free parameter around the estimate: (key, value, J) rows."""
    est = spec.estimator
    if est.profile_points == 0:
        return []
    rows = []
    for i in free:
        p = spec.parameters[i]
        u0 = p.to_unit(estimate[i])
        grid = np.clip(np.linspace(u0 - est.profile_width, u0 + est.profile_width,
                                   est.profile_points), 0.0, 1.0)
        batch = []
        for u in dict.fromkeys(float(x) for x in grid):
            values = list(estimate)
            values[i] = p.from_unit(u)
            batch.append(values)
        for values, j in zip(batch, evaluate("profile", batch), strict=True):
            rows.append((p.key, values[i], j))
    return rows


def profile_warnings(profiles: list[tuple[str, float, float]], j_best: float) -> list[str]:
    """A warning for each parameter along whose profile some point has a lower objective
    than the estimate's J (the local search stopped short of a better point: re-run from
    it), naming the best such point."""
    out = []
    for key in dict.fromkeys(k for k, _, _ in profiles):
        row = min((r for r in profiles if r[0] == key and math.isfinite(r[2])),
                  key=lambda r: r[2], default=None)
        if row is not None and row[2] < j_best:
            out.append(f"profile of {key}: J = {row[2]:.4g} at {key} = {row[1]:.4g}, below "
                       f"J = {j_best:.4g} at the estimate; the search stopped at a local "
                       "minimum or the objective is noisy there (re-run with start = that "
                       "value, or more replicates)")
    return out
