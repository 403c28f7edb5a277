"""The HTML reports of replicate folders: one folder (means over replicates with 95%
intervals), and folders compared with the first by paired differences
(:mod:`sim.output.replicates`): the key table, the effects over time and in %, by firm,
where deals' teams end, and every folder's bands. Built from :mod:`sim.output.pagekit`.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from sim import columns as col
from sim.errors import UserError
from sim.output.effect_charts import effect_charts, firm_share_chart, firm_table, percent_chart
from sim.output.effects import (
    EFFECT_PLOTS,
    FINAL_MONTH,
    multiple_comparison_note,
    place_colours,
    plot_market_effects,
    plot_percent_effects,
    plot_top_share_effects,
)
from sim.output.firm_effects import FIRM_SHARES_PLOT, place_order, plot_firm_shares
from sim.output.interactive import band_charts
from sim.output.numbers import format_row, measure_kind
from sim.output.pagekit import (
    Block,
    Section,
    all_warnings,
    charts,
    data_table,
    details,
    facts,
    figures,
    fmt,
    heading,
    json_block,
    page,
    page_scripts,
    para,
    read_csv,
    table,
    warnings_box,
)
from sim.output.plotkit import save
from sim.output.replicates import (
    SUMMARY,
    SUMMARY_COLUMNS,
    Comparison,
    ReplicateFolder,
    compare_folders,
    open_folders,
)
from sim.output.rundir import RunFolder
from sim.output.scenario_diff import changes_html, with_seed


def _summary(folder: ReplicateFolder) -> pd.DataFrame:
    """The folder's ``summary.csv``, checked."""
    path = folder.dir / SUMMARY
    summary = read_csv(path)
    missing = [c for c in SUMMARY_COLUMNS if c not in summary.columns]
    if missing:
        raise UserError(f"{path}: missing column(s) {', '.join(missing)} (the report "
                        "needs the mean and interval of every month)")
    for column in [*SUMMARY_COLUMNS[2:], "month"]:
        summary[column] = pd.to_numeric(summary[column], errors="coerce")
    return summary


def first_run(folder: ReplicateFolder) -> RunFolder:
    """The folder's first replicate (its tiers and calendar are every replicate's)."""
    return next(iter(folder.runs.values()))


def _dates(folder: ReplicateFolder) -> dict[int, Any]:
    """Month number to calendar month, from the first replicate."""
    run = first_run(folder)
    return dict(zip(run.market[col.MONTH].astype(int), run.dates(), strict=True))


def replicate_warnings(folder: ReplicateFolder) -> list[str]:
    """The replicates' warnings, each once, with how many replicates gave it."""
    counts: dict[str, int] = {}
    for run in folder.runs.values():
        for w in run.manifest.get("warnings") or []:
            counts[w] = counts.get(w, 0) + 1
    n = len(folder.runs)
    return [f"{w} (in {k} of {n} replicates)" for w, k in counts.items()]


def final_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """The final month's row of every measure: mean, 95% interval, deviation."""
    last = summary[summary["month"] == summary["month"].max()]
    return last[["measure", "mean", "ci_low", "ci_high", "std", "replicates"]].rename(
        columns={"ci_low": "95% low", "ci_high": "95% high", "std": "std. dev."})


def replicate_facts(folder: ReplicateFolder) -> dict[str, Any]:
    """The facts about a replicate folder."""
    m = folder.manifest
    scenario = m.get("scenario") or {}
    run = first_run(folder)
    return {
        "scenario": scenario.get("name"),
        "description": scenario.get("description"),
        "root seed": m.get("seed"),
        "replicates": len(folder.runs),
        "seeds": ", ".join(str(s) for s in folder.runs),
        "months": m.get("months"),
        "engineers": (f"{run.manifest['engineers']:,}"
                      if isinstance(run.manifest.get("engineers"), int) else None),
        "firms": run.manifest.get("firms"),
        "folder": str(folder.dir.resolve()),
        "finished": m.get("finished"),
        "git commit": m.get("git_commit"),
    }


def replicate_report(path: Path) -> str:
    """The HTML report of a replicate folder: means over replicates with 95% intervals."""
    folder = ReplicateFolder.open(path)
    summary = _summary(folder)
    run = first_run(folder)
    sections = [
        Section("What the runs are", [facts(replicate_facts(folder))]),
        Section("Final month: mean over replicates and 95% interval of the mean",
                [data_table(final_summary(summary))]),
        Section("Charts", [charts(band_charts([(folder.label, summary, _dates(folder))],
                                              run.tiers))]),
        Section("Scenario", [json_block(folder.manifest.get("scenario", {}))]),
        Section("Manifest", [json_block({k: v for k, v in folder.manifest.items()
                                         if k != "scenario"})]),
    ]
    return page(f"talentwar report: {folder.label}, {len(folder.runs)} replicates",
                str((folder.manifest.get("scenario") or {}).get("description", "")),
                sections, alert=warnings_box(replicate_warnings(folder), "replicates"),
                scripts=page_scripts())


def differences_html(differences: pd.DataFrame) -> Markup:
    """Paired differences as a table; rows whose interval holds zero are greyed and
    marked ``≈ 0``. Numbers are formatted by the kind of their measure (one precision a
    row); Δ is also given in % of the reference, and beside the per-measure verdict the
    verdict with the false discovery rate controlled (Benjamini–Hochberg)."""
    def pct(v: Any) -> str:
        return "n/a" if v is None or math.isnan(float(v)) else f"{float(v):+.1f}%"

    def bh(r: pd.Series) -> str:
        if "distinguishable_fdr" not in r:
            return "n/a"
        return "differs" if r["distinguishable_fdr"] else "≈ 0"

    def row(name: object, r: pd.Series) -> list[str]:  # one precision a row, by kind
        ref, other, diff, low, high = format_row(
            [r["reference_mean"], r["other_mean"], r["mean_difference"], r["low"], r["high"]],
            measure_kind(str(name)), [False, False, True, False, False])
        verdict = "differs" if r["distinguishable"] else "≈ 0 (not distinguishable)"
        return [str(name), ref, other, diff, f"[{low}, {high}]",
                pct(r.get("percent_difference")), verdict, bh(r), str(int(r["pairs"]))]

    return table(["measure", "reference mean", "other mean", "Δ mean", "95% interval of Δ",
                  "Δ % of reference", "verdict", "verdict, BH (false discovery rate 5%)",
                  "pairs"], [row(name, r) for name, r in differences.iterrows()], "key",
                 row_classes=["" if r else "same" for r in differences["distinguishable"]])


def summary_html(comparisons: Sequence[Comparison], reference: str) -> Markup:
    """The three-line summary of each comparison, in a box at the top of the page."""
    items = Markup("").join(
        fmt("<li><b>{} minus {}</b><ul>{}</ul></li>",
            c.label, reference,
            Markup("").join(fmt("<li>{}</li>", line) for line in c.summary))
        for c in comparisons)
    return fmt('<section class="summary"><h2>In three lines</h2><ul>{}</ul>{}'
                  "</section>", items, para(
                      "Changed: the 95% paired interval excludes 0 and the verdict holds "
                      "with the false discovery rate controlled (Benjamini–Hochberg, 5%) "
                      "over the table's measures."))


def firm_tables_html(firms: pd.DataFrame) -> list[Block]:
    """Per tier, a table of places (rows) by firm measures (columns), each cell the paired
    difference ``Δ [95% interval]``; a cell whose interval excludes 0 is bold, and marked
    ``*`` when the verdict holds with the false discovery rate controlled."""
    parts: list[Block] = []
    for tier in dict.fromkeys(firms["tier"]):
        cells = firm_table(firms, tier)
        marks = cells.attrs["marks"]
        rows, classes = [], []
        for place, row in cells.iterrows():
            shown: list[Block] = [str(place)]
            kinds = [""]
            for v, m in zip(row, marks.loc[place], strict=True):
                shown.append(fmt("<b>{}{}</b>", v, " *" if m == "differs-bh" else "")
                             if m else str(v))
                kinds.append("differs" if m else "")
            rows.append(shown)
            classes.append(kinds)
        parts += [heading(str(tier)), table(["firm", *cells.columns], rows, "key firms",
                                            cell_classes=classes)]
    return parts


def deal_teams_html(teams: pd.DataFrame) -> Markup:
    """Where each deal's team works at the end, in both folders (deals tried in at least
    two paired seeds, places with at least one engineer on either side)."""
    shown = teams[(teams["pairs"] >= 2)
                  & ((teams["reference_mean"] > 0) | (teams["other_mean"] > 0))]
    if shown.empty:
        return para("No deal was tried in both folders in two or more paired seeds.")
    return data_table(shown.rename(columns={
        "reference_outcome": "outcome, reference", "other_outcome": "outcome, other",
        "firm_at_end": "works at the end at", "reference_mean": "engineers, reference",
        "other_mean": "engineers, other", "mean_difference": "Δ", "low": "95% low",
        "high": "95% high"}))


EFFECTS_NOTE = (
    "Each scenario's level with its own band across seeds (the charts further down) can "
    "overlap while the difference is clearly not 0: the seeds' common noise cancels in the "
    "difference. These charts draw the difference itself, other − reference, month by "
    "month: the mean over seeds with its 95% paired t interval. Where the band leaves the "
    "dotted line, the effect is distinguishable from 0 in that month.")
FIRMS_NOTE = Markup(
    "For each named firm, the generated firms together and the unemployed, per tier: "
    "headcount at the end, share of all engineers of the tier (%), median pay in the final "
    "month, hires and quits over the run, and moves from and to other named firms over the "
    "run (job-to-job and by deals). Each cell: the mean over paired seeds of other − "
    "reference, [its 95% interval]; <b>bold</b>: the interval excludes 0; *: also with the "
    "false discovery rate controlled over the firm table (Benjamini–Hochberg, 5%). Every "
    "value is in firm_differences.csv; every replicate's in firm_measures.csv.")
DEALS_NOTE = (
    "For each deal tried (by date, buyer and target), done or blocked: the engineers of the "
    "target's team at the attempt, by where they work when the run ends (deal_teams.csv of "
    "each replicate), mean over the paired seeds in which both folders tried it. All rows: "
    "deal_team_differences.csv.")


def effects_sections(folders: Sequence[ReplicateFolder], comparisons: Sequence[Comparison]
                     ) -> list[Section]:
    """The report's sections on effects: over time, in % of the reference, by firm, and
    where deals' teams end; then the comparison's PNG plots, closed, for printing."""
    reference = folders[0]
    first = first_run(reference)
    colours = place_colours(place_order([first_run(f) for f in folders]))
    timed = [(c.label, c.effects) for c in comparisons]
    several = len(comparisons) > 1
    by_firm: list[Block] = [para(FIRMS_NOTE)]
    share = firm_share_chart([(c.label, c.firms) for c in comparisons], colours)
    if share is not None:
        by_firm.append(charts([share]))
    deals: list[Block] = [para(DEALS_NOTE)]
    for c in comparisons:
        title = [heading(f"{c.label} minus {reference.label}")] if several else []
        by_firm += [*title, para(multiple_comparison_note(len(c.firms))),
                    *firm_tables_html(c.firms)]
        deals += [*title, deal_teams_html(c.deal_teams)]
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp)
        static = figures([
            save(plot_firm_shares([(c.label, c.firms) for c in comparisons], reference.label,
                                  colours), stage / f"{FIRM_SHARES_PLOT}.png"),
            save(plot_market_effects(timed, _dates(reference)),
                 stage / f"{EFFECT_PLOTS[0]}.png"),
            save(plot_top_share_effects(timed, _dates(reference), first.tiers[0], colours),
                 stage / f"{EFFECT_PLOTS[1]}.png"),
            save(plot_percent_effects([(c.label, c.market) for c in comparisons]),
                 stage / f"{EFFECT_PLOTS[2]}.png")])
    deals.append(details("Static figures of the effects (PNG, as printed)", static,
                         "static"))
    return [
        Section("Effects over time: the paired difference and its band",
                [para(EFFECTS_NOTE), charts(effect_charts(timed, _dates(reference),
                                                          colours))]),
        Section("Effects in % of the reference",
                [charts([percent_chart([(c.label, c.market) for c in comparisons])])]),
        Section("By firm: paired differences at the end", by_firm),
        Section("Deals: where each target's engineers work at the end", deals),
    ]


def replicate_compare_report(paths: Sequence[Path]) -> str:
    """The HTML report comparing replicate folders with the first, paired by seed."""
    folders = open_folders(paths)
    summaries = [_summary(f) for f in folders]
    comparisons = [compare_folders(folders[0], f) for f in folders[1:]]
    tiers: list[str] = []
    for f in folders:
        tiers.extend(t for t in first_run(f).tiers if t not in tiers)
    listing = [[f.label, str(len(f.runs)), str(f.manifest.get("seed")), str(f.dir.resolve())]
               for f in folders]
    sections = [
        Section("Replicate folders", [table(["folder", "replicates", "root seed", "path"],
                                            listing, cell_classes=[["", "", "", "text"]]
                                            * len(listing))]),
        Section("What each folder changed", changes_html(
            [f.label for f in folders], [with_seed(f.manifest) for f in folders])),
    ]
    for c in comparisons:
        tested = int((c.market.index != FINAL_MONTH).sum())
        pairs = int(c.market["pairs"].max()) if len(c.market) else 0
        sections.append(Section(f"Paired differences: {c.label} minus {folders[0].label}", [
            para(f"Key measures at the end of the horizon: the mean over {pairs} replicates "
                 "paired by seed (common random numbers) of the difference, with its 95% "
                 "paired t interval. Greyed rows, ≈ 0: the interval holds zero, so the runs "
                 "do not tell the two scenarios apart on that measure."),
            differences_html(c.market), para(multiple_comparison_note(tested))]))
    sections += effects_sections(folders, comparisons)
    sections.append(Section("Charts: every folder's mean and 95% interval", [charts(
        band_charts([(f.label, s, _dates(f)) for f, s in zip(folders, summaries, strict=True)],
                    tiers))]))
    warnings = all_warnings([(f.label, replicate_warnings(f)) for f in folders])
    return page("talentwar report: comparison of " + ", ".join(f.label for f in folders),
                f"{len(folders)} replicate folders compared with the first, "
                f"{folders[0].label}.", sections,
                alert=summary_html(comparisons, folders[0].label)
                + warnings_box(warnings, "replicates"), scripts=page_scripts())
