"""What tests/output/test_pool.py has processes of sim.output.pool do: functions an
EarlyProcess calls by name, and work for forked_each."""

from __future__ import annotations

import gc
import os
import sys
import time

from sim.output.pool import forked_each


def note_process(path: str, module: str) -> None:
    """Write this process's id and whether ``module`` is imported in it to ``path``."""
    with open(path, "w") as out:
        out.write(f"{os.getpid()} {module in sys.modules}\n")


def note_frozen(path: str) -> None:
    """Note how many objects the garbage collector leaves out of its view
    (``gc.get_freeze_count()``) in this process (first line), then in each of two
    processes forked by forked_each as they start, then in this process again once they
    have ended (last line)."""

    def note(_: int = 0) -> None:
        with open(path, "a") as out:
            out.write(f"{gc.get_freeze_count()}\n")

    note()
    forked_each(note, [0, 1], 2)
    note()


def sleep_in_two(path: str, seconds: float, go: str = "") -> None:
    """Fork two processes, and in both note the process's id in ``path`` then sleep
    ``seconds`` (or, given a file ``go``, until it exists, at most ``seconds``)."""

    def sleep(_: int) -> None:
        with open(path, "a") as out:
            out.write(f"{os.getpid()}\n")
        end = time.monotonic() + seconds
        while time.monotonic() < end and not (go and os.path.exists(go)):
            time.sleep(0.01)

    forked_each(sleep, [0, 1], 2)


class Unpicklable(Exception):
    """An error holding what cannot be pickled (a lock)."""

    def __init__(self) -> None:
        import threading

        super().__init__("holds a lock")
        self.lock = threading.Lock()


def fail_unpicklably() -> None:
    raise Unpicklable


def fail(message: str) -> None:
    raise ValueError(message)


def killed_at(item: int, victim: int) -> None:
    """Kill this process outright if ``item`` is ``victim``."""
    if item == victim:
        os.kill(os.getpid(), 9)
    time.sleep(0.05)


def exits_at(item: int, victim: int) -> None:
    """Exit this process (status 0) if ``item`` is ``victim``."""
    if item == victim:
        sys.exit()
    time.sleep(0.05)


def quits_at(item: int, victim: int) -> None:
    """End this process at once, with status 0 and no clean-up, if ``item`` is
    ``victim``."""
    if item == victim:
        os._exit(0)
    time.sleep(0.05)


MADE: list[str] = []
"""What :func:`make` made, in the process that called it."""


def make(word: str) -> None:
    """A ``prepare`` function: make something for the call to use."""
    MADE.append(word)


def note_made(path: str) -> None:
    """Write what :func:`make` made in this process (and its pid) to ``path``."""
    with open(path, "w") as out:
        out.write(f"{os.getpid()} {','.join(MADE)}")
