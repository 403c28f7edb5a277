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

The search (:func:`smm`, deterministic given the seed, so a resume replays it)
    a global design of ``points`` points in unit coordinates (Latin hypercube or scrambled
    Sobol, ``scipy.stats.qmc``, seeded from the calibration's seed), plus the ``start``
    point if every parameter has one, evaluated as one batch; a local optimiser
    (``scipy.optimize.minimize``, Nelder-Mead or Powell, bounds [0, 1]) from the best point
    so far, on J, up to the budget of runs; θ̂ the evaluated point with the smallest J
    (the first, in order of evaluation, among equals); then the Jacobian (2k points) and the
    profiles (k x ``profile_points``), each a batch.
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


# --------------------------------------------------------------------------- the search

Evaluate = Callable[[list[list[float]]], list[np.ndarray]]
"""The moments of each point of a batch, an R x M array each (NaN rows for failed runs)."""
Observe = Callable[[str, list[float], np.ndarray, float], None]
"""Told of each evaluation: stage (design, search, jacobian, profile), point, moments, J
(NaN for the Jacobian's points)."""


@dataclass
class Estimate:
    """What :func:`smm` found: θ̂ (``values``), J(θ̂), the R x M moments at θ̂, the Jacobian
    of every moment (M x k), the inference, and the profiles ((key, value, J) rows)."""

    values: list[float]
    objective: float
    moments: np.ndarray
    jacobian: np.ndarray
    inference: Inference
    profiles: list[tuple[str, float, float]]


def smm(spec: CalibrationSpec, evaluate: Evaluate, observe: Observe | None = None
        ) -> Estimate:
    """Estimate the calibration's parameters by the simulated method of moments (the search
    and the inference of the module docstring), evaluating points with ``evaluate`` alone;
    ``observe`` is told of every evaluation, in order."""
    est = spec.estimator
    params = spec.parameters
    history: dict[tuple[float, ...], tuple[float, np.ndarray]] = {}

    def objectives(stage: str, batch: list[list[float]]) -> list[float]:
        out = []
        for values, moments in zip(batch, evaluate(batch), strict=True):
            key = tuple(values)
            j = objective(spec, moments, values)
            if key not in history and stage in ("design", "search"):
                history[key] = (j, moments)
            if observe is not None:
                observe(stage, values, moments, j)
            out.append(j)
        return out

    def to_values(u: np.ndarray) -> list[float]:
        return [p.from_unit(float(x)) for p, x in zip(params, u, strict=True)]

    design = [to_values(u) for u in design_units(spec)]
    if all(p.start is not None for p in params):
        design.append([float(p.start) for p in params])  # type: ignore[arg-type]
    objectives("design", design)
    used = len(history) * est.replicates
    if est.search.local != "none" and used < est.budget:
        _local_search(spec, history, objectives, to_values, est.budget - used)
    order = list(history)
    best = min(history, key=lambda key: (history[key][0], order.index(key)))
    j_best, moments_best = history[best]
    estimate = list(best)
    pairs = jacobian_points(spec, estimate)
    flat = [pt for pair in pairs for pt in pair]
    evaluated = evaluate(flat)
    g_all = jacobian(pairs, evaluated[0::2], evaluated[1::2])
    if observe is not None:
        for values, moments in zip(flat, evaluated, strict=True):
            observe("jacobian", values, moments, math.nan)
    info = inference(spec, estimate, g_all)
    profiles = _profiles(spec, estimate, objectives)
    info.warnings.extend(profile_warnings(profiles, j_best))
    return Estimate(estimate, j_best, moments_best, g_all, info, profiles)


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
                  evaluate: Any, to_values: Any, budget: int) -> None:
    """scipy.optimize.minimize on J in unit coordinates from the best point so far."""
    from scipy.optimize import minimize

    est = spec.estimator
    best = min(history, key=lambda key: history[key][0])
    x0 = np.array([p.to_unit(v) for p, v in zip(spec.parameters, best, strict=True)])
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


def _profiles(spec: CalibrationSpec, estimate: list[float], evaluate: Any
              ) -> list[tuple[str, float, float]]:
    """J along each parameter around the estimate: (key, value, J) rows."""
    est = spec.estimator
    if est.profile_points == 0:
        return []
    rows = []
    for i, p in enumerate(spec.parameters):
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
