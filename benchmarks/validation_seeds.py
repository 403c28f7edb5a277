"""Pass rate of each validation fact of the flagship over many seeds.

Usage::

    python benchmarks/validation_seeds.py --seeds 20               # flagship size
    python benchmarks/validation_seeds.py --seeds 20 --engineers 50000
    python benchmarks/validation_seeds.py --seeds 20 --write-docs  # into docs/validation.md
    python benchmarks/validation_seeds.py --seeds 20 --first-seed 21  # fresh seeds 21-40
    python benchmarks/validation_seeds.py --seeds 20 --set firm_defaults.raise_rate=0
    python benchmarks/validation_seeds.py --seeds 20 \
        --scenario scenarios/counterfactuals/no_gpu_threshold.toml

Runs ``scenarios/ai_talent_war_2024.toml`` for seeds 1..N (in worker processes), computes
the measures and checks of :mod:`sim.validation` (one definition, which
``tests/test_validation.py`` checks), and prints each fact's pass rate and each measure's
10th, 50th and 90th percentiles over the seeds. The tolerances of docs/validation.md are
chosen from this spread. Deal prices per engineer depend on the size of the teams, so a
reduced market (``--engineers``) shifts fact 3. ``--scenario`` and ``--set`` run another
market (the broken markets of docs/validation.md, on which each fact should fail).
``--write-docs`` puts the flagship's tables into docs/validation.md's generated block
``pass rates``.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.calibration.markdown import splice  # noqa: E402
from sim.files.atomic import write_text  # noqa: E402
from sim.files.folders import default_workers  # noqa: E402
from sim.validation import TOLERANCES, checks, measures, run_scenario  # noqa: E402

DOCS = ROOT / "docs" / "validation.md"
FLAGSHIP = ROOT / "scenarios" / "ai_talent_war_2024.toml"


def one(args: tuple[Path, int, int | None, list[str]]
        ) -> tuple[dict[str, float], dict[str, bool]]:
    path, seed, engineers, overrides = args
    m = measures(run_scenario(path, seed, engineers, overrides))
    return m, checks(m)


def tables(results: list[tuple[dict[str, float], dict[str, bool]]], seeds: int,
           engineers: int | None, first: int = 1) -> str:
    """Markdown: each fact's pass rate, and each measure's spread, over the seeds."""
    size = f"{engineers:,} engineers" if engineers else "the flagship's size"
    start = f" --first-seed {first}" if first != 1 else ""
    lines = [f"{seeds} seeds ({first}-{first + seeds - 1}), {size} "
             "(`python benchmarks/validation_seeds.py --seeds "
             f"{seeds}{start}{f' --engineers {engineers}' if engineers else ''}`).", "",
             "| fact | tolerance | pass rate |", "|---|---|---|"]
    for fact, text in TOLERANCES.items():
        rate = np.mean([ok[fact] for _, ok in results])
        lines.append(f"| {fact} | {text} | {rate:.0%} |")
    lines += ["", "| measure | p10 | median | p90 |", "|---|---|---|---|"]
    for key in results[0][0]:
        values = np.array([m[key] for m, _ in results], dtype=float)
        p10, p50, p90 = np.nanpercentile(values, [10, 50, 90])
        lines.append(f"| {key} | {p10:,.3g} | {p50:,.3g} | {p90:,.3g} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=1,
                        help="the first seed (default 1): --first-seed 21 --seeds 20 runs "
                        "seeds 21-40, fresh seeds for a tolerance chosen on 1-20")
    parser.add_argument("--engineers", type=int, default=None)
    parser.add_argument("--workers", type=int, default=default_workers(),
                        help="worker processes (default: the CPUs this process may use)")
    parser.add_argument("--scenario", type=Path, default=FLAGSHIP,
                        help="another scenario (default: the flagship)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a scenario value (repeatable), as in talentwar run")
    parser.add_argument("--write-docs", action="store_true",
                        help="write the tables into docs/validation.md (block 'pass rates')")
    args = parser.parse_args(argv)
    if args.write_docs and (args.scenario != FLAGSHIP or args.set or args.first_seed != 1):
        parser.error("--write-docs records the flagship's pass rates on seeds from 1: no "
                     "--scenario, --set or --first-seed")
    jobs = [(args.scenario, seed, args.engineers, args.set)
            for seed in range(args.first_seed, args.first_seed + args.seeds)]
    with ProcessPoolExecutor(max(1, min(args.workers, len(jobs)))) as pool:
        results = list(pool.map(one, jobs))
    text = tables(results, args.seeds, args.engineers, args.first_seed)
    print(text)
    if args.write_docs:
        write_text(DOCS, splice(DOCS.read_text(encoding="utf-8"), "pass rates", text),
                   "docs/validation.md")
        print(f"wrote {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
