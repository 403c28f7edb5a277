"""Progress bars that start no process and no thread.

tqdm guards its bars with a ``multiprocessing`` lock by default; creating that lock starts
Python's resource tracker, a process that outlives the command by a moment (it ends when the
command's end closes its pipe). The bars of this package are drawn by the command's own
process only, so a thread lock serves; and no monitor thread runs (plots are drawn in
forked processes). Import ``tqdm`` from here.
"""

from __future__ import annotations

import threading

from tqdm import tqdm

tqdm.set_lock(threading.RLock())
tqdm.monitor_interval = 0

__all__ = ["tqdm"]
