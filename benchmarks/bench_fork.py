"""Benchmark: what a forked worker's first garbage collection costs, its parent's objects
inherited frozen (:func:`sim.files.processes.heap_frozen`, as the sweep workers and the
drawing processes are forked) or not.

Usage::

    python benchmarks/bench_fork.py            # a parent that holds what `talentwar sweep` holds
    python benchmarks/bench_fork.py --heavy    # one that also holds what a test process holds

The parent imports what the sweep command imports (with ``--heavy`` also matplotlib, the
plotting and report modules, scipy.stats, hypothesis and 300,000 small objects, as a
pytest worker holds), then forks a child twice each way, in turn. The child makes one full
collection and freezes what is left (what a sweep worker does after its first run,
:func:`sim.sweeps.worker.release_memory`) and reports its wall and CPU seconds and the
minor page faults it took (pages copied on write: 4 KiB each). Prints one line a fork.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import resource
import sys
import time
from multiprocessing.queues import Queue
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def first_collection(results: Queue) -> None:
    """In the child: one full collection and a freeze, timed, with the page faults."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    wall, cpu = time.perf_counter(), time.process_time()
    gc.collect()
    gc.freeze()
    results.put((time.perf_counter() - wall, time.process_time() - cpu,
                 resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heavy", action="store_true",
                        help="the parent also holds what a test process holds")
    args = parser.parse_args()

    import sim.cli.batches  # what the sweep command holds
    import sim.model
    import sim.sweeps.backends
    from sim.files.processes import heap_frozen

    held: list[object] = []
    if args.heavy:
        import hypothesis  # noqa: F401
        import matplotlib.pyplot  # noqa: F401
        import scipy.stats  # noqa: F401

        import sim.output.plots
        import sim.output.report  # noqa: F401

        held = [{"a": [k, str(k)]} for k in range(300_000)]
    context = multiprocessing.get_context("fork")
    print(f"parent: {len(gc.get_objects()):,} objects tracked by the collector")
    for frozen in (False, True, False, True):
        results = context.Queue()
        child = context.Process(target=first_collection, args=(results,))
        if frozen:
            with heap_frozen():
                child.start()
        else:
            child.start()
        wall, cpu, faults = results.get()
        child.join()
        print(f"{'frozen' if frozen else 'plain ':7s} first collection {wall:.3f} s wall, "
              f"{cpu:.3f} s CPU, {faults:,} pages copied ({faults * 4 / 1024:.0f} MB)")
    del held


if __name__ == "__main__":
    main()
