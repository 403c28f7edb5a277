"""Benchmark: how long a ``talentwar`` process takes to exit once its command is done.

Usage (from the repository root)::

    python benchmarks/bench_exit.py [--repeat 7]

A fresh Python process loads what ``talentwar run`` loads (the command line, the scenario
schema, the model and its writers), notes the time, and returns; this process measures
the time from that note to the child's end (its interpreter's shutdown), the median of
``--repeat`` children, as :func:`sim.cli.console` ends (``gc.freeze()`` first, so that the
shutdown's full collections skip every loaded object) and without it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import gc, sys, time
import sim.cli, sim.cli.runs, sim.output.run, sim.scenario
if sys.argv[1] == "freeze":
    gc.freeze()
print(time.time(), flush=True)
"""


def exit_seconds(mode: str) -> float:
    """Seconds from the child's last line to its end."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, mode], stdout=subprocess.PIPE,
                             text=True, env=env, cwd=ROOT)
    assert child.stdout is not None
    noted = float(child.stdout.readline())
    child.wait()
    return time.time() - noted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="children per way of ending")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error(f"--repeat: expected a whole number of at least 1, not {args.repeat}")
    times: dict[str, list[float]] = {"plain": [], "freeze": []}
    for _ in range(args.repeat):  # in turn, so that the machine's drift falls on both
        for mode in times:
            times[mode].append(exit_seconds(mode))
    for mode, values in times.items():
        print(f"exit {'with gc.freeze()' if mode == 'freeze' else 'as Python does':18s} "
              f"median {statistics.median(values) * 1e3:6.1f} ms "
              f"({min(values) * 1e3:.1f}-{max(values) * 1e3:.1f}, {len(values)} processes)")


if __name__ == "__main__":
    main()
