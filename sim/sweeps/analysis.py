"""Reading a sweep folder back: one number per run, replicate means with confidence
intervals, and Sobol or Morris sensitivity indices (SALib).

The *scalar* of a kept measure in a run is its value at the run's last month (``final``
and ``series`` measures) or its window mean (``mean`` measures).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import UserError, log

# sim.output.run's writers move to sim.output.rundir (issue 8).
from sim.files import write_text
from sim.output.stats import mean_interval, t_quantiles
from sim.sweeps.designs import design_seed, salib_problem
from sim.sweeps.plan import Plan, load_plan
from sim.sweeps.store import (
    MEASURES_FILE,
    RUNS_FILE,
    SENSITIVITY_FILE,
    measures_header,
    runs_header,
    scan_store,
)
from sim.sweeps.worker import DONE


def read_tables(folder: Path, plan: Plan | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``runs.csv`` and ``measures.csv`` of a sweep folder as they stand, checked.

    The tables are checked against the design first (:func:`sim.sweeps.store.scan_store`: a
    damaged table is a :class:`UserError`); a torn last record (a sweep killed mid-write)
    is left out, and so are the records of runs recorded twice and the measure rows of runs
    not recorded as done. Parameter columns keep their sweep-file names.
    """
    folder = Path(folder)
    plan = plan or load_plan(folder)
    scan = scan_store(folder, plan)
    runs = _read(folder / RUNS_FILE, scan.runs_records)
    if runs.empty and not len(runs.columns):
        runs = pd.DataFrame(columns=runs_header(plan))
    runs = runs[~runs["run_id"].isin(scan.redo)]
    measures = _read(folder / MEASURES_FILE, scan.measures_records)
    if measures.empty and not len(measures.columns):
        measures = pd.DataFrame(columns=measures_header(plan))
    done = runs.loc[runs["status"] == DONE, "run_id"]
    measures = measures[measures["run_id"].isin(done)]
    return runs.reset_index(drop=True), measures.reset_index(drop=True)


def _read(path: Path, records: int) -> pd.DataFrame:
    """The first ``records`` records of a table (none if it is missing or empty)."""
    if not path.is_file() or path.stat().st_size == 0:
        return pd.DataFrame()
    try:
        return pd.read_csv(path, nrows=records, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError,
            OSError) as err:
        raise UserError(f"{path}: not a readable CSV table: {err}") from None


def read_runs(folder: Path, plan: Plan | None = None) -> pd.DataFrame:
    """``runs.csv`` of a sweep folder (see :func:`read_tables`)."""
    path = Path(folder) / RUNS_FILE
    if not path.is_file():
        raise UserError(f"{folder}: no {RUNS_FILE} (has the sweep started?)")
    return read_tables(folder, plan)[0]


def run_scalars(folder: Path, plan: Plan | None = None) -> pd.DataFrame:
    """One row per successful run: run_id, point, replicate, the parameters, and the scalar
    of each kept measure (column named as in ``measures.csv``)."""
    folder = Path(folder)
    plan = plan or load_plan(folder)
    if not (folder / RUNS_FILE).is_file():
        raise UserError(f"{folder}: no {RUNS_FILE} (has the sweep started?)")
    runs, table = read_tables(folder, plan)
    runs = runs[runs["status"] == DONE]
    base = runs[["run_id", "point", "replicate", *plan.keys]].set_index("run_id")
    if table.empty or runs.empty:
        return base.reset_index().assign(**{m.out: np.nan for m in plan.spec.measures})
    last = table.loc[table.groupby("run_id")["month"].idxmax()].set_index("run_id")
    for m in plan.spec.measures:
        if m.keep == "mean":
            rows = table[table["month"] == m.span[1]].set_index("run_id")[m.out]
        else:
            rows = last[m.out]
        base[m.out] = rows.reindex(base.index)
    return base.reset_index()


def point_means(scalars: pd.DataFrame, measure: str, keys: list[str],
                conf_level: float = 0.95) -> pd.DataFrame:
    """Replicate statistics per design point: n, mean, standard deviation s, and the
    half-width of the Student-t confidence interval of the mean,

        mean ± t_{(1+conf_level)/2, n-1} · s / √n   (NaN when n < 2).
    """
    grouped = scalars.groupby("point")[measure]
    out = pd.DataFrame({"n": grouped.count(), "mean": grouped.mean(), "sd": grouped.std()})
    t = t_quantiles((1 + conf_level) / 2, np.maximum(out["n"].to_numpy() - 1, 1))
    out["half_width"] = np.where(out["n"] >= 2, t * out["sd"] / np.sqrt(out["n"]), np.nan)
    values = scalars.drop_duplicates("point").set_index("point")[keys]
    return out.join(values).reset_index()


def _interval(values: pd.Series, conf_level: float) -> tuple[int, float, float, float]:
    """``(n, mean, low, high)`` of the values: the Student-t interval of the mean
    (:func:`sim.output.stats.mean_interval`; low = high = NaN when n < 2)."""
    mean, _, low, high = mean_interval(values.to_numpy(dtype=float), conf_level)
    return int(values.notna().sum()), mean, low, high


RESPONSE_COLUMNS = ["measure", "parameter", "value", "runs", "mean", "ci_low", "ci_high"]
"""Columns of :func:`response_table` for a grid design (other designs: ``point`` and one
column per parameter in place of ``parameter`` and ``value``)."""


def response_table(folder: Path, plan: Plan | None = None) -> pd.DataFrame:
    """Each kept measure's mean and confidence interval (the design's ``conf_level``, 95%
    by default) over the successful runs that share a setting (:func:`_interval`).

    A grid design: one row per measure, varied parameter and value of that parameter,
    over every run at that value (with two varied parameters, the runs at every value of
    the other). Other designs (random, Latin hypercube, Sobol, Morris): one row per measure
    and design point, over the point's replicates, with the point's parameter values."""
    folder = Path(folder)
    plan = plan or load_plan(folder)
    scalars = run_scalars(folder, plan)
    level = plan.spec.design.conf_level
    rows: list[list[object]] = []
    if plan.spec.design.kind == "grid":
        varied = [p.key for p in plan.spec.parameters
                  if len({repr(pt[p.key]) for pt in plan.points}) > 1] or plan.keys[:1]
        for m in plan.spec.measures:
            for key in varied:
                for value, group in scalars.groupby(key, sort=True):
                    rows.append([m.out, key, value, *_interval(group[m.out], level)])
        return pd.DataFrame(rows, columns=RESPONSE_COLUMNS)
    for m in plan.spec.measures:
        for point, group in scalars.groupby("point", sort=True):
            values = [group[key].iloc[0] for key in plan.keys]
            rows.append([m.out, point, *values, *_interval(group[m.out], level)])
    return pd.DataFrame(rows, columns=["measure", "point", *plan.keys, "runs", "mean",
                                       "ci_low", "ci_high"])


def sensitivity(folder: Path, plan: Plan | None = None) -> pd.DataFrame:
    """Sobol or Morris indices of every kept measure (SALib), with confidence intervals.

    The analysed output of a design point is the mean of its replicates' scalars. Sobol:
    ``SALib.analyze.sobol`` gives S1 and ST (and S2 with ``second_order``) with bootstrap
    confidence half-widths; Morris: ``SALib.analyze.morris`` gives mu, mu_star (with its
    bootstrap confidence half-width) and sigma. A measure with a design point that has no
    successful run cannot be analysed and is left out (with a warning).

    Columns: measure, parameter, index, value, confidence (half-width at ``conf_level``).
    """
    folder = Path(folder)
    plan = plan or load_plan(folder)
    design = plan.spec.design
    if design.kind not in ("sobol", "morris"):
        raise UserError(f"{folder}: sensitivity indices need a sobol or morris design, "
                        f"not {design.kind!r}")
    problem = salib_problem(plan.spec.parameters)
    scalars = run_scalars(folder, plan)
    rows: list[dict[str, object]] = []
    for m in plan.spec.measures:
        means = scalars.groupby("point")[m.out].mean().reindex(range(len(plan.points)))
        if means.isna().any():
            missing = int(means.isna().sum())
            log.warning("%s: %d design point(s) without a successful run; no sensitivity "
                        "indices", m.out, missing)
            continue
        y = means.to_numpy(dtype=float)
        seed = design_seed(plan.spec.seed)
        if design.kind == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(problem, y, calc_second_order=design.second_order,
                                num_resamples=design.resamples, conf_level=design.conf_level,
                                seed=seed)
            for index in ("S1", "ST"):
                for k, name in enumerate(problem["names"]):
                    rows.append({"measure": m.out, "parameter": name, "index": index,
                                 "value": res[index][k], "confidence": res[f"{index}_conf"][k]})
            if design.second_order:
                names = problem["names"]
                for a in range(len(names)):
                    for b in range(a + 1, len(names)):
                        rows.append({"measure": m.out, "parameter": f"{names[a]} & {names[b]}",
                                     "index": "S2", "value": res["S2"][a, b],
                                     "confidence": res["S2_conf"][a, b]})
        else:
            from SALib.analyze import morris

            x = np.asarray(plan.matrix, dtype=float)
            res = morris.analyze(problem, x, y, num_resamples=design.resamples,
                                 conf_level=design.conf_level, num_levels=design.levels,
                                 seed=seed)
            for k, name in enumerate(problem["names"]):
                rows.append({"measure": m.out, "parameter": name, "index": "mu_star",
                             "value": res["mu_star"][k], "confidence": res["mu_star_conf"][k]})
                rows.append({"measure": m.out, "parameter": name, "index": "mu",
                             "value": res["mu"][k], "confidence": np.nan})
                rows.append({"measure": m.out, "parameter": name, "index": "sigma",
                             "value": res["sigma"][k], "confidence": np.nan})
    return pd.DataFrame(rows, columns=["measure", "parameter", "index", "value",
                                       "confidence"])


def write_sensitivity(folder: Path) -> Path:
    """Compute :func:`sensitivity` and write it to ``sensitivity.csv`` atomically; log
    the :func:`noise_warnings` (:data:`sim.errors.log`)."""
    folder = Path(folder)
    table = sensitivity(folder)
    path = folder / SENSITIVITY_FILE
    write_text(path, table.to_csv(index=False, lineterminator="\n"))
    for warning in noise_warnings(folder, table):
        log.warning("%s", warning)
    return path


NOISE_SHARE = 0.5
"""Above this share of the point means' variance due to simulation noise, indices of a
measure are reported as noise-dominated."""


def noise_share(scalars: pd.DataFrame, column: str) -> float:
    """Share of the variance of the design points' means that simulation noise alone would
    give: (mean within-point variance / R) / (variance of the point means), with R the
    replicates a point (NaN with one replicate, or a measure equal in every run: nothing to
    share; infinite where the point means agree but the runs do not)."""
    groups = scalars.groupby("point")[column]
    reps = groups.count()
    if reps.min() < 2:
        return float("nan")
    between = float(groups.mean().var(ddof=1))
    noise = float((groups.var(ddof=1) / reps).mean())
    if between > 0:
        return noise / between
    return float("inf") if noise > 0 else float("nan")


def noise_warnings(folder: Path, table: pd.DataFrame, plan: Plan | None = None) -> list[str]:
    """Measures whose sensitivity indices are dominated by simulation noise, and what to do.

    A measure is flagged when (a) with replicates, noise makes up more than
    :data:`NOISE_SHARE` of the variance of the design points' means
    (:func:`noise_share`); or (b) its intervals are wider than its indices (median
    confidence half-width above the median index, for ST or mu*); or (c) for Sobol, the
    first-order indices sum to under 0.2 while some total index exceeds 0.8 (no parameter
    explains the output alone, all of it is "interaction": typically noise)."""
    plan = plan or load_plan(folder)
    scalars = run_scalars(folder, plan)
    reps = plan.spec.replicates
    out = []
    for m in plan.spec.measures:
        rows = table[table["measure"] == m.out]
        if rows.empty:
            continue
        reasons = []
        share = noise_share(scalars, m.out) if m.out in scalars.columns else float("nan")
        if share > NOISE_SHARE:
            reasons.append(f"simulation noise makes up {min(share, 9.99):.0%} of the "
                           "variance between design points")
        main = "ST" if plan.spec.design.kind == "sobol" else "mu_star"
        sel = rows[rows["index"] == main]
        values, conf = sel["value"].abs().to_numpy(float), sel["confidence"].to_numpy(float)
        if conf.size and np.nanmedian(conf) > np.nanmedian(values):
            reasons.append(f"the {main} intervals are wider than the indices")
        if plan.spec.design.kind == "sobol":
            s1 = rows[rows["index"] == "S1"]["value"].to_numpy(float)
            st = rows[rows["index"] == "ST"]["value"].to_numpy(float)
            if s1.size and np.nansum(s1) < 0.2 and np.nanmax(st) > 0.8:
                reasons.append(f"first-order indices sum to {np.nansum(s1):.2f} while a "
                               f"total index reaches {np.nanmax(st):.2f}")
        if reasons:
            advice = ("raise `replicates` (each point's output is then a mean of more runs), "
                      "enlarge the market (`market.engineers`), or choose a measure over a "
                      "longer window")
            if reps < 2:
                advice = "set `replicates` to 2 or more so noise can be measured, " + advice
            out.append(f"{m.out}: sensitivity indices look dominated by noise ("
                       + "; ".join(reasons) + f"): {advice}")
    return out
