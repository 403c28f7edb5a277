"""Work shared out to forked processes (:func:`sim.output.pool.forked_each`): results in
the items' order, whichever process finishes first."""

from __future__ import annotations

import os
import time

import pytest

from sim.output.pool import DRAWING_PROCESSES, drawing_processes, forked_each


def _slow_first(item: int) -> tuple[int, int]:
    """``item`` squared and the process that made it; the first items take longest, so
    that in two processes the later items finish first."""
    time.sleep(0.05 * (4 - item))
    return item * item, os.getpid()


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one CPU: nothing is forked")
def test_results_come_back_in_the_items_order_from_other_processes() -> None:
    results = forked_each(_slow_first, [0, 1, 2, 3, 4], 2)
    assert [value for value, _ in results] == [0, 1, 4, 9, 16]
    assert all(pid != os.getpid() for _, pid in results)
    assert len({pid for _, pid in results}) == 2  # the work shared by both processes


def test_in_this_process_with_one_worker() -> None:
    results = forked_each(_slow_first, [3, 4], 1)
    assert results == [(9, os.getpid()), (16, os.getpid())]


def test_drawing_processes_at_most_one_per_cpu_and_figure() -> None:
    cpus = os.cpu_count() or 1
    assert drawing_processes(12) == min(DRAWING_PROCESSES, cpus)
    assert drawing_processes(1) == 1
    assert drawing_processes(12, 64) == min(12, cpus)
    assert drawing_processes(0) == 1
