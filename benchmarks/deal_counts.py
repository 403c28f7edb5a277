"""How many deals of its own the flagship's model makes per run, and who buys whom.

Usage::

    python benchmarks/deal_counts.py --seeds 20 --workers 2
    python benchmarks/deal_counts.py --seeds 20 --set 'antitrust.rule="eu_2004"'
    python benchmarks/deal_counts.py --seeds 20 \
        --scenario scenarios/counterfactuals/strict_antitrust.toml

Runs ``scenarios/ai_talent_war_2024.toml`` (or ``--scenario``) for seeds 1..N (at most
``--workers`` processes, at most 2) and prints, from each run's ``deals`` (what
``deals.csv`` holds): the number of the model's own deals done per run (``origin`` =
``model``; the dated deals of the timeline are not counted) with its mean, a 95% interval
of the mean (t interval over the seeds) and its distribution; the number blocked, and of
all deals (dated ones too); each pair buyer -> target with the runs it occurs in; and the
dates of the last month run and of the latest deal (no deal can be dated after the
horizon). docs/calibration.md ("The model's own deals") sets these figures beside the
record of 2023-2025.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim import TalentMarket, load_scenario  # noqa: E402

FLAGSHIP = ROOT / "scenarios" / "ai_talent_war_2024.toml"


def one(args: tuple[Path, int, list[str]]) -> tuple[int, int, list[str], str, str, int]:
    """Run one seed: (own deals done, own deals blocked, their pairs, last date, latest
    deal's date, deals blocked of any origin)."""
    path, seed, overrides = args
    model = TalentMarket(load_scenario(path, [f"seed={seed}", *overrides]))
    model.run()
    deals = model.deals
    own = deals[deals["origin"] == "model"]
    done = own[~own["blocked"].astype(bool)]
    pairs = [f"{b} -> {t} ({f})" for b, t, f in zip(done["buyer"], done["target"],
                                                     done["form"], strict=True)]
    latest = str(deals["date"].max()) if len(deals) else "-"
    return (len(done), len(own) - len(done), pairs, model.state.date(), latest,
            int(deals["blocked"].astype(bool).sum()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=FLAGSHIP)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], dest="overrides",
                        help="scenario override KEY=VALUE (repeatable)")
    args = parser.parse_args(argv)
    seeds = range(1, args.seeds + 1)
    with ProcessPoolExecutor(max_workers=min(args.workers, 2)) as pool:
        results = list(pool.map(one, [(args.scenario, s, args.overrides) for s in seeds]))
    counts = np.array([r[0] for r in results], dtype=float)
    blocked = np.array([r[1] for r in results], dtype=float)
    mean = counts.mean()
    half = (stats.t.ppf(0.975, counts.size - 1) * counts.std(ddof=1) / np.sqrt(counts.size)
            if counts.size > 1 else float("nan"))
    extra = " with " + " ".join(args.overrides) if args.overrides else ""
    print(f"{args.scenario.name}, seeds 1-{args.seeds}{extra}")
    print(f"model's own deals done per run: mean {mean:.2f} [{mean - half:.2f}, "
          f"{mean + half:.2f}] (95% t interval), runs with none "
          f"{np.mean(counts == 0):.0%}, max {counts.max():.0f}")
    print("distribution: " + ", ".join(f"{k}: {v}" for k, v in
                                         sorted(Counter(counts.astype(int)).items())))
    print(f"model's own deals blocked per run: mean {blocked.mean():.2f}; deals of any "
          f"origin blocked per run: mean {np.mean([r[5] for r in results]):.2f}")
    pairs = Counter(p for r in results for p in set(r[2]))
    print("buyer -> target (runs with it):")
    for pair, n in pairs.most_common():
        print(f"  {pair}: {n}")
    print(f"last month run: {sorted({r[3] for r in results})}; latest deal: "
          f"{max(r[4] for r in results)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
