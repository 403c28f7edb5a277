"""The long fuzz profile: many more cases of the property-based tests in tests/fuzz/
(and any other test module named on the command line), with a tally of outcomes.

Usage (from the repository root)::

    python benchmarks/fuzz_profile.py [--examples 2000] [TEST_PATH ...]

It runs pytest with TALENTWAR_FUZZ_EXAMPLES and prints, per fuzz test, the cases tried and
how each ended: accepted, refused cleanly (exit 2, the file named, no traceback) or
UNCLEAN. The figures in docs/validation.md come from this script.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("tests", nargs="*", default=["tests/fuzz"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stats = Path(tmp) / "tally.txt"
        env = {**os.environ, "TALENTWAR_FUZZ_EXAMPLES": str(args.examples),
               "TALENTWAR_FUZZ_STATS": str(stats)}
        clock = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                 *args.tests], cwd=ROOT, env=env)
        wall = time.perf_counter() - clock
        tally: dict[str, collections.Counter[str]] = collections.defaultdict(
            collections.Counter)
        if stats.exists():
            for line in stats.read_text().splitlines():
                test, _, outcome = line.partition(" ")
                tally[test][outcome] += 1
    print(f"\n{args.examples} examples a test, {wall:.0f} s, pytest exit {result.returncode}")
    print(f"{'test':<16} {'cases':>7}  outcomes")
    for test, counts in sorted(tally.items()):
        total = sum(counts.values())
        unclean = counts.get("UNCLEAN", 0)
        shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        print(f"{test:<16} {total:>7}  {shown}; clean {100 * (total - unclean) / total:.1f}%")
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()
