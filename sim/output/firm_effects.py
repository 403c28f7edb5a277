"""Answers by firm: paired differences of each firm's measures, and where deals' teams end.

Two replicate folders run on the same seeds (common random numbers) are compared firm by
firm. For every replicate this module reads the run folder's tables and takes, for each
named firm of the scenario, for the firms generated from spreads together
(:data:`~sim.output.palette.GENERATED`) and for each tier (:func:`firm_measures`):

- ``headcount``: engineers of the tier employed at the end of the run (for the place
  ``unemployment``: the tier's unemployed);
- ``share of the tier (%)``: that headcount in % of all engineers of the tier at the end,
  employed or not (as the top-share plots count it);
- ``median pay ($ a year)``: the firm's median pay of the tier in the final month
  (``firms.csv``'s ``pay_median_<tier>``; for the group, the mean of its firms' medians
  weighted by their headcount of the tier); tiers whose firms record no median (non-AI
  tiers) give ``mean pay ($ a year)`` instead;
- ``hires``, ``quits``: totals over the run of the tier's hires and quits;
- ``moves from named firms``, ``moves to named firms``: engineers of the tier who moved
  over the run from another named firm to this one, or from this one to another named firm
  (``flows.csv``, every move between two firms: job-to-job moves and deal transfers).

:func:`paired_firm_differences` pairs the replicates by seed and gives each row's mean
difference with its paired t interval, its size in % of the reference, the p-value and
the verdicts, per measure and with the false discovery rate controlled over the table
(:mod:`sim.output.stats`). :func:`deal_team_differences` does the same for the teams of
deals (``deal_teams.csv``): for each deal tried, done or blocked, where the target's
engineers work at the end of the run, by firm.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import cast

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim import columns as col
from sim.columns import per_tier
from sim.output.charts import RunTables, by_label, firm_labels, weighted_by_label
from sim.output.palette import GENERATED, UNEMPLOYMENT_LABEL, firm_colours, named_firms
from sim.output.plotkit import figure
from sim.output.rundir import RunFolder
from sim.output.stats import LEVEL, paired_row, with_fdr

HEADCOUNT = "headcount"
SHARE = "share of the tier (%)"
MEDIAN_PAY = "median pay ($ a year)"
MEAN_PAY = "mean pay ($ a year)"
HIRES = "hires"
QUITS = "quits"
MOVES_IN = "moves from named firms"
MOVES_OUT = "moves to named firms"
FIRM_MEASURES = (HEADCOUNT, SHARE, MEDIAN_PAY, MEAN_PAY, HIRES, QUITS, MOVES_IN, MOVES_OUT)
"""The measures of each firm and tier, in display order."""
KEY = ["firm", "tier", "measure"]
STAT_COLUMNS = ["reference_mean", "other_mean", "mean_difference", "low", "high",
                "percent_difference", "p_value", "distinguishable", "distinguishable_fdr",
                "pairs"]
"""The statistics of each row of ``firm_differences.csv``, after ``run`` and :data:`KEY`."""
FIRM_VALUE_COLUMNS = ["folder", "seed", *KEY, "value"]
"""The columns of ``firm_measures.csv`` (every replicate's value)."""
DEAL_KEY = [col.DATE, col.DEAL_BUYER, col.DEAL_TARGET]
DEAL_TEAM_DIFFERENCE_COLUMNS = ["run", *DEAL_KEY, "reference_outcome", "other_outcome",
                                col.DEAL_TEAM_TIER, col.DEAL_TEAM_FIRM_AT_END,
                                "reference_mean", "other_mean", "mean_difference", "low",
                                "high", "pairs"]
"""The columns of ``deal_team_differences.csv``."""
FIRM_DIFFERENCES = "firm_differences.csv"
FIRM_VALUES = "firm_measures.csv"
DEAL_TEAM_DIFFERENCES = "deal_team_differences.csv"
FIRM_SHARES_PLOT = "compare_firm_shares"


def _final(table: pd.DataFrame) -> pd.Series:
    """The last row of a table by month (empty if it has none)."""
    return table.iloc[-1] if len(table) else pd.Series(dtype=float)


def _moves_between_named(run: RunFolder, named: Sequence[str], tier: str
                         ) -> tuple[dict[str, float], dict[str, float]]:
    """Moves of a tier over the run between two firms, at least one named and both
    different: ``(into each place from named firms, out of each place to named firms)``,
    places being the named firms and :data:`GENERATED`."""
    flows = run.flows
    into: dict[str, float] = {}
    out: dict[str, float] = {}
    if flows.empty:
        return into, out
    part = flows[(flows[col.FLOW_TIER].astype(str) == tier)
                 & (flows[col.FLOW_SOURCE].astype(str) != UNEMPLOYMENT_LABEL)
                 & (flows[col.FLOW_DESTINATION].astype(str) != UNEMPLOYMENT_LABEL)
                 & (flows[col.FLOW_SOURCE].astype(str) != flows[col.FLOW_DESTINATION]
                    .astype(str))]
    names = set(named)
    source = part[col.FLOW_SOURCE].astype(str)
    destination = part[col.FLOW_DESTINATION].astype(str)
    counts = pd.to_numeric(part[col.FLOW_ENGINEERS], errors="coerce").fillna(0.0)
    dest_place = destination.where(destination.isin(names), GENERATED)
    src_place = source.where(source.isin(names), GENERATED)
    from_named = source.isin(names)
    to_named = destination.isin(names)
    into = {str(k): float(v) for k, v in
            counts[from_named].groupby(dest_place[from_named]).sum().items()}
    out = {str(k): float(v) for k, v in
           counts[to_named].groupby(src_place[to_named]).sum().items()}
    # moves within the generated group are not between named firms
    return into, out


def firm_measures(run: RunFolder) -> pd.DataFrame:
    """The firm-level measures of one run (see the module's docstring), tidy: one row per
    place (the named firms in scenario order, :data:`GENERATED`, and for headcount and
    share ``unemployment``), tier and measure, with its ``value``.

    A named firm absent from ``firms.csv`` (or gone) employs nobody: its counts are 0 and
    its pay unknown (NaN).
    """
    labels = firm_labels(run)
    tables = RunTables.from_run(run, labels)
    named = list(labels.named)
    places = labels.order(run.firms[col.FIRM].astype(str))  # the group only if it has firms
    market = run.market
    rows: list[tuple[str, str, str, float]] = []
    for tier in run.tiers:
        heads_column = per_tier(col.HEADCOUNT, tier)
        if heads_column not in run.firms.columns:
            continue
        heads = _final(by_label(tables, heads_column)).reindex(places).fillna(0.0)
        unemployed = float(pd.to_numeric(market[per_tier(col.UNEMPLOYED, tier)],
                                         errors="coerce").iloc[-1]) \
            if per_tier(col.UNEMPLOYED, tier) in market.columns else math.nan
        total = float(heads.sum()) + (0.0 if math.isnan(unemployed) else unemployed)
        stat = next((s for s in ("median", "mean")
                     if per_tier(f"pay_{s}", tier) in run.firms.columns), None)
        pay = (_final(weighted_by_label(tables, per_tier(f"pay_{stat}", tier),
                                        heads_column)).reindex(places)
               if stat else pd.Series(math.nan, index=places))
        flows_of: dict[str, pd.Series] = {}
        for measure, column in ((HIRES, per_tier(col.HIRES, tier)),
                                (QUITS, per_tier(col.QUITS, tier))):
            if column in run.firms.columns:
                flows_of[measure] = by_label(tables, column).sum().reindex(places
                                                                                ).fillna(0.0)
        into, out = _moves_between_named(run, named, tier)
        for place in places:
            count = float(heads[place])
            rows.append((place, tier, HEADCOUNT, count))
            rows.append((place, tier, SHARE, 100 * count / total if total > 0 else math.nan))
            if stat:
                rows.append((place, tier, MEDIAN_PAY if stat == "median" else MEAN_PAY,
                             float(pay[place]) if count > 0 else math.nan))
            for measure, series in flows_of.items():
                rows.append((place, tier, measure, float(series[place])))
            rows.append((place, tier, MOVES_IN, float(into.get(place, 0.0))))
            rows.append((place, tier, MOVES_OUT, float(out.get(place, 0.0))))
        if not math.isnan(unemployed):
            rows.append((UNEMPLOYMENT_LABEL, tier, HEADCOUNT, unemployed))
            rows.append((UNEMPLOYMENT_LABEL, tier, SHARE,
                         100 * unemployed / total if total > 0 else math.nan))
    return pd.DataFrame(rows, columns=[*KEY, "value"])


def _order(frame: pd.DataFrame, places: Sequence[str], tiers: Sequence[str]) -> pd.DataFrame:
    """Rows in display order: tier, then place, then measure."""
    rank_place = {p: k for k, p in enumerate(places)}
    rank_tier = {t: k for k, t in enumerate(tiers)}
    rank_measure = {m: k for k, m in enumerate(FIRM_MEASURES)}
    keys = (frame["tier"].map(rank_tier).fillna(len(rank_tier)) * 1e6
            + frame["firm"].map(rank_place).fillna(len(rank_place)) * 1e3
            + frame["measure"].map(rank_measure).fillna(len(rank_measure)))
    return frame.assign(_k=keys.to_numpy()).sort_values("_k", kind="stable").drop(
        columns="_k").reset_index(drop=True)


def place_order(runs: Sequence[RunFolder]) -> list[str]:
    """The places of a comparison in display order: the named firms of the runs (first
    run first), the generated firms, unemployment."""
    named: list[str] = []
    for run in runs:
        named.extend(n for n in named_firms(run.manifest["scenario"]) if n not in named)
    return [*named, GENERATED, UNEMPLOYMENT_LABEL]


def paired_firm_differences(reference: Mapping[int, RunFolder], other: Mapping[int, RunFolder],
                            level: float = LEVEL) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each firm's, tier's and measure's difference ``other - reference`` over the
    replicates paired by seed.

    Parameters
    ----------
    reference, other : mapping of int to RunFolder
        The replicates of each folder by seed; the seeds of both are paired.

    Returns
    -------
    differences : pandas.DataFrame
        One row per (firm, tier, measure) with the columns :data:`STAT_COLUMNS`: the means
        of each side over the paired seeds, the mean difference ``d̄`` and its paired t
        interval, ``100 d̄ / |reference mean|``, the paired t test's p-value, whether the
        interval excludes 0 and whether it does with the false discovery rate held at 5%
        over the table's rows (Benjamini–Hochberg), and the number of pairs.
    values : pandas.DataFrame
        Every paired replicate's value: ``side`` (``reference`` or ``other``), ``seed``,
        firm, tier, measure, value.
    """
    seeds = [s for s in reference if s in other]
    frames = []
    for side, runs in (("reference", reference), ("other", other)):
        for seed in seeds:
            frames.append(firm_measures(runs[seed]).assign(side=side, seed=seed))
    values = pd.concat(frames, ignore_index=True)
    wide = values.pivot_table(index=KEY, columns=["side", "seed"], values="value",
                              aggfunc="first", dropna=False)
    rows = []
    for key, row in wide.iterrows():
        a = np.array([row.get(("reference", s), math.nan) for s in seeds], dtype=float)
        b = np.array([row.get(("other", s), math.nan) for s in seeds], dtype=float)
        if np.all(np.isnan(a)) and np.all(np.isnan(b)):
            continue
        rows.append({**dict(zip(KEY, cast(tuple[str, str, str], key), strict=True)),
                     **paired_row(a, b, level)})
    table = with_fdr(pd.DataFrame(rows, columns=[*KEY, *[c for c in STAT_COLUMNS
                                                         if c != "distinguishable_fdr"]]),
                     level)
    firsts = [next(iter(reference.values())), next(iter(other.values()))]
    tiers: list[str] = []
    for run in firsts:
        tiers.extend(t for t in run.tiers if t not in tiers)
    places = place_order(firsts)
    return _order(table, places, tiers), _order(
        values[["side", "seed", *KEY, "value"]], places, tiers)


# --------------------------------------------------------------------------- deal teams


def _outcome(attempts: pd.DataFrame) -> str:
    """What became of a deal in one run: ``blocked`` or its form, from its last attempt
    (an acquisition blocked, then done as a license-and-hire, is a license-and-hire)."""
    last = attempts.sort_values(col.DEAL_TEAM_DEAL).iloc[-1]
    return "blocked" if bool(last[col.DEAL_BLOCKED]) else str(last[col.DEAL_FORM])


Deal = tuple[str, ...]
"""A deal: its date, buyer and target."""


def deal_team_places(run: RunFolder) -> tuple[pd.DataFrame, dict[Deal, str]]:
    """One run's deal teams: engineers of each deal's team by tier and place at the end
    (named firms by name, other firms as :data:`GENERATED`, ``unemployment``), indexed by
    deal (date, buyer, target), tier and place; and each deal's outcome.

    A deal tried twice in one month (an acquisition blocked, then a license-and-hire) has
    the same team at both attempts: its last attempt is counted.
    """
    teams = run.deal_teams
    if teams.empty:
        return pd.DataFrame(columns=[*DEAL_KEY, col.DEAL_TEAM_TIER, "place", "engineers"]), {}
    labels = firm_labels(run)
    teams = teams.copy()
    for column in DEAL_KEY:
        teams[column] = teams[column].astype(str)
    last = teams.groupby(DEAL_KEY)[col.DEAL_TEAM_DEAL].transform("max")
    outcomes = {tuple(map(str, key)): _outcome(group)
                for key, group in teams.groupby(DEAL_KEY)}
    teams = teams[teams[col.DEAL_TEAM_DEAL] == last]
    teams["place"] = labels.labels(teams[col.DEAL_TEAM_FIRM_AT_END])
    table = (teams.groupby([*DEAL_KEY, col.DEAL_TEAM_TIER, "place"])[col.DEAL_TEAM_ENGINEERS]
             .sum().rename("engineers").reset_index())
    return table, outcomes


def _outcomes_text(found: Sequence[str], of: int) -> str:
    """``blocked in 3 of 3``, ``acquisition in 2, blocked in 1 of 3``, ``not tried``."""
    if not found:
        return "not tried"
    counts = pd.Series(list(found)).value_counts(sort=False)
    return ", ".join(f"{name} in {n}" for name, n in counts.items()) + f" of {of}"


def deal_team_differences(reference: Mapping[int, RunFolder], other: Mapping[int, RunFolder],
                          level: float = LEVEL) -> pd.DataFrame:
    """For each deal tried in either folder (by date, buyer and target), each tier of its
    team and each place at the end: the engineers there, paired by seed.

    A seed in which a folder did not try the deal has no value for it (the pair is left
    out); a seed that tried it counts 0 engineers at a place none of the team works at.
    The outcome columns say what became of the deal in each folder's replicates
    (:func:`_outcomes_text`).

    Returns
    -------
    pandas.DataFrame
        :data:`DEAL_TEAM_DIFFERENCE_COLUMNS` except ``run``.
    """
    seeds = [s for s in reference if s in other]
    sides: dict[str, dict[int, tuple[pd.DataFrame, dict[Deal, str]]]] = {
        "reference": {s: deal_team_places(reference[s]) for s in seeds},
        "other": {s: deal_team_places(other[s]) for s in seeds}}
    keys: list[tuple[str, ...]] = []
    for per_seed in sides.values():
        for table, _ in per_seed.values():
            for key in table[[*DEAL_KEY, col.DEAL_TEAM_TIER, "place"]].itertuples(
                    index=False, name=None):
                if key not in keys:
                    keys.append(tuple(map(str, key)))
    lookup = {side: {s: t.set_index([*DEAL_KEY, col.DEAL_TEAM_TIER, "place"])["engineers"]
                     for s, (t, _) in per_seed.items()} for side, per_seed in sides.items()}
    firsts = [next(iter(reference.values())), next(iter(other.values()))]
    tier_rank = {t: k for k, t in enumerate(dict.fromkeys(t for r in firsts for t in r.tiers))}
    place_rank = {p: k for k, p in enumerate(place_order(firsts))}
    rows = []
    for key in sorted(keys, key=lambda k: (k[0], k[1], k[2], tier_rank.get(k[3], 99),
                                           place_rank.get(k[4], len(place_rank)), k[4])):
        deal = key[:3]
        values: dict[str, np.ndarray] = {}
        outcome: dict[str, str] = {}
        for side, per_seed in sides.items():
            tried = [per_seed[s][1].get(deal) for s in seeds]
            outcome[side] = _outcomes_text([t for t in tried if t is not None], len(seeds))
            values[side] = np.array([
                float(lookup[side][s].get(key, 0.0)) if tried[k] is not None else math.nan
                for k, s in enumerate(seeds)])
        stats_ = paired_row(values["reference"], values["other"], level)
        rows.append({col.DATE: key[0], col.DEAL_BUYER: key[1], col.DEAL_TARGET: key[2],
                     "reference_outcome": outcome["reference"],
                     "other_outcome": outcome["other"], col.DEAL_TEAM_TIER: key[3],
                     col.DEAL_TEAM_FIRM_AT_END: key[4],
                     **{c: stats_[c] for c in ("reference_mean", "other_mean",
                                               "mean_difference", "low", "high", "pairs")}})
    return pd.DataFrame(rows, columns=DEAL_TEAM_DIFFERENCE_COLUMNS[1:])


# --------------------------------------------------------------------------- the chart


def plot_firm_shares(results: Sequence[tuple[str, pd.DataFrame]], reference_label: str,
                     colours: Mapping[str, str] | None = None) -> plt.Figure:
    """Each place's share of each tier at the end: the two folders' means (left panel of
    a row: reference hollow, other filled) and the paired difference in percentage points
    with its 95% interval (right panel), in each firm's colour. One row per compared folder
    and tier.

    ``results``: ``(label, firm differences)`` per compared folder
    (:func:`paired_firm_differences`).
    """
    panels = []
    for label, table in results:
        shares = table[table["measure"] == SHARE]
        for tier in dict.fromkeys(shares["tier"]):
            panels.append((label, tier, shares[shares["tier"] == tier]))
    if colours is None:
        named = [f for _, _, t in panels for f in t["firm"]
                 if f not in (GENERATED, UNEMPLOYMENT_LABEL)]
        colours = firm_colours(dict.fromkeys(named))
    nrows = max(1, len(panels))
    height = max(2.2, 0.32 * max((len(t) for _, _, t in panels), default=4) + 1.2)
    fig, axes = figure(nrows, 2, (11.5, height * nrows))
    for k, (label, tier, table) in enumerate(panels):
        left, right = axes[k, 0], axes[k, 1]
        y = np.arange(len(table))[::-1]
        names = list(table["firm"])
        tints = [colours.get(n, "black") for n in names]
        left.scatter(table["reference_mean"], y, facecolors="none", edgecolors=tints, s=40,
                     label=f"reference: {reference_label}")
        left.scatter(table["other_mean"], y, c=tints, s=40, label=label)
        left.set_yticks(y, names, fontsize=8)
        left.set_xlabel(f"% of all {tier}s at the end (mean over replicates)", fontsize=8)
        left.set_xlim(left=0)
        left.set_title(f"{tier}: share by firm", fontsize=9)
        diff = table["mean_difference"].to_numpy(dtype=float)
        low = table["low"].to_numpy(dtype=float)
        high = table["high"].to_numpy(dtype=float)
        for yy, d, lo, hi, tint, flag in zip(y, diff, low, high, tints,
                                             table["distinguishable"], strict=True):
            if not math.isnan(lo):
                right.plot([lo, hi], [yy, yy], color=tint, lw=2)
            right.plot([d], [yy], "o", color=tint, mfc=tint if flag else "white", ms=6)
        right.axvline(0, color="grey", lw=1, ls=":")
        right.set_yticks(y, names, fontsize=8)
        right.set_xlabel("Δ share (percentage points): other − reference, 95% paired "
                         "interval", fontsize=8)
        right.set_title(f"{label} minus reference ({tier}); filled: interval excludes 0",
                        fontsize=9)
        if k == 0:
            left.legend(fontsize=7, loc="lower right")
    fig.suptitle("Where each tier works at the end: share by firm, and its paired "
                 "difference", fontsize=11)
    return fig
