"""Benchmark: a month of the 100-firm market against the plain numpy kernel, in one process.

Usage::

    python benchmarks/bench_month.py                        # 1M engineers, 6 months timed
    python benchmarks/bench_month.py --engineers 100000 --months 12 --profile
    python benchmarks/bench_month.py --src /path/to/other/checkout   # time another version
    python benchmarks/bench_month.py --allocator default    # malloc as Python starts

Builds ``benchmarks/market_100_firms.toml`` at the given size, steps one warm-up month,
then times ``--months`` months (wall and CPU seconds of each), and then times the plain
kernel ``../shared/bench/roofline.py`` (if present) for as many months in the same process,
so the two are measured under the same load. Prints one JSON line: medians and ranges of
the month's wall and CPU milliseconds, the kernel's milliseconds a month, their ratio, and
the process's peak resident memory. ``--profile`` adds the phase table
(:mod:`sim.market.profile`) in CPU milliseconds. The kernel's CPU time includes drawing
its firms and engineers (a few milliseconds a month at a million). ``--src`` puts another
checkout first on the import path (the commit to compare with), so old and new can be run
in turn by the same script. The process's C allocator is set as the ``talentwar`` command
sets it (:func:`sim.files.processes.keep_freed_memory`, where the checkout has it), for
the model and the kernel alike; ``--allocator default`` leaves it as Python starts.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "market_100_firms.toml"
KERNEL = HERE.parent.parent / "shared" / "bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engineers", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=6, help="months timed")
    parser.add_argument("--src", type=Path, help="checkout of talentwar to time")
    parser.add_argument("--profile", action="store_true", help="print the phase table")
    parser.add_argument("--no-kernel", action="store_true", help="skip the plain kernel")
    parser.add_argument("--allocator", choices=("command", "default"), default="command",
                        help="the C allocator as the talentwar command sets it (default), or "
                        "as a plain Python process has it")
    args = parser.parse_args()
    sys.path.insert(0, str(args.src.resolve() if args.src else HERE.parent))
    from sim import TalentMarket, load_scenario

    kept = False
    if args.allocator == "command":  # (a checkout from before the setting has none)
        from sim.files import processes

        kept = getattr(processes, "keep_freed_memory", lambda: False)()

    scenario = load_scenario(SCENARIO, [f"market.engineers={args.engineers}",
                                        f"months={args.months + 1}"])
    # (profile only when asked: older versions, timed with --src, do not take it)
    model = TalentMarket(scenario, **({"profile": True} if args.profile else {}))
    model.step()  # warm-up month (first-touch allocations)
    if args.profile:  # the measured months only, in CPU seconds (steadier when shared)
        from sim.market.profile import PhaseClock

        model.clock = PhaseClock(time.process_time)
    wall, cpu = [], []
    for _ in range(args.months):
        w, c = time.perf_counter(), time.process_time()
        model.step()
        wall.append(1e3 * (time.perf_counter() - w))
        cpu.append(1e3 * (time.process_time() - c))
    out = {
        "engineers": args.engineers,
        "src": str(args.src or HERE.parent),
        "allocator_kept": kept,
        "month_ms": round(statistics.median(wall), 1),
        "month_ms_range": [round(min(wall), 1), round(max(wall), 1)],
        "month_cpu_ms": round(statistics.median(cpu), 1),
        "month_cpu_ms_range": [round(min(cpu), 1), round(max(cpu), 1)],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if not args.no_kernel and (KERNEL / "roofline.py").exists():
        sys.path.insert(0, str(KERNEL))
        import io
        from contextlib import redirect_stdout

        import roofline  # type: ignore[import-not-found]

        clock = time.process_time()
        with redirect_stdout(io.StringIO()):
            kernel = 1e3 * roofline.main(args.engineers, len(model.firms), args.months)
        kernel_cpu = 1e3 * (time.process_time() - clock) / args.months
        out["kernel_ms"] = round(kernel, 1)
        out["kernel_cpu_ms"] = round(kernel_cpu, 1)
        out["month_over_kernel"] = round(statistics.median(wall) / kernel, 2)
        out["month_over_kernel_cpu"] = round(statistics.median(cpu) / kernel_cpu, 2)
    print(json.dumps(out))
    if args.profile:
        print(model.clock.report())


if __name__ == "__main__":
    main()
