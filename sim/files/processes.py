"""Processes that never outlive the command that started them."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import signal
import sys
import threading
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


_frozen_depth = 0
"""How many :func:`heap_frozen` blocks this process is in, those of the process it was
forked from (while in one) included: a forked process starts inside its parent's."""
_frozen_lock = threading.Lock()


def _new_lock() -> None:
    """In a forked process: a lock of its own (another thread of the parent may have held
    the parent's as it forked)."""
    global _frozen_lock
    _frozen_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_lock)


@contextlib.contextmanager
def heap_frozen() -> Iterator[None]:
    """Fork processes in this block with this process's objects out of their garbage
    collector's view: ``gc.freeze()`` on entry, and on leaving the outermost such block
    ``gc.unfreeze()`` (the objects back in the oldest generation). A process forked in
    one starts inside it (its objects inherited frozen), so that its own blocks, nested
    in it, never unfreeze what it inherited.

    A forked process inherits every object of this one; its first full collection would
    walk them all, writing into each object's header, and so copy every page they lie on
    (copy on write) and take the time to walk them: about 0.05 s and 22 MB for a sweep
    process, 0.25 s and 110 MB for a test process, per worker. Frozen, they are skipped
    (a forked worker's collections then look at its own objects only); garbage among them
    is left to this process, which collects it at its next full collection. A process
    started otherwise (spawn) inherits nothing: the block changes nothing for it.
    (Python 3.12 starts with a few hundred objects frozen; leaving the outermost block
    unfreezes them too, as ``gc.unfreeze()`` does.)
    """
    global _frozen_depth
    with _frozen_lock:
        gc.freeze()
        _frozen_depth += 1
    try:
        yield
    finally:
        with _frozen_lock:
            _frozen_depth -= 1
            if _frozen_depth == 0:
                gc.unfreeze()


M_TRIM_THRESHOLD = -1
"""``mallopt`` option (glibc): free memory at the top of the heap above which ``free``
gives it back to the system."""

M_MMAP_THRESHOLD = -3
"""``mallopt`` option (glibc): the size from which ``malloc`` maps each block from the
system (and unmaps it when freed) instead of taking it from the heap."""

HEAP_BLOCKS_UP_TO = 32 * 2**20
"""The largest block served from the heap under :func:`keep_freed_memory` (glibc's
largest ``M_MMAP_THRESHOLD`` on 64-bit systems): an array of up to 4 million floats."""

FREED_KEPT_UP_TO = 2**30
"""The free memory at the top of the heap kept for reuse under :func:`keep_freed_memory`
(glibc's ``M_TRIM_THRESHOLD``)."""

_kept = False
"""Whether :func:`keep_freed_memory` has set the allocator in this process (or in the
process it was forked from)."""


def keep_freed_memory() -> bool:
    """Have the C allocator (glibc's ``malloc``) serve arrays of up to
    :data:`HEAP_BLOCKS_UP_TO` bytes from its heap, and keep up to :data:`FREED_KEPT_UP_TO`
    of freed memory for reuse instead of giving it back to the system; return whether it
    did (False elsewhere than on glibc, where nothing changes). Once a process is set, later
    calls do nothing.

    By default glibc maps each block above a threshold (128 kB at first, rising to the
    size of the largest such block freed) from the system and unmaps it when freed, and
    gives back free memory at the top of its heap above twice that threshold. numpy's
    temporary arrays of a month at 100,000 engineers are about 0.8 MB each: each one was
    mapped afresh and its pages faulted in one by one (about 200 page faults, 0.4 ms on
    this project's machines, as long as the operation itself), about a sixth of the
    month's time. Kept, the same memory serves the next array, already in place.

    The process's memory then stays at its peak until it ends instead of falling back
    between the arrays: for a command, or a worker whose every run needs the same again,
    that is the memory it needs anyway. The values computed do not change. Call it in a
    process that runs models (the ``talentwar`` command, a sweep's or a calibration's
    worker), not in a library's import."""
    global _kept
    if _kept:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # musl's mallopt accepts nothing (returns 0): the allocator is left as it was.
    _kept = bool(mallopt(M_MMAP_THRESHOLD, HEAP_BLOCKS_UP_TO)) and bool(
        mallopt(M_TRIM_THRESHOLD, FREED_KEPT_UP_TO))
    return _kept


def give_back_freed_memory() -> bool:
    """Give the free memory the allocator keeps (:func:`keep_freed_memory`) back to the
    system now (glibc's ``malloc_trim(0)``); return whether it was asked (only where the
    allocator was set). For a process that has finished the work that reused it and goes
    on holding little while others work: ``talentwar run`` once its model has run, so that
    the memory of the month's temporary arrays does not stay resident beside the processes
    that draw the plots (it would add to the run's peak, summed over its processes, which
    the memory estimate checked before a run must cover)."""
    if not _kept:
        return False
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return False
    trim.argtypes = (ctypes.c_size_t,)
    trim.restype = ctypes.c_int
    trim(0)
    return True
