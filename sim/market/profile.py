"""Where a month's time goes: wall-clock seconds by phase, summed over the months run.

:class:`PhaseClock` is started at the top of a month, told the end of each phase
(:meth:`PhaseClock.lap`) and stopped at the bottom; it sums each phase's seconds and the
months' own seconds, so the phases can be checked to add up to the month. The model uses a
:class:`NullClock` (every call does nothing) unless asked to profile
(``TalentMarket(..., profile=True)``, ``talentwar run --profile``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

PHASES = ("events", "planning", "separations", "search and offers",
          "choices and counter-offers", "deals", "layoffs", "accounts",
          "measures and records")
"""The phases of a month, in the order they run:

- events: the timeline's events, tenure, a new month log;
- planning: posted pay and GPU orders, GPU deliveries, funding, vacancies;
- separations: deal leavers, who separates and who searches, job losses;
- search and offers: random and outreach offers within vacancies and hiring capacity;
- choices and counter-offers: counter-offers and retention calls, the logit choices, moves;
- deals: dated deals, acquisitions and license-and-hire under antitrust review;
- layoffs;
- accounts: revenue and payroll, exits, the month's headcounts and firm table;
- measures and records: ``market.csv``, ``firms.csv`` and ``flows.csv`` rows, the
  DataCollector (and the invariant checks under ``--check``)."""


class PhaseClock:
    """Seconds spent in each phase of :data:`PHASES`, summed over months.

    ``seconds[p]`` sums, over months, the wall time from the end of the previous phase
    (or the month's start) to the end of phase p; ``month_seconds`` sums the months' wall
    time from :meth:`start` to :meth:`stop`, so sum_p seconds[p] <= month_seconds, the
    difference being the time between the last lap and the stop."""

    def __init__(self, timer: Callable[[], float] | None = None) -> None:
        self.timer = timer
        """The clock read (default: :func:`time.perf_counter`, wall time;
        :func:`time.process_time` counts this process's CPU time only, steadier on a
        shared machine)."""
        self.seconds: dict[str, float] = dict.fromkeys(PHASES, 0.0)
        self.months = 0
        self.month_seconds = 0.0
        self._start = 0.0
        self._last = 0.0

    def _now(self) -> float:
        return self.timer() if self.timer is not None else time.perf_counter()

    def start(self) -> None:
        """A month begins."""
        self._start = self._last = self._now()

    def lap(self, phase: str) -> None:
        """Phase ``phase`` (one of :data:`PHASES`) has just ended."""
        now = self._now()
        self.seconds[phase] += now - self._last
        self._last = now

    def stop(self) -> None:
        """The month has ended."""
        self.month_seconds += self._now() - self._start
        self.months += 1

    def report(self) -> str:
        """A table: each phase's milliseconds a month (its seconds / months) and share of
        the month (seconds / month_seconds), then the phases' sum and the month itself."""
        months = max(self.months, 1)
        total = self.month_seconds or 1.0
        width = max(len(p) for p in PHASES)
        lines = [f"{'phase':<{width}}  {'ms/month':>9}  {'share':>6}"]
        for phase, seconds in self.seconds.items():
            lines.append(f"{phase:<{width}}  {1e3 * seconds / months:>9.2f}  "
                         f"{seconds / total:>6.1%}")
        phases = sum(self.seconds.values())
        lines.append(f"{'sum of phases':<{width}}  {1e3 * phases / months:>9.2f}  "
                     f"{phases / total:>6.1%}")
        lines.append(f"{'month':<{width}}  {1e3 * self.month_seconds / months:>9.2f}  "
                     f"{1:>6.1%}  ({self.months} months)")
        return "\n".join(lines)


class NullClock(PhaseClock):
    """A clock that records nothing (the model's default: no cost when not profiling)."""

    def start(self) -> None:
        """Nothing."""

    def lap(self, phase: str) -> None:
        """Nothing."""

    def stop(self) -> None:
        """Nothing."""
