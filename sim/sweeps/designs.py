"""Designs: the points of a sweep and the seeds of its runs.

Seeds
-----
Run ``i`` of a sweep with root seed ``R`` has the seed

    seed_i = SeedSequence(R, spawn_key=(i,)).generate_state(1, uint32)[0],

an ``int`` recorded in ``runs.csv``; ``talentwar run BASE --seed seed_i --set ...`` (the run's
overrides, :func:`point_overrides`) reproduces it exactly. Run ids are
``i = point * replicates + replicate``, so a run's numbers depend neither on the number of
workers, their order nor on a resume. Random designs draw from ``SeedSequence(R)`` itself
(the parent of all run streams); SALib samplers get :func:`design_seed`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.sweeps.spec import Parameter, Scalar, SweepSpec

#: A design point: the value of each varied parameter, by its scenario key path.
Point = dict[str, Scalar]


def point_count(spec: SweepSpec) -> int:
    """The number of design points, computed arithmetically (nothing is allocated).

    grid: the product of each parameter's number of values (``values`` or ``steps``);
    random/latin: ``samples``; sobol: N(k+2), or N(2k+2) with ``second_order``; morris:
    N(k+1), for k parameters and N = ``samples``.
    """
    k = len(spec.parameters)
    kind = spec.design.kind
    if kind == "grid":
        return math.prod(len(p.values) if p.values is not None else (p.steps or 0)
                         for p in spec.parameters)
    n = spec.design.size
    if kind == "sobol":
        return n * (2 * k + 2 if spec.design.second_order else k + 2)
    if kind == "morris":
        return n * (k + 1)
    return n

def run_seed(root: int, run_id: int) -> int:
    """Seed of run ``run_id``: ``SeedSequence(root, spawn_key=(run_id,))``'s first uint32."""
    state = np.random.SeedSequence(root, spawn_key=(run_id,)).generate_state(1, np.uint32)
    return int(state[0])


def design_seed(root: int) -> int:
    """Seed handed to SALib samplers: the first uint32 of ``SeedSequence(root)``."""
    return int(np.random.SeedSequence(root).generate_state(1, np.uint32)[0])


def salib_problem(parameters: Sequence[Parameter]) -> dict[str, Any]:
    """The SALib problem in *design space*.

    A linear range is ``[min, max]``; a log range ``[log10 min, log10 max]``; a list of k
    values is ``[0, k]``, a point u mapping to value number ``floor(u)`` (clipped to k-1).
    """
    bounds: list[list[float]] = []
    for p in parameters:
        if p.values is not None:
            bounds.append([0.0, float(len(p.values))])
        elif p.scale == "log":
            low, high = p.bounds
            bounds.append([math.log10(low), math.log10(high)])
        else:
            bounds.append(list(p.bounds))
    return {"num_vars": len(parameters), "names": [p.key for p in parameters],
            "bounds": bounds}


def to_value(p: Parameter, u: float) -> Scalar:
    """The parameter value of design-space coordinate ``u`` (see :func:`salib_problem`)."""
    if p.values is not None:
        return p.values[min(math.floor(u), len(p.values) - 1)]
    low, high = p.bounds
    value = 10.0**u if p.scale == "log" else float(u)
    value = min(max(value, low), high)  # 10**log10(x) may round just outside
    return round(value) if p.integer else value


def grid_values(p: Parameter) -> list[Scalar]:
    """The grid values of a parameter: its ``values``, or ``steps`` points min..max
    (``linspace``, or ``geomspace`` for a log scale), rounded if ``integer``."""
    if p.values is not None:
        return list(p.values)
    low, high = p.bounds
    if p.steps is None:
        raise TypeError(f"parameter {p.key!r} has no steps: not a grid parameter")
    points = (np.geomspace if p.scale == "log" else np.linspace)(low, high, p.steps)
    points[0], points[-1] = low, high
    if p.integer:
        return [round(float(x)) for x in points]
    return [float(x) for x in points]


def design_matrix(spec: SweepSpec) -> np.ndarray | None:
    """The design-space sample matrix X (points x parameters) of a sampled design.

    random: ``default_rng(SeedSequence(seed)).uniform`` in design space; latin:
    ``SALib.sample.latin``; sobol: ``SALib.sample.sobol`` (Saltelli scheme); morris:
    ``SALib.sample.morris``. ``None`` for a grid.
    """
    if spec.design.kind == "grid":
        return None
    return sample_matrix(spec)


def sample_matrix(spec: SweepSpec) -> np.ndarray:
    """The sample matrix of a sampled (non-grid) design: see :func:`design_matrix`."""
    kind, n = spec.design.kind, spec.design.size
    problem = salib_problem(spec.parameters)
    seed = design_seed(spec.seed)
    if kind == "random":
        rng = np.random.default_rng(np.random.SeedSequence(spec.seed))
        low, high = np.array(problem["bounds"]).T
        return rng.uniform(low, high, size=(n, len(low)))
    if kind == "latin":
        from SALib.sample import latin

        return latin.sample(problem, n, seed=seed)
    if kind == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, n, calc_second_order=spec.design.second_order, seed=seed)
    from SALib.sample import morris

    return morris.sample(problem, n, num_levels=spec.design.levels, seed=seed)


def design_points(spec: SweepSpec, matrix: np.ndarray | None = None) -> list[Point]:
    """The design points, each a ``{key: value}`` mapping, in design order.

    A grid is the Cartesian product of the parameters' grid values, the first parameter
    varying slowest; a sampled design maps each row of :func:`design_matrix` to values.
    """
    keys = [p.key for p in spec.parameters]
    if spec.design.kind == "grid":
        grids = [grid_values(p) for p in spec.parameters]
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grids)]
    if matrix is None:
        matrix = sample_matrix(spec)
    return [{p.key: to_value(p, float(u)) for p, u in zip(spec.parameters, row, strict=True)}
            for row in matrix]


def plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (other values as they are)."""
    if isinstance(value, np.bool_ | np.integer | np.floating):
        return value.item()
    return value


def plain_data(value: Any) -> Any:
    """Data with numpy scalars as Python values and ``None`` entries of tables left out
    (what a TOML writer can write)."""
    if isinstance(value, dict):
        return {str(k): plain_data(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [plain_data(v) for v in value]
    return plain(value)


def point_overrides(point: Point) -> dict[str, Any]:
    """A design point as scenario overrides, ``{key path: value}`` (plain Python values)."""
    return {key: plain(value) for key, value in point.items()}

