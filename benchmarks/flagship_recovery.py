"""Recovery Monte Carlo of the flagship's own estimation design.

At known parameters θ* (the kept estimate of scenarios/calibration/ai_talent_war_2024.toml,
docs/calibration/flagship/parameters.csv; a parameter fixed as not identified at its
value), the flagship's fitted moments are simulated: their mean m̄(θ*) over
``--truth-runs`` runs (seeds apart from the calibration's), plus noise at the stated
Ω, ε_d ~ N(0, diag(s²)) drawn for each data set d. Each synthetic data set is estimated
by the flagship's estimator (:func:`sim.calibration.estimate.smm`: the global design, the
local search, the joint-rank check that fixes the parameters the rank does not support and
re-estimates the others, the sandwich SEs and the bounded 95% intervals), with the
parameters' ``start`` values removed (the search must not be handed θ*). For each parameter:
how often it was estimated (not fixed as not identified), and over the data sets where it
was, the bias, the RMSE and the coverage of its bounded 95% interval.

``--linear`` replaces the search by one Jacobian at θ* and a bounded least-squares solve
per data set (:func:`linear_one`), then the same inference: identification and coverage
under the local linear approximation, in minutes.

Simplifications, said in the output and in docs/calibration.md:

- every fitted moment is an equality in the recovery (a bound's side is dropped): synthetic
  data are numbers, and a bound carries less information, so this is the most the
  flagship's measures can recover;
- the runs' size and the estimator's effort are set by the options (``--quick``: 3,000
  engineers, R = 2, 6 design points, a budget of 40 runs); runs last until the last month
  the moments read (29 months: the labs' retention in May 2025) unless ``--months`` says
  otherwise. The calibration file's fixed values (its ``set``) stay. The design's points
  are the same in every data set (common random numbers: the simulated moments do not
  depend on the data), so each process keeps one cache of evaluated points for all its
  data sets.

    python benchmarks/flagship_recovery.py --linear --engineers 10000 --replicates 4 \
        --truth-runs 6 --datasets 200 --processes 2 --cache lin.npz      # ~4 min
    python benchmarks/flagship_recovery.py --linear ... --cache lin.npz --fix-at-truth
    python benchmarks/flagship_recovery.py --quick --datasets 20 --processes 2
    python benchmarks/flagship_recovery.py --datasets 20 --engineers 20000 \\
        --replicates 10 --points 32 --budget 1600      # the flagship's own size: days of CPU

Prints the Markdown table pasted into docs/calibration.md ("Recovery Monte Carlo").
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tomli_w

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.calibration.estimate import jacobian_points, smm  # noqa: E402
from sim.calibration.inference import inference, unit_slopes  # noqa: E402
from sim.calibration.objective import weights  # noqa: E402
from sim.calibration.run import Plan, plan_calibration  # noqa: E402
from sim.calibration.worker import MomentJob, evaluate_run  # noqa: E402
from sim.scenario import validate  # noqa: E402
from sim.sweeps.designs import point_overrides, run_seed  # noqa: E402
from sim.sweeps.worker import RunTask  # noqa: E402

FLAGSHIP = ROOT / "scenarios" / "calibration" / "ai_talent_war_2024.toml"
KEPT_PARAMETERS = ROOT / "docs" / "calibration" / "flagship" / "parameters.csv"
TRUTH_SEED = 777_001
"""Root of the truth runs' seeds (the calibration's are run_seed(2024, r))."""


def recovery_plan(folder: Path, args: argparse.Namespace, targets: list[float] | None = None
                  ) -> Plan:
    """The flagship's calibration as a recovery problem: fitted moments only, each an
    equality (target from ``targets``, SE as stated, from the data or not), no start values,
    the runs' size and the estimator's effort from ``args``."""
    raw = tomllib.loads(FLAGSHIP.read_text(encoding="utf-8"))
    raw["base"] = str((FLAGSHIP.parent / raw["base"]).resolve())
    # the file's fixed values stay; the size is the recovery's
    raw["set"] = [*raw.get("set", []), f"market.engineers={args.engineers}"]
    raw["months"] = args.months
    for p in raw["parameters"]:
        p.pop("start", None)
    plan0 = plan_calibration_from(raw, folder / "flagship.toml")
    fitted = [m for m in raw["moments"] if not m.get("held_out", False)]
    ses = {m.name: m.sd for m in plan0.spec.fitted}
    moments = []
    for j, m in enumerate(fitted):
        m = {k: v for k, v in m.items() if k not in ("bound", "sampling", "se")}
        m["se"] = ses[m["name"]]
        if targets is not None:
            m["target"] = float(targets[j])
        moments.append(m)
    raw["moments"] = moments
    raw["estimator"].update(replicates=args.replicates, budget=args.budget, profile_points=0)
    raw["estimator"]["search"].update(points=args.points)
    return plan_calibration_from(raw, folder / "recovery.toml")


def last_month_read() -> int:
    """The last model month any moment of the flagship's calibration file reads (the runs
    need go no further)."""
    raw = tomllib.loads(FLAGSHIP.read_text(encoding="utf-8"))
    raw["base"] = str((FLAGSHIP.parent / raw["base"]).resolve())
    with tempfile.TemporaryDirectory() as tmp:
        plan = plan_calibration_from(raw, Path(tmp) / "months.toml")
    scenario = validate(plan.base, str(plan.source))
    return max(int(scenario.month_of(w)) for m in plan.spec.moments
               for w in m.measure.windows())


def plan_calibration_from(raw: dict[str, Any], path: Path) -> Plan:
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return plan_calibration(path)


_CACHE: dict[tuple[Any, ...], np.ndarray] = {}
"""Each process's evaluated points (point, replicates, size) -> R x M moments."""


def evaluator(plan: Plan):
    """evaluate(batch) for smm: R runs a point, seeds run_seed(seed, r), cached."""
    job = MomentJob(plan.base, plan.source, tuple(plan.spec.moments))
    spec = plan.spec
    size = (spec.estimator.replicates, spec.overrides[0], spec.months)

    def evaluate(batch: list[list[float]]) -> list[np.ndarray]:
        out = []
        for values in batch:
            key = (tuple(values), size)
            if key not in _CACHE:
                over = tuple(point_overrides(dict(zip([p.key for p in spec.parameters],
                                                      values, strict=True))).items())
                rows = []
                for r in range(spec.estimator.replicates):
                    result = evaluate_run(RunTask(r, 0, r, run_seed(spec.seed, r), over), job)
                    rows.append(result.values if result.status == "done"
                                else (math.nan,) * len(spec.moments))
                _CACHE[key] = np.array(rows, dtype=float)
            out.append(_CACHE[key])
        return out

    return evaluate


def truth_values(plan: Plan) -> dict[str, float]:
    """θ*: the kept estimate of the flagship (docs/calibration/flagship/parameters.csv:
    each parameter's estimate, or the value it was fixed at as not identified)."""
    kept = pd.read_csv(KEPT_PARAMETERS)
    values = dict(zip(kept["parameter"], kept["estimate"].astype(float), strict=True))
    return {p.key: values[p.key] for p in plan.spec.parameters}


def truth_moments(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    """m̄(θ*) over the truth runs, and the stated SEs s, of the fitted moments."""
    with tempfile.TemporaryDirectory() as tmp:
        plan = recovery_plan(Path(tmp), args)
        truth = truth_values(plan)
        job = MomentJob(plan.base, plan.source, tuple(plan.spec.moments))
        over = tuple(point_overrides(truth).items())
        rows = [evaluate_run(RunTask(i, 0, i, run_seed(TRUTH_SEED, i), over), job).values
                for i in range(args.truth_runs)]
        return np.nanmean(np.array(rows, dtype=float), axis=0), \
            np.array([m.sd for m in plan.spec.moments])


def one(data: int, args: argparse.Namespace, mean: np.ndarray, se: np.ndarray
        ) -> list[dict[str, Any]]:
    """Estimate synthetic data set ``data``: targets m̄(θ*) + ε, ε ~ N(0, diag(s²))."""
    targets = mean + np.random.default_rng([TRUTH_SEED, data]).normal(0.0, se)
    with tempfile.TemporaryDirectory() as tmp:
        plan = recovery_plan(Path(tmp), args, list(targets))
        truth = truth_values(plan)
        clock = time.perf_counter()
        fit = smm(plan.spec, evaluator(plan))
        seconds = time.perf_counter() - clock
    info = fit.inference
    rows = []
    for i, p in enumerate(plan.spec.parameters):
        low, high = info.interval[i]
        rows.append({"data": data, "parameter": p.key, "true": truth[p.key],
                     "estimate": fit.values[i], "fixed": bool(info.fixed[i]),
                     "se": float(info.se[i]), "low": float(low), "high": float(high),
                     "method": info.interval_method[i], "J": fit.objective,
                     "seconds": seconds})
    return rows


def linear_runs(args: argparse.Namespace) -> tuple[Plan, dict[str, float], np.ndarray,
                                                   np.ndarray, np.ndarray]:
    """For ``--linear``: the plan, θ*, m̂(θ*) (R runs with the calibration's seeds), and the
    Jacobian in unit coordinates G_u (M x k, central differences of ``jacobian_step`` at θ*,
    the same seeds), the runs spread over ``args.processes`` processes."""
    with tempfile.TemporaryDirectory() as tmp:
        plan = recovery_plan(Path(tmp), args)
    spec = plan.spec
    truth = truth_values(plan)
    keys = [p.key for p in spec.parameters]
    theta = [truth[k] for k in keys]
    points = [theta]
    steps = []  # each central difference's width on the unit scale
    for i, (plus, minus) in enumerate(jacobian_points(spec, theta)):
        p = spec.parameters[i]
        points += [plus, minus]
        steps.append(p.to_unit(plus[i]) - p.to_unit(minus[i]))
    with ProcessPoolExecutor(args.processes) as pool:
        evaluated = list(pool.map(partial(_evaluate_point, args=args), points))
    means = [np.nanmean(x, axis=0) for x in evaluated]
    g_u = np.array([(means[1 + 2 * i] - means[2 + 2 * i]) / steps[i]
                    for i in range(len(keys))]).T
    return plan, truth, evaluated[0], means[0], g_u


def _evaluate_point(values: list[float], args: argparse.Namespace) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        plan = recovery_plan(Path(tmp), args)
    return evaluator(plan)([values])[0]


def linear_one(data: int, plan: Plan, truth: dict[str, float], at_truth: np.ndarray,
               g_u: np.ndarray, mean: np.ndarray, se: np.ndarray, fix_at_truth: bool = False
               ) -> list[dict[str, Any]]:
    """The linearised estimator of data set ``data``: m̂(θ) ≈ m̂(θ*) + G_u (u − u*), J
    minimised over the box u ∈ [0, 1] by bounded least squares (scipy.optimize.lsq_linear)
    on W^½; then the estimator's own inference (:func:`inference`: joint rank, sandwich,
    bounded intervals) with G in the parameters' units at θ̂; parameters the rank does not
    support are fixed and the others re-solved, as :func:`smm` does: at their value in the
    solve that found them not identified (as smm does without ``start`` values), or, with
    ``fix_at_truth``, at θ* (as smm does with the flagship's ``start`` values, which are θ*
    here: the assumption is then right)."""
    from scipy.optimize import lsq_linear

    spec = plan.spec
    params = spec.parameters
    k = len(params)
    targets = mean + np.random.default_rng([TRUTH_SEED, data]).normal(0.0, se)
    sqrt_w = np.sqrt(weights(spec))
    u_star = np.array([p.to_unit(truth[p.key]) for p in params])
    u_hat = u_star.copy()
    fixed = np.zeros(k, dtype=bool)
    while True:
        free = np.flatnonzero(~fixed)
        offset = at_truth + g_u[:, fixed] @ (u_hat[fixed] - u_star[fixed]) - targets
        a = sqrt_w[:, None] * g_u[:, free]
        b = -sqrt_w * (offset - g_u[:, free] @ u_star[free])
        sol = lsq_linear(a, b, bounds=(np.zeros(free.size), np.ones(free.size)))
        u_hat[free] = sol.x
        values = [p.from_unit(float(x)) for p, x in zip(params, u_hat, strict=True)]
        g_own = g_u / unit_slopes(params, values)[None, :]
        info = inference(spec, values, g_own, fixed)
        if not info.to_fix:
            break
        fixed[info.to_fix] = True
        if fix_at_truth:
            u_hat[fixed] = u_star[fixed]
    predicted = at_truth + g_u @ (u_hat - u_star)
    j = float(np.sum((sqrt_w * (predicted - targets)) ** 2))
    rows = []
    for i, p in enumerate(params):
        low, high = info.interval[i]
        rows.append({"data": data, "parameter": p.key, "true": truth[p.key],
                     "estimate": values[i], "fixed": bool(fixed[i]), "se": float(info.se[i]),
                     "low": float(low), "high": float(high),
                     "method": info.interval_method[i], "J": j, "seconds": 0.0})
    return rows


def relative(rmse: float, true: float) -> str:
    """RMSE / |θ*|, or '-' for θ* = 0."""
    return f"{rmse / abs(true):.2f}" if true else "-"


def summary(df: pd.DataFrame) -> str:
    """The Markdown table: per parameter, data sets where estimated, bias, RMSE (of the
    estimated ones, also relative to θ*), coverage of the bounded 95% interval."""
    lines = ["| parameter | θ* | estimated in | mean estimate | bias | RMSE | RMSE / θ* | "
             "coverage of the 95% interval | intervals cut at a bound |",
             "|---|---|---|---|---|---|---|---|---|"]
    for key, part in df.groupby("parameter", sort=False):
        true = float(part["true"].iloc[0])
        est = part[~part["fixed"]]
        n, total = len(est), len(part)
        if n:
            err = est["estimate"] - true
            ok = est["low"].notna()
            cover = ((est["low"] <= true) & (true <= est["high"]))[ok]
            cut = (est["method"] == "cut at the bound").sum()
            lines.append(f"| `{key}` | {true:.4g} | {n} of {total} | "
                         f"{est['estimate'].mean():.4g} | {err.mean():+.3g} | "
                         f"{math.sqrt((err ** 2).mean()):.3g} | "
                         f"{relative(math.sqrt((err ** 2).mean()), true)} | "
                         f"{cover.mean():.0%} ({int(cover.sum())} of {int(ok.sum())}) | "
                         f"{cut} |")
        else:
            lines.append(f"| `{key}` | {true:.4g} | 0 of {total} (fixed: not identified) "
                         "| - | - | - | - | - | - |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="3,000 engineers, R = 2, 6 design points, budget 40 "
                        "(the defaults of the other options are the quick ones too)")
    parser.add_argument("--datasets", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--engineers", type=int, default=3000)
    parser.add_argument("--months", type=int, default=None,
                        help="months a run lasts (default: the last month the moments read)")
    parser.add_argument("--replicates", type=int, default=2)
    parser.add_argument("--points", type=int, default=6)
    parser.add_argument("--budget", type=int, default=40)
    parser.add_argument("--truth-runs", type=int, default=6)
    parser.add_argument("--csv", type=Path, default=None,
                        help="also write every row here, as each data set finishes")
    parser.add_argument("--linear", action="store_true",
                        help="the linearised estimator: one Jacobian at θ* (2kR runs), "
                        "then each data set by bounded least squares and the estimator's "
                        "inference; seconds instead of hours")
    parser.add_argument("--fix-at-truth", action="store_true",
                        help="--linear: fix the parameters the rank does not support at θ* "
                        "(the flagship's start values), not at their first estimate")
    parser.add_argument("--cache", type=Path, default=None,
                        help="--linear: keep the truth's moments and the Jacobian in this "
                        ".npz file, and re-use them when it exists (same options)")
    parser.add_argument("--summarize", type=Path, default=None,
                        help="print the table of a --csv file (finished data sets) and stop")
    args = parser.parse_args(argv)
    if args.quick:
        args.engineers, args.replicates, args.points, args.budget = 3000, 2, 6, 40
    if args.months is None:
        args.months = last_month_read()
    if args.summarize is not None:
        df = pd.read_csv(args.summarize)
        print(f"{df['data'].nunique()} data sets in {args.summarize}\n")
        print(summary(df))
        return 0
    clock = time.perf_counter()
    cached = args.linear and args.cache is not None and args.cache.is_file()
    mean, se = (np.zeros(0), np.zeros(0)) if cached else truth_moments(args)
    if args.linear:
        if args.cache is not None and args.cache.is_file():
            saved = np.load(args.cache)
            mean, se, at_truth, g_u = (saved[k] for k in ("mean", "se", "at_truth", "g_u"))
            with tempfile.TemporaryDirectory() as tmp:
                plan = recovery_plan(Path(tmp), args)
            truth = truth_values(plan)
        else:
            plan, truth, _, at_truth, g_u = linear_runs(args)
            if args.cache is not None:
                np.savez(args.cache, mean=mean, se=se, at_truth=at_truth, g_u=g_u)
        rows_l = [r for d in range(1, args.datasets + 1)
                  for r in linear_one(d, plan, truth, at_truth, g_u, mean, se,
                                      args.fix_at_truth)]
        df = pd.DataFrame(rows_l)
        if args.csv is not None:
            df.to_csv(args.csv, index=False)
        print(f"{args.datasets} synthetic data sets of the flagship's {len(mean)} fitted "
              f"moments (equalities), linearised estimator (Jacobian at θ*, step "
              f"{plan.spec.estimator.jacobian_step}), {args.engineers:,} engineers, "
              f"{args.months} months, R = {args.replicates}, truth from {args.truth_runs} "
              f"runs, parameters not identified fixed at "
              f"{'θ*' if args.fix_at_truth else 'their first estimate'}; "
              f"{time.perf_counter() - clock:.0f} s with {args.processes} processes\n")
        print(summary(df))
        print()
        print("parameters fixed per data set: "
              f"{df.groupby('data')['fixed'].sum().value_counts().sort_index().to_dict()}; "
              f"scaled Jacobian at θ*: column norms in SE "
              + ", ".join(f"{n:.2g}" for n in np.linalg.norm(
                  g_u / se[:, None], axis=0)))
        return 0
    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(args.processes) as pool:
        futures = [pool.submit(one, d, args, mean, se) for d in range(1, args.datasets + 1)]
        for future in as_completed(futures):
            rows += future.result()
            if args.csv is not None:  # every finished data set, as it finishes
                pd.DataFrame(rows).sort_values(["data"], kind="stable").to_csv(
                    args.csv, index=False)
    df = pd.DataFrame(rows).sort_values(["data"], kind="stable")
    print(f"{args.datasets} synthetic data sets of the flagship's {len(mean)} fitted moments "
          f"(equalities), {args.engineers:,} engineers, {args.months} months, R = "
          f"{args.replicates}, {args.points} design points, budget {args.budget} runs, "
          f"truth from {args.truth_runs} runs; {time.perf_counter() - clock:.0f} s with "
          f"{args.processes} processes\n")
    print(summary(df))
    print()
    print("J at the estimates: median "
          f"{df.groupby('data')['J'].first().median():.3g}; parameters fixed per data set: "
          f"{df.groupby('data')['fixed'].sum().value_counts().sort_index().to_dict()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
