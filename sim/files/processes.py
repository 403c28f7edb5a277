"""Processes that never outlive the command that started them."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import signal
import sys
from collections.abc import Iterator

PR_SET_PDEATHSIG = 1
"""``prctl`` option: the signal this process gets when its parent ends (Linux)."""


def die_with_parent(parent: int) -> None:
    """Make this (forked) process end with its parent ``parent``, however that ends.

    On Linux the kernel sends SIGKILL when the parent ends (``PR_SET_PDEATHSIG``); a parent
    that ended before this call (the process now has another parent) ends this process at
    once. Elsewhere the caller must watch its parent (a pipe that reaches end of file).
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent ended before the kernel could be told
        os._exit(1)


@contextlib.contextmanager
def heap_frozen() -> Iterator[None]:
    """Fork processes in this block with this process's objects out of their garbage
    collector's view: ``gc.freeze()`` on entry, and on leaving ``gc.unfreeze()`` (the
    objects back in the oldest generation) unless some were frozen before the block, which
    then stay frozen with the rest (``unfreeze`` would release those too).

    A forked process inherits every object of this one; its first full collection would
    walk them all, writing into each object's header, and so copy every page they lie on
    (copy on write) and take the time to walk them: about 0.05 s and 22 MB for a sweep
    process, 0.25 s and 110 MB for a test process, per worker. Frozen, they are skipped
    (a forked worker's collections then look at its own objects only); garbage among them
    is left to this process, which collects it at its next full collection. A process
    started otherwise (spawn) inherits nothing: the block changes nothing for it.
    """
    frozen_before = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not frozen_before:
            gc.unfreeze()
