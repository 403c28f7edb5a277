"""Functions that tests/output/test_pool.py has an EarlyProcess call by name."""

from __future__ import annotations

import os
import sys
import time

from sim.output.pool import forked_each


def note_process(path: str, module: str) -> None:
    """Write this process's id and whether ``module`` is imported in it to ``path``."""
    with open(path, "w") as out:
        out.write(f"{os.getpid()} {module in sys.modules}\n")


def sleep_in_two(path: str, seconds: float) -> None:
    """Fork a second process, and in both note the process's id in ``path`` then sleep
    ``seconds``."""

    def sleep(_: int) -> None:
        with open(path, "a") as out:
            out.write(f"{os.getpid()}\n")
        time.sleep(seconds)

    forked_each(sleep, [0, 1], 2)


def fail(message: str) -> None:
    raise ValueError(message)


def killed_at(item: int, victim: int) -> None:
    """Kill this process outright if ``item`` is ``victim``."""
    if item == victim:
        os.kill(os.getpid(), 9)
    time.sleep(0.05)
