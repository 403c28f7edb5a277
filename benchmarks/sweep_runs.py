"""Twenty standard sweep runs in one process, for side-by-side CPU timing of two checkouts.

Usage (from anywhere)::

    farm-bench -n 6 --vs 'python benchmarks/sweep_runs.py OLD_CHECKOUT' -- \\
        python benchmarks/sweep_runs.py NEW_CHECKOUT

Each run is ``bench_sweep.py``'s standard run (10,000 engineers x 10 firms x 60 months of
``scenarios/sweeps/small_market.toml``, the GPU threshold at 10,000), made as a sweep's
worker makes it (market records only, three measure columns kept), seeds 0-19. The
checkout named first on the command line is imported (default: this one), so old and new
code can be timed in turn by the same script.
"""

from __future__ import annotations

import sys
from pathlib import Path

SOURCE = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).parents[1]
sys.path.insert(0, str(SOURCE))

from sim.model import TalentMarket  # noqa: E402
from sim.scenario import apply_overrides, read_toml, validate  # noqa: E402

RUNS = 20


def main() -> None:
    """Run the twenty runs."""
    base = read_toml(SOURCE / "scenarios" / "sweeps" / "small_market.toml")
    data = apply_overrides(base, {"market.engineers": 10_000, "months": 60,
                                  "compute.threshold": 10_000})
    spec = validate(data, "small_market.toml")
    for seed in range(RUNS):
        model = TalentMarket(spec, seed=seed, records="market",
                             keep=["month", "top_share_above_threshold", "top_hhi"])
        model.run()


if __name__ == "__main__":
    main()
