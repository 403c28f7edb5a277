"""Processes that never outlive the command that started them."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys

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
