"""The simulated method of moments: the search for θ̂ and its Jacobian.

The objective J is :mod:`sim.calibration.objective` (with the notation), the standard
errors, identification and intervals at the estimate :mod:`sim.calibration.inference`.

Jacobian
    G_ji = (m̂_j(θ + h_i) − m̂_j(θ − h_i)) / (θ_i⁺ − θ_i⁻), central differences at the
    estimate with the same seeds, the step h_i being ``jacobian_step`` of the parameter's
    range in unit coordinates (linear or log10); one-sided at a bound.

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

from sim.calibration.inference import Inference, inference
from sim.calibration.objective import mean_moments, objective
from sim.calibration.spec import CalibrationSpec
from sim.sweeps.designs import design_seed


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
    of the module docstring, the inference of :mod:`sim.calibration.inference`), evaluating
    points with ``evaluate`` alone; ``observe`` is told of every evaluation, in order.

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
