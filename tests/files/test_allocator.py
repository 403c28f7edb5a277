"""The allocator setting of the processes that run models (keep_freed_memory): temporary
arrays of a month at 100,000 engineers reuse memory already in place instead of faulting
in fresh pages each time, in the processes that run models and only there."""

from __future__ import annotations

import multiprocessing
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from sim.files import processes
from sim.sweeps.backends import LocalBackend
from sim.sweeps.worker import DONE, RunResult, RunTask

ROOT = Path(__file__).resolve().parents[2]

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
"""Whether the allocator can be set here (glibc's mallopt): elsewhere it is left alone."""

# A month's kind of temporaries: a few 100,000-float arrays alive together, then dropped
# (a weighted count by firm of pay, its share, its square), 50 rounds. Prints the page
# faults of one round, on average.
FAULTS = """
import resource, sys
sys.path.insert(0, {root!r})
import numpy as np
from sim.files.processes import keep_freed_memory
kept = keep_freed_memory() if {keep} else False
place = np.random.default_rng(0).integers(0, 101, 100_000)
pay = np.random.default_rng(1).random(100_000) * 1e6

def month():
    share = pay / pay.sum()
    square = pay * pay
    return np.bincount(place, weights=share * square, minlength=101)

month()  # the first round's pages
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(50):
    month()
print(kept, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 50)
"""


def faults_per_round(keep: bool) -> tuple[bool, float]:
    done = subprocess.run([sys.executable, "-c", FAULTS.format(root=str(ROOT), keep=keep)],
                          capture_output=True, text=True, check=True)
    kept, faults = done.stdout.split()
    return kept == "True", float(faults)


@pytest.mark.skipif(not GLIBC, reason="glibc's allocator")
def test_kept_memory_serves_the_next_temporary_arrays_without_page_faults():
    # By default each 800 kB array is mapped afresh (about 200 pages faulted in, one by
    # one); kept, the pages of the last one serve the next.
    kept, with_setting = faults_per_round(keep=True)
    plain, without = faults_per_round(keep=False)
    assert kept and not plain
    assert without > 100  # the cost the setting removes (the reason for it) is there
    assert with_setting < 5


def test_the_command_sets_the_allocator_before_it_runs_and_a_library_import_does_not():
    # The talentwar command sets it before its command runs (its forked processes inherit
    # it); importing the package or building a model does not change the process's
    # allocator.
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
            "import sim.files.processes as p, sim.cli\n"
            "from sim.model import TalentMarket\n"
            "before = p._kept\n"
            "calls = []\n"
            "sim.cli.keep_freed_memory = lambda: calls.append(p._kept)\n"
            "sim.cli.main = lambda: calls.append('main') or 0\n"
            "sim.cli.console()\n"
            "print(before, calls)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False [False, 'main']"


class AllocatorJob:
    """A job whose runs report, in their error text, whether the worker process running
    them has its allocator set (:func:`keep_freed_memory`)."""

    def execute(self, task: RunTask) -> RunResult:
        return RunResult(task.run_id, DONE, str(processes._kept), [], 0.0)


@pytest.mark.skipif(not GLIBC, reason="glibc's allocator")
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_sweep_worker_sets_the_allocator_before_its_first_run(monkeypatch, method):
    # A local worker, forked from a process that did not set it (as this one is made to
    # seem) or spawned, sets it before it runs anything.
    monkeypatch.setattr(processes, "_kept", False)
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: [method])
    backend = LocalBackend(1)
    try:
        future = backend.submit(RunTask(0, 0, 0, 0, ()), AllocatorJob())
        done, _ = backend.wait_any({future})
        assert done == {future}
        assert future.result().error == "True"
    finally:
        backend.close(cancel=True)


RESIDENT = """
import sys
sys.path.insert(0, {root!r})
import numpy as np
from sim.files.processes import give_back_freed_memory, keep_freed_memory

def resident_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

print(give_back_freed_memory())  # nothing kept yet: not asked
keep_freed_memory()
arrays = [np.ones(1_000_000) for _ in range(25)]  # 200 MB in 8 MB arrays, from the heap
del arrays
kept = resident_mb()
print(give_back_freed_memory(), kept - resident_mb())
"""


@pytest.mark.skipif(not GLIBC, reason="glibc's allocator")
def test_freed_memory_kept_is_given_back_when_asked():
    done = subprocess.run([sys.executable, "-c", RESIDENT.format(root=str(ROOT))],
                          capture_output=True, text=True, check=True)
    unset, asked, released = done.stdout.split()
    assert unset == "False" and asked == "True"
    assert float(released) > 150  # of the 200 MB freed and kept


def test_a_run_gives_back_its_models_freed_memory_before_its_tables_and_plots(
        tmp_path, monkeypatch):
    # Kept while the model runs (its month's arrays reuse it), given back once it has run:
    # it would otherwise stay resident beside the processes that draw the plots.
    from sim.output import run as run_module
    from sim.output.run import run_scenario
    from sim.scenario import load_scenario

    calls = []
    ran = run_module.TalentMarket.run

    def run(model, *args, **kwargs):
        ran(model, *args, **kwargs)
        calls.append(("ran", model.steps))

    monkeypatch.setattr(run_module.TalentMarket, "run", run)
    monkeypatch.setattr(run_module, "give_back_freed_memory",
                        lambda: calls.append(("given", (tmp_path / "run").exists())))
    scenario = load_scenario(ROOT / "scenarios" / "ai_talent_war_2024.toml",
                             ["market.engineers=2000", "months=3"])
    run_scenario(scenario, out=tmp_path / "run", plots=False, progress=False)
    # once, after the model's 3 months, before its folder
    assert calls == [("ran", 3), ("given", False)]
