"""What a run of a scenario needs from the machine: its peak memory, estimated from the
scenario's size before anything runs (:func:`memory_estimate`), and the check that refuses a
run the machine cannot hold (:func:`check_memory`)."""

from __future__ import annotations

import os

from sim.errors import UserError
from sim.scenario.schema import Scenario

BASE_BYTES = 350e6
"""Memory of Python, numpy, pandas, Mesa and matplotlib once loaded, and of the processes
that draw the plots (measured: ``benchmarks/bench_memory.py``)."""
ENGINEER_BYTES = 275
"""Peak bytes per engineer, over the run's processes: the market's month, the engineer
table written 100,000 engineers at a time, and the drawing process holding two of its
columns for the plot of pay meanwhile (measured at 1M and 5M engineers:
``benchmarks/bench_memory.py``; 289 bytes between the two sizes on 7 December 2026)."""
HOLD_FROM = 20_000
"""Smallest population whose engineer table's fixed columns are made text while the model
runs, by a process that holds that text (``sim.output.run.EngineerWriter``): below, the
text takes less than about 0.1 s, not worth a process."""
HOLD_ENGINEERS = 250_000
"""Largest such population (the text held takes memory)."""
HELD_BYTES = 500
"""Bytes per engineer of that process, for :data:`HOLD_FROM` to :data:`HOLD_ENGINEERS`
engineers: its text (321-325 bytes kept, measured at 100,000 and 250,000 engineers) and
the pages it shares with the command until the model writes them (its private memory as
the model ends, measured on the flagship: 55 MB at 100,000 engineers, 112 MB at
250,000)."""
FIRM_BYTES = 4_000
"""Bytes per firm: the Mesa agent, its policy, its rows of the firm table."""
FIRM_MONTH_BYTES = 30
"""Bytes per firm, month and column of ``firms.csv``, with the table built at the end
(measured: about 1.2 kB per firm-month with 3 tiers, 40 columns)."""


def memory_estimate(scenario: Scenario) -> int:
    """Peak memory of a run with its default outputs, in bytes, summed over its processes:
    B + (b_e + b_h [N_0 <= N <= N_h]) N + F (b_f + b_m (T + 1) (25 + 5 K)) for N engineers, F
    firms, T months and K tiers (constants above, measured on this project's machine;
    without plots or the engineer table a run takes less)."""
    firms = len(scenario.firm_names())
    columns = 25 + 5 * len(scenario.tiers)
    engineers = scenario.market.engineers
    per_engineer = ENGINEER_BYTES + (HELD_BYTES if HOLD_FROM <= engineers <= HOLD_ENGINEERS
                                     else 0)
    return int(BASE_BYTES + per_engineer * engineers
               + firms * (FIRM_BYTES + FIRM_MONTH_BYTES * (scenario.months + 1) * columns))


def available_memory() -> int:
    """Memory this process can use now, in bytes (``MemAvailable`` of /proc/meminfo, or
    the machine's physical memory where that is not readable)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def check_memory(scenario: Scenario, source: str | None = None) -> int:
    """Refuse (:class:`UserError`) a scenario whose estimated memory
    (:func:`memory_estimate`) exceeds what this machine has available; return the
    estimate."""
    need, have = memory_estimate(scenario), available_memory()
    if need > have:
        raise UserError(
            f"{source or scenario.name}: a run needs about {need / 1e9:,.1f} GB of memory "
            f"({scenario.market.engineers:,} engineers, {len(scenario.firm_names()):,} "
            f"firms, {scenario.months:,} months); this machine has {have / 1e9:,.1f} GB "
            "available. Use fewer engineers, firms or months.")
    return need
