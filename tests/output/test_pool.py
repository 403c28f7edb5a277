"""Processes that draw plots (sim.output.pool): the one forked early (EarlyProcess), as
``talentwar run`` forks it, set up (a module imported) before its call, its failure
raised, Ctrl-C left to the command, and no process (its own or those it forked) left when
the block ends, however it ends; and forked_each's, each item done once, the first failure
raised, a process killed or gone a failure, never a wait without end."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from sim.output.pool import EarlyProcess, ProcessLost, early_process

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="forks, and reads /proc to see processes end")

WORK = "tests.output.pool_work"
PREPARED = "tests.output.pool_prepared"


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def lines(path: Path, count: int, seconds: float = 30.0) -> list[str]:
    """The lines of ``path`` once it has ``count`` of them."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if path.exists() and len(found := path.read_text().splitlines()) >= count:
            return found
        time.sleep(0.01)
    raise AssertionError(f"{path}: fewer than {count} lines after {seconds} s")


def test_the_process_is_set_up_before_its_call(tmp_path):
    assert PREPARED not in sys.modules  # imported by the process only
    log = tmp_path / "log"
    with early_process(prepare=PREPARED) as process:
        process.start(f"{WORK}:note_process", str(log), PREPARED)
        process.wait()
    pid, imported = log.read_text().split()
    assert imported == "True" and int(pid) != os.getpid()
    assert not alive(int(pid)) and PREPARED not in sys.modules


def test_forked_processes_leave_what_they_inherit_out_of_their_collections(tmp_path):
    """The early process and those it forks inherit their parent's objects frozen (out
    of the garbage collector's view: a full collection would walk and copy them all):
    each starts with at least as many frozen objects as this process holds, the early
    process keeps them frozen after forking its own, and this process's objects are back
    in view once they are forked."""
    import gc

    gc.collect()  # what is left is held, not garbage a collection could take meanwhile
    held = len(gc.get_objects())
    log = tmp_path / "log"
    with early_process() as process:
        assert gc.get_freeze_count() < 0.01 * held  # (Python 3.12 starts with ~400)
        process.start(f"{WORK}:note_frozen", str(log))
        process.wait()
    counts = [int(line) for line in lines(log, 4)]
    # the early process, its two, the early process again
    assert len(counts) == 4 and min(counts) >= 0.9 * held


def test_its_failure_is_raised():
    with pytest.raises(ValueError, match="broken"), EarlyProcess() as process:
        process.start(f"{WORK}:fail", "broken")
        process.wait()


def test_a_function_it_is_given_to_prepare_runs_in_it_before_its_call(tmp_path):
    # The engineer table's writer makes the text of its fixed columns so, while the model
    # runs: in the process (not in the command), with what the function refers to.
    from tests.output import pool_work

    log = tmp_path / "log"
    with early_process(prepare=lambda: pool_work.make("text")) as process:
        process.start(f"{WORK}:note_made", str(log))
        process.wait()
    pid, made = log.read_text().split()
    assert made == "text" and int(pid) != os.getpid()
    assert pool_work.MADE == []


def test_a_failed_prepare_function_is_raised_by_the_call_not_made(tmp_path):
    log = tmp_path / "log"
    with pytest.raises(ValueError, match="no text"), EarlyProcess(
            prepare=lambda: int("no text")) as process:
        process.start(f"{WORK}:note_made", str(log))
        process.wait()
    assert not log.exists()


def test_a_failed_set_up_is_raised_by_the_call():
    with pytest.raises(ModuleNotFoundError), EarlyProcess(prepare="no_such_module") as p:
        p.start("no_such_module:anything")
        p.wait()


def test_it_and_those_it_forked_leave_ctrl_c_to_the_command(tmp_path):
    log, go = tmp_path / "log", tmp_path / "go"
    with EarlyProcess() as process:
        process.start(f"{WORK}:sleep_in_two", str(log), 30.0, str(go))
        pids = [process._process.pid, *(int(pid) for pid in lines(log, 2))]
        for pid in pids:  # a Ctrl-C to the process group reaches them too
            os.kill(pid, signal.SIGINT)
        time.sleep(0.2)
        go.touch()
        process.wait()  # the call returned: the Ctrl-C ended no process
    assert not any(alive(pid) for pid in pids)


@pytest.mark.parametrize("end", ["interrupt", "stop"])
def test_an_interrupt_or_stop_ends_it_and_those_it_forked_at_once(tmp_path, end):
    log = tmp_path / "log"
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), EarlyProcess() as process:
        process.start(f"{WORK}:sleep_in_two", str(log), 60.0)
        pids = [int(pid) for pid in lines(log, 2)]
        if end == "stop":
            process.stop()
        raise KeyboardInterrupt
    assert time.monotonic() - started < 30
    # Waited for: none is left, nor can any still write.
    assert not any(alive(pid) for pid in pids)


def test_a_process_killed_outright_is_a_failure_not_a_hang(tmp_path):
    log = tmp_path / "log"
    started = time.monotonic()
    with pytest.raises(ProcessLost, match="ended unexpectedly"), EarlyProcess() as process:
        process.start(f"{WORK}:sleep_in_two", str(log), 60.0)
        pids = [int(pid) for pid in lines(log, 2)]
        os.kill(process._process.pid, signal.SIGKILL)
        process.wait()
    assert time.monotonic() - started < 30  # not the children's 60 s
    # Those it forked die with it.
    end = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < end:
        time.sleep(0.01)
    assert not any(alive(pid) for pid in pids)


def _killed_while_it_prepares(ready: str) -> None:
    """Tell ``ready`` (a file) that it is preparing, wait a little, then die outright."""
    Path(ready).write_text("preparing")
    time.sleep(0.2)
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_process_killed_with_its_call_unread_is_lost_not_a_broken_connection(tmp_path):
    """The call is sent while the process prepares; it is killed before reading it. Its end
    of the connection then reads as reset (ECONNRESET), not as ended: still a
    ProcessLost, which the run turns into writing the engineer table itself (it was an
    OSError, reported as the run folder that could not be written)."""
    ready = tmp_path / "ready"
    with pytest.raises(ProcessLost, match="ended unexpectedly"), EarlyProcess(
            prepare=lambda: _killed_while_it_prepares(str(ready))) as process:
        lines(ready, 1)
        process.start(f"{WORK}:sleep_in_two", str(tmp_path / "log"), 60.0)
        process.wait()


def test_a_process_given_no_call_ends_with_the_block():
    with EarlyProcess() as process:
        pid = process._process.pid
        assert alive(pid)
    assert not alive(pid)


@pytest.fixture
def deadline():
    """Fail (not hang) a test still running after 60 s."""

    def late(signum, frame):
        raise AssertionError("still waiting after 60 s")

    previous = signal.signal(signal.SIGALRM, late)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize(("end", "raised", "says"), [
    ("killed_at", ProcessLost, r"exit status -9"),
    ("exits_at", RuntimeError, "SystemExit"),
    ("quits_at", ProcessLost, r"exit status 0"),
])
def test_forked_each_says_so_when_a_process_ends_mid_work_instead_of_waiting_forever(
        deadline, end, raised, says):
    from functools import partial

    from sim.output.pool import forked_each
    from tests.output import pool_work

    with pytest.raises(raised, match=says):
        forked_each(partial(getattr(pool_work, end), victim=3), list(range(8)), 2)
    assert multiprocessing.active_children() == []


def test_an_error_that_does_not_pickle_is_raised_by_name():
    with pytest.raises(RuntimeError, match="Unpicklable: holds a lock"), \
            EarlyProcess() as process:
        process.start(f"{WORK}:fail_unpicklably")
        process.wait()


def test_forked_each_does_each_item_once_and_raises_the_first_failure_at_once(
        tmp_path):
    from sim.output.pool import forked_each

    log = tmp_path / "log"

    def note(item: int) -> None:
        with open(log, "a") as out:
            out.write(f"{item}\n")
        if item == 6:
            raise ValueError("item 6")
        if item > 6:
            time.sleep(0.05)  # the rest take 1.6 s: ended long before

    forked_each(note, list(range(6)), 2)
    assert sorted(int(k) for k in log.read_text().split()) == list(range(6))
    log.unlink()
    with pytest.raises(ValueError, match="item 6"):
        forked_each(note, list(range(40)), 2)
    taken = [int(k) for k in log.read_text().split()]
    assert 6 in taken and len(taken) < 40  # the others ended at once
    assert multiprocessing.active_children() == []
