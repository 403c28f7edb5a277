"""Every figure of the README's "What the flagship answers", computed from the runs.

Usage (from the repository root)::

    python benchmarks/flagship_answers.py                  # runs, then prints (about 1 minute)
    python benchmarks/flagship_answers.py --root DIR --reuse   # reuse the folders in DIR

Runs the flagship and three counterfactuals (``no_gpu_threshold``, ``strict_antitrust``,
``block_acquihires``) with ten replicates each, paired by seed (the README's commands:
``talentwar run SCENARIO --replicates 10 --workers 2 --no-plots``), compares each
counterfactual with the flagship (``talentwar compare``), and prints each figure the README
quotes, with what it is read from: ``differences.csv``, ``firm_differences.csv`` and
``deal_team_differences.csv`` of the comparisons, and the replicates' own ``firms.csv``,
``deals.csv``, ``deal_teams.csv`` and ``market.csv``. Means are over the ten replicates;
intervals are 95% paired intervals (``talentwar compare``'s, or :func:`paired` here for
sums of firms, the same t interval).
"""

from __future__ import annotations

import argparse
import filecmp
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {
    "flagship": ROOT / "scenarios" / "ai_talent_war_2024.toml",
    "no_gpu_threshold": ROOT / "scenarios" / "counterfactuals" / "no_gpu_threshold.toml",
    "strict_antitrust": ROOT / "scenarios" / "counterfactuals" / "strict_antitrust.toml",
    "block_acquihires": ROOT / "scenarios" / "counterfactuals" / "block_acquihires.toml",
}
LABS = ("Google_DeepMind", "OpenAI", "xAI", "Anthropic")
BIG_TECH = ("Meta", "Microsoft", "Amazon")
DATED = ("MosaicML", "Inflection", "Adept", "Character_AI")
"""The targets of the four dated deals of the flagship's timeline."""
TIER = "researcher"


def talentwar(*args: object) -> None:
    """Run ``python -m sim ARGS`` from the repository root; stop on failure."""
    done = subprocess.run([sys.executable, "-m", "sim", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"talentwar {' '.join(map(str, args))} failed:\n{done.stderr}")


def replicates(folder: Path, table: str) -> pd.DataFrame:
    """``table`` of every replicate of ``folder``, with a ``rep`` column (0, 1, ...)."""
    frames = [pd.read_csv(rep / table).assign(rep=k)
              for k, rep in enumerate(sorted(folder.glob("rep-*")))]
    return pd.concat(frames, ignore_index=True)


def paired(reference: np.ndarray, other: np.ndarray) -> tuple[float, float, float]:
    """Mean of other - reference over paired seeds and its 95% t interval."""
    d = np.asarray(other, float) - np.asarray(reference, float)
    half = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)
    return float(d.mean()), float(d.mean() - half), float(d.mean() + half)


def row(table: pd.DataFrame, **where: object) -> pd.Series:
    """The one row of ``table`` where every column equals its value in ``where``."""
    mask = np.ones(len(table), bool)
    for column, value in where.items():
        mask &= (table[column] == value).to_numpy()
    found = table[mask]
    if len(found) != 1:
        sys.exit(f"expected one row where {where}, found {len(found)}")
    return found.iloc[0]


def effect(r: pd.Series, digits: int = 1) -> str:
    """``ref -> other: diff [low, high], verdict`` of a comparison's row."""
    verdict = ("differs, also after BH" if r["distinguishable_fdr"] else
               "differs (own interval only)" if r["distinguishable"] else "(≈ 0)")
    f = f"{{:,.{digits}f}}"
    return (f"{f.format(r['reference_mean'])} -> {f.format(r['other_mean'])}: "
            f"{f.format(r['mean_difference'])} [{f.format(r['low'])}, {f.format(r['high'])}]"
            f" ({r['percent_difference']:+.1f}%), {verdict}")


def last_month(firms: pd.DataFrame) -> pd.DataFrame:
    return firms[firms["month"] == firms["month"].max()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT / "results" / "answers",
                        help="where the replicate and comparison folders go")
    parser.add_argument("--reuse", action="store_true",
                        help="use the folders already in --root")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    root = args.root.resolve()
    folders = {name: root / name for name in SCENARIOS}
    compares = {name: root / f"compare_{name}" for name in SCENARIOS if name != "flagship"}
    if not args.reuse:
        root.mkdir(parents=True, exist_ok=True)
        for name, scenario in SCENARIOS.items():
            talentwar("run", scenario, "--replicates", 10, "--workers", args.workers,
                      "--no-plots", "--quiet", "--out", folders[name])
        for name, out in compares.items():
            talentwar("compare", folders["flagship"], folders[name], "--out", out)
    diff = {n: pd.read_csv(c / "differences.csv") for n, c in compares.items()}
    firm_diff = {n: pd.read_csv(c / "firm_differences.csv") for n, c in compares.items()}
    team_diff = {n: pd.read_csv(c / "deal_team_differences.csv")
                 for n, c in compares.items()}
    firms = {n: replicates(f, "firms.csv") for n, f in folders.items()}
    deals = {n: replicates(f, "deals.csv") for n, f in folders.items()}
    teams = {n: replicates(f, "deal_teams.csv") for n, f in folders.items()}
    n_reps = firms["flagship"]["rep"].nunique()

    print("== Does compute decide where researchers go? (no_gpu_threshold - flagship)")
    d = diff["no_gpu_threshold"]
    measures = d[d["measure"] != "final month"]
    print(f"key measures compared: {len(measures)}")
    for measure in ("top-tier hires by firms below the GPU threshold (total over run)",
                    "HHI of top tier (0-10,000)", "top tier at firms above GPU threshold (%)"):
        print(f"  {measure}: {effect(row(d, measure=measure), 2)}")
    for firm in ("Perplexity", "Mistral"):
        hires = {n: firms[n][firms[n]["firm"] == firm].groupby("rep")[f"hires_{TIER}"].sum()
                 for n in ("flagship", "no_gpu_threshold")}
        end = last_month(firms["flagship"])
        end = end[end["firm"] == firm]
        staffed = end[end[f"headcount_{TIER}"] > 0]
        pay = staffed[f"pay_median_{TIER}"].mean() / 1e6
        print(f"  {firm}: researchers hired over the run {hires['flagship'].mean():.1f} "
              f"(without the threshold {hires['no_gpu_threshold'].mean():.1f}); researchers "
              f"at the end {end[f'headcount_{TIER}'].mean():.1f} (min "
              f"{end[f'headcount_{TIER}'].min():.0f}, max {end[f'headcount_{TIER}'].max():.0f})"
              f"; median researcher pay at the end ${pay:.2f}M "
              f"(mean over the {len(staffed)} replicates with researchers)")
    end = last_month(firms["flagship"])
    labs = end[end["firm"].isin(["Google_DeepMind", "Anthropic", "OpenAI"])]
    pay = labs.groupby("firm")[f"pay_median_{TIER}"].mean() / 1e6
    print("  labs' median researcher pay at the end ($M, mean): "
          + ", ".join(f"{f} {v:.2f}" for f, v in pay.items()))

    print("\n== Does blocking acqui-hires change concentration?")
    d = diff["strict_antitrust"]
    blocked = deals["strict_antitrust"]["blocked"].astype(bool)
    same = all(filecmp.cmp(a, folders["strict_antitrust"] / a.relative_to(folders["flagship"]),
                           shallow=False)
               for a in folders["flagship"].glob("rep-*/*.csv"))
    own = deals["strict_antitrust"][deals["strict_antitrust"]["origin"] == "model"]
    print(f"strict_antitrust: deals blocked {int(blocked.sum())} over {n_reps} replicates; "
          f"the model's own deals {len(own)}; every replicate table identical to the "
          f"flagship's: {same}")
    print("  HHI of the top tier in the flagship's months (min-max over replicates): "
          f"{replicates(folders['flagship'], 'market.csv')['top_hhi'].min():,.0f}-"
          f"{replicates(folders['flagship'], 'market.csv')['top_hhi'].max():,.0f}")
    name = "block_acquihires"
    d = diff[name]
    b = deals[name]
    blocked = b[b["blocked"].astype(bool)]
    print(f"{name}: deals blocked a run {len(blocked) / n_reps:.1f}, of them the model's "
          f"own {int((blocked['origin'] == 'model').sum()) / n_reps:.1f}; dated deals blocked "
          f"{sorted(set(blocked.loc[blocked['origin'] != 'model', 'target']))}")
    for measure in ("HHI of top tier (0-10,000)", "top tier at firms above GPU threshold (%)"):
        print(f"  {measure}: {effect(row(d, measure=measure), 2)}")
    t = teams[name]
    dated = t[t["target"].isin(DATED) & (t["tier"] == TIER)]
    moved = dated.groupby("rep")["engineers"].sum()
    left = dated[dated["firm_at_end"] != dated["target"]]
    print(f"  the dated deals' researchers: {moved.mean():.1f} a run in the teams, "
          f"{left.groupby('rep')['engineers'].sum().reindex(moved.index, fill_value=0).mean():.1f}"
          " a run work elsewhere at the end: at the labs "
          f"{left[left['firm_at_end'].isin(LABS)]['engineers'].sum() / n_reps:.1f}, at "
          f"Meta, Microsoft and Amazon "
          f"{left[left['firm_at_end'].isin(BIG_TECH)]['engineers'].sum() / n_reps:.1f}")
    td = team_diff[name]
    for place in ("Microsoft", "Inflection"):
        r = td[(td["target"] == "Inflection") & (td["tier"] == TIER)
               & (td["firm_at_end"] == place)].iloc[0]
        print(f"  Inflection's researchers at {place} at the end (done -> blocked): "
              f"{r['reference_mean']:.1f} -> {r['other_mean']:.1f}: {r['mean_difference']:+.1f}"
              f" [{r['low']:.1f}, {r['high']:.1f}]")
    fd = firm_diff[name]
    share = fd[(fd["tier"] == TIER) & (fd["measure"] == "share of the tier (%)")]
    for firm in ("Microsoft", "Inflection", "Character_AI", "MosaicML", "generated firms",
                 "Adept"):
        print(f"  {firm}'s share of all researchers: {effect(row(share, firm=firm), 2)}")
    startups = {}
    for n in ("flagship", name):
        f = last_month(firms[n])
        markets = replicates(folders[n], "market.csv")
        total = (markets[markets["month"] == markets["month"].max()]
                 .set_index("rep")[f"unemployed_{TIER}"]
                 + f.groupby("rep")[f"headcount_{TIER}"].sum())
        startups[n] = (100 * f[f["kind"] == "ai_startup"].groupby("rep")[f"headcount_{TIER}"]
                       .sum() / total)
    mean, low, high = paired(startups["flagship"].to_numpy(), startups[name].to_numpy())
    print(f"  the named and generated start-ups' share of researchers: "
          f"{startups['flagship'].mean():.2f}% -> {startups[name].mean():.2f}%: {mean:+.2f} "
          f"[{low:.2f}, {high:.2f}]")
    for target in ("Inflection", "Character_AI"):
        ml = t[(t["target"] == target) & (t["tier"] == "ml_engineer")]
        kept = ml[ml["firm_at_end"] == target]["engineers"].sum() / n_reps
        print(f"  {target}'s ML engineers in the deal's team: {ml['engineers'].sum() / n_reps:.1f}"
              f" a run, at {target} at the end {kept:.1f}")
    for n in ("flagship", name):
        f = firms[n]
        lay = f[["layoffs_researcher", "layoffs_ml_engineer"]].sum() / n_reps
        print(f"  {n}: AI layoffs a run: researchers {lay.iloc[0]:.1f}, ML engineers "
              f"{lay.iloc[1]:.1f}")
    f = firms["flagship"]
    ai = f["layoffs_researcher"] + f["layoffs_ml_engineer"]
    dates = replicates(folders["flagship"], "market.csv").drop_duplicates("month").set_index(
        "month")["date"]
    june = (f["firm"] == "Databricks") & (f["month"].map(dates) == "2023-06")
    print(f"  the flagship's AI layoffs over the replicates: {int(ai.sum())}, of them "
          f"Databricks' in 2023-06: {int(ai[june].sum())}")

    print("\n== Which labs win researchers? (flagship, means over replicates)")
    f = firms["flagship"]
    for firm in ("Google_DeepMind", "OpenAI", "Anthropic", "xAI", "Microsoft", "Amazon",
                 "Salesforce"):
        one = f[f["firm"] == firm].groupby("month")[f"headcount_{TIER}"].mean()
        gpus = f[f["firm"] == firm]["gpus"]
        print(f"  {firm}: {one.iloc[0]:.0f} -> {one.iloc[-1]:.0f} researchers; GPUs "
              f"{gpus.min():,.0f}-{gpus.max():,.0f}")
    x = f[f["firm"] == "xAI"].assign(date=lambda t: t["month"].map(dates))
    for date in ("2024-08", "2024-09"):
        print(f"  xAI researchers in {date}: "
              f"{x[x['date'] == date][f'headcount_{TIER}'].mean():.1f}, GPUs "
              f"{x[x['date'] == date]['gpus'].mean():,.0f}")


if __name__ == "__main__":
    main()
