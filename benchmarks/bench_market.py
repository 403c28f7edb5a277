"""Benchmark: time per simulated month and peak memory, by market size; one run end to end.

Usage::

    python benchmarks/bench_market.py              # 10k, 100k and 1M engineers, 100 firms
    python benchmarks/bench_market.py --sizes 10000 100000 --months 6

Each size runs in its own process, so its peak resident memory (``ru_maxrss``) is its own.
The market is ``benchmarks/market_100_firms.toml``: the flagship's tiers, 15 named firms and
85 generated ones, every firm response switched on (counter-offers, retention calls,
adaptive pay, GPU orders, deals under antitrust review, layoffs, funding, events).
Targets: 1,000,000 engineers x 100 firms, a month under 0.3 s with peak memory under 1.5 GB;
120 months of a 100,000-engineer market under 10 s end to end (``talentwar run``, writing
every table and plot).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "market_100_firms.toml"


def one_size(engineers: int, months: int) -> dict:
    """Build a market of ``engineers`` and time ``months`` steps (in this process)."""
    sys.path.insert(0, str(HERE.parent))
    from sim import TalentMarket, load_scenario

    scenario = load_scenario(SCENARIO, [f"market.engineers={engineers}",
                                        f"months={months + 1}"])
    clock = time.perf_counter()
    model = TalentMarket(scenario)
    built = time.perf_counter() - clock
    model.step()  # warm-up month (first-touch allocations)
    times = []
    for _ in range(months):
        clock = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - clock)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times.sort()
    return {
        "engineers": engineers,
        "firms": len(model.firms),
        "build_s": round(built, 3),
        "month_median_s": round(times[len(times) // 2], 4),
        "month_max_s": round(times[-1], 4),
        "peak_rss_mb": round(peak_mb, 1),
        "deals": int(model.market["deals"].sum()),
        "layoffs": int(model.market["layoffs"].sum()),
        "counter_offers": int(model.market["counter_offers"].sum()),
    }


def end_to_end(engineers: int, months: int) -> float:
    """Wall time of ``talentwar run`` (tables and plots written) for the benchmark market."""
    with tempfile.TemporaryDirectory() as tmp:
        clock = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "sim", "run", str(SCENARIO), "--quiet",
             "--set", f"market.engineers={engineers}", "--months", str(months),
             "--out", str(Path(tmp) / "run")],
            check=True, cwd=HERE.parent, stdout=subprocess.DEVNULL,
        )
        return time.perf_counter() - clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--months", type=int, default=12, help="months timed per size")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.months)))
        return

    print(f"{'engineers':>10} {'firms':>5} {'build s':>8} {'month s (median)':>17} "
          f"{'month s (max)':>14} {'peak MB':>8} {'deals':>6} {'layoffs':>8} {'counters':>9}")
    for size in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(size), "--months",
                              str(args.months)], check=True, capture_output=True, text=True)
        r = json.loads(out.stdout)
        print(f"{r['engineers']:>10,} {r['firms']:>5} {r['build_s']:>8.2f} "
              f"{r['month_median_s']:>17.4f} {r['month_max_s']:>14.4f} {r['peak_rss_mb']:>8.0f} "
              f"{r['deals']:>6} {r['layoffs']:>8} {r['counter_offers']:>9}")
    seconds = end_to_end(100_000, 120)
    print(f"\n120 months, 100,000 engineers, 100 firms, end to end (talentwar run, tables and "
          f"plots): {seconds:.1f} s")


if __name__ == "__main__":
    main()
