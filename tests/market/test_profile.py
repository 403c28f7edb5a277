"""The phase clock: every phase of the month timed, the phases adding up to the month, and
profiling changing nothing in the market."""

import time

import numpy as np

from sim.cli import main
from sim.market.profile import PHASES, NullClock, PhaseClock
from sim.model import TalentMarket
from tests.conftest import ROOT

BENCHMARK = ROOT / "benchmarks" / "market_100_firms.toml"


def test_the_clock_sums_each_phase_over_months(monkeypatch):
    ticks = iter([0.0, 1.0, 3.0, 3.5, 10.0, 10.25, 11.0])  # start, laps, stop; twice
    monkeypatch.setattr(time, "perf_counter", lambda: next(ticks))
    clock = PhaseClock()
    clock.start()
    clock.lap("events")
    clock.lap("planning")
    clock.stop()
    clock.start()
    clock.lap("events")
    clock.stop()
    assert clock.seconds["events"] == 1.0 + 0.25
    assert clock.seconds["planning"] == 2.0
    assert clock.months == 2
    assert clock.month_seconds == 3.5 + 1.0


def test_a_profiled_run_times_every_phase_and_they_add_up_to_the_month():
    model = TalentMarket(BENCHMARK, profile=True, months=3,
                         **{"market.engineers": 20_000})
    # A clock that advances by one at each reading: each phase is lapped once a month,
    # and the phases cover the month from its start to its last lap (only the stop, one
    # tick a month, is left out), whatever else runs on the machine.
    ticks = iter(range(10**6))
    model.clock = PhaseClock(timer=lambda: float(next(ticks)))
    model.run()
    clock = model.clock
    assert clock.months == 3
    assert tuple(clock.seconds) == PHASES
    assert all(seconds == 3 for seconds in clock.seconds.values())
    assert sum(clock.seconds.values()) == clock.month_seconds - clock.months
    report = clock.report().splitlines()
    assert [line.split("  ")[0].strip() for line in report[1:len(PHASES) + 1]] == list(PHASES)


def test_profiling_changes_nothing_in_the_market():
    plain = TalentMarket(BENCHMARK, months=3, **{"market.engineers": 5_000})
    timed = TalentMarket(BENCHMARK, months=3, profile=True, **{"market.engineers": 5_000})
    plain.run()
    timed.run()
    assert isinstance(plain.clock, NullClock) and plain.clock.months == 0
    assert plain.market.equals(timed.market)
    assert np.array_equal(plain.engineers.pay, timed.engineers.pay)


def test_talentwar_run_profile_prints_the_phases(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(BENCHMARK), "--profile", "--months", "2",
                 "--set", "market.engineers=3000"]) == 0
    out = capsys.readouterr().out
    for phase in PHASES:
        assert f"\n{phase} " in out
    assert "(2 months)" in out
    assert not (tmp_path / "results").exists()  # the market only: no run folder
