"""Interrupted runs: Ctrl-C and SIGTERM clean up and print one line; SIGKILL leaves a hidden
folder that the next run removes; the processes that draw plots never outlive the command.

The commands run as real processes (``python -m sim``) in their own process group, and the
signal is sent at a known moment: a delay after the interpreter has started, or when the
hidden folder of the plots appears.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim import cli
from sim.files import writer_alive
from sim.output.rundir import remove_leftovers
from tests.conftest import TWO_TIER_SCENARIO
from tests.output.folders import run_cli
from tests.processes import group_processes

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc to find the processes of a group")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("interrupts") / "two_tier.toml"
    path.write_text(TWO_TIER_SCENARIO)
    return path


def interruptible() -> None:
    """In the child: SIGINT back to its default, as in a terminal. A test runner started in
    the background of a non-interactive shell ignores SIGINT, and a child inherits that (a
    Python started with SIGINT ignored never raises KeyboardInterrupt)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_run(scenario: Path, parent: Path, python: tuple[str, ...] = ("-m", "sim"),
              options: tuple[str, ...] = ()) -> subprocess.Popen[str]:
    """``talentwar run`` (``python`` the interpreter's arguments before the command's:
    ``python -m sim`` by default) into ``parent/run`` as its own process group."""
    return subprocess.Popen(
        [sys.executable, *python, "run", str(scenario), *options, "--out",
         str(parent / "run"), "--quiet"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, preexec_fn=interruptible)


def wait_until(condition, seconds: float = 60.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return False


def plotting(parent: Path) -> list[Path]:
    """The hidden folder of the plots inside the hidden folder of the run, once drawing."""
    return list(parent.glob(".run.incomplete-*/.plots.incomplete-*"))


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


def assert_one_line(err: str, words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], err
    assert "Traceback" not in err


def assert_nothing_left(parent: Path, group: int) -> None:
    assert not parent.exists() or list(parent.iterdir()) == [], list(parent.iterdir())
    assert wait_until(lambda: group_processes(group) == [], 10), group_processes(group)


def interpreter_start_up() -> float:
    """Seconds the interpreter takes, as the machine runs now, before it runs a line of the
    package (the slowest of three bare starts). A signal in that window lands in Python's
    own start-up, which no program can handle: the delays below count from its end."""
    times = []
    for _ in range(3):
        clock = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - clock)
    return max(times)


@pytest.mark.parametrize("delay", [0.1, 0.3, 0.9])
def test_ctrl_c_at_start_up(scenario, tmp_path, delay):
    start_up = interpreter_start_up()
    proc = start_run(scenario, tmp_path / "parent")
    time.sleep(start_up + delay)
    alive = proc.poll() is None
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: to the whole group
    status, err = finish(proc)
    # A Ctrl-C that library code swallows while it loads still stops the run (sim.errors:
    # interrupts_noted); before that, a sweep of delays 0-2 s lost 1 to 3 of 40.
    assert not (alive and status == 0), f"the Ctrl-C was lost: the run ended normally\n{err}"
    assert status == 130, err
    assert_one_line(err, "talentwar: interrupted")
    assert_nothing_left(tmp_path / "parent", proc.pid)


SIGNALS = pytest.mark.parametrize(("signum", "to_group", "status", "words"), [
    (signal.SIGINT, True, 130, "talentwar: interrupted"),
    (signal.SIGTERM, False, 143, "talentwar: terminated"),
])
"""A Ctrl-C (to the whole group, as a terminal sends it) and a SIGTERM (to the command),
with the status and words of each."""


def assert_signal_cleans_up(proc: subprocess.Popen[str], parent: Path, signum: int,
                            to_group: bool, status: int, words: str) -> None:
    """Send ``signum`` to the run ``proc`` (to its group if ``to_group``): it ends with
    ``status`` and one line holding ``words``, leaving nothing in ``parent`` and no
    process."""
    if to_group:
        os.killpg(proc.pid, signum)
    else:
        proc.send_signal(signum)
    code, err = finish(proc)
    assert code == status, err
    assert_one_line(err, words)
    assert_nothing_left(parent, proc.pid)


@SIGNALS
def test_a_signal_while_plotting_cleans_up(scenario, tmp_path, signum, to_group, status,
                                           words):
    parent = tmp_path / "parent"
    proc = start_run(scenario, parent)
    assert wait_until(lambda: plotting(parent) or proc.poll() is not None)
    assert proc.poll() is None, "the run ended before its plots were drawn"
    time.sleep(0.2)
    assert_signal_cleans_up(proc, parent, signum, to_group, status, words)


def test_sigkill_leaves_a_leftover_that_the_next_run_removes(scenario, tmp_path):
    parent = tmp_path / "parent"
    proc = start_run(scenario, parent)
    assert wait_until(lambda: plotting(parent) or proc.poll() is not None)
    assert proc.poll() is None, "the run ended before its plots were drawn"
    proc.kill()
    proc.communicate(timeout=60)
    # The drawing processes die with the command: nothing keeps drawing into the folder.
    assert wait_until(lambda: group_processes(proc.pid) == [], 10), group_processes(proc.pid)
    left = sorted(p.name for p in parent.iterdir())
    # the hidden folder it was writing, and the reservation of the name it was writing
    assert left == [f".run.incomplete-{proc.pid}", ".run.lock"]
    outcome = run_cli(["run", scenario, "--out", parent / "next", "--quiet", "--no-plots",
                       "--months", "2"], tmp_path)
    assert outcome.status == 0, outcome.err
    assert f"removed {parent / left[0]}" in outcome.err
    assert f"removed {parent / left[1]}" in outcome.err
    assert [p.name for p in parent.iterdir()] == ["next"]


# --------------------------------------------------------------------------- in-process


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def leftover(parent: Path, name: str, pid: int, files: tuple[str, ...] = ("market.csv",)
             ) -> Path:
    folder = parent / f".{name}.incomplete-{pid}"
    folder.mkdir(parents=True)
    for file in files:
        (folder / file).write_text("month\n0\n")
    return folder


def test_leftovers_of_processes_that_no_longer_run_are_removed(tmp_path):
    gone = leftover(tmp_path, "a", dead_pid(), ("market.csv", "engineers.csv.gz"))
    mine = leftover(tmp_path, "b", os.getpid())
    foreign = leftover(tmp_path, "c", dead_pid(), ("thesis.docx",))
    with subprocess.Popen(["sleep", "30"]) as sleeper:
        try:
            running = leftover(tmp_path, "d", sleeper.pid)
            reused = leftover(tmp_path, "e", sleeper.pid)
            day_ago = time.time() - 86_400  # written before the process with that pid began
            os.utime(reused, (day_ago, day_ago))
            assert writer_alive(sleeper.pid, time.time())
            assert not writer_alive(sleeper.pid, day_ago)
            assert remove_leftovers(tmp_path) == [gone, reused]
            assert mine.exists() and foreign.exists() and running.exists()
        finally:
            sleeper.kill()


def test_sigterm_handling_ends_with_the_command(scenario, tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    assert run_cli(["validate", scenario], tmp_path).status == 0
    assert signal.getsignal(signal.SIGTERM) is before
    assert {"run", "plot", "compare", "report"} <= cli.SIGTERM_AS_INTERRUPT


@pytest.fixture
def ctrl_c_raises():
    """Ctrl-C raising KeyboardInterrupt in this process, as in a terminal (a test runner
    started in the background may ignore it), for the test's duration."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def swallowed_ctrl_c() -> None:
    """Ctrl-C to this process, its KeyboardInterrupt swallowed (as a module that runs Python
    text from C while it is imported does)."""
    try:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)  # the handler runs at the next instruction; never reached
    except KeyboardInterrupt:
        pass


def ctrl_c_as_runtime_error() -> None:
    """Ctrl-C to this process turned into another exception (as Python 3.11 does with one
    raised while a class is created)."""
    try:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)
    except KeyboardInterrupt as err:
        raise RuntimeError("Error calling __set_name__") from err


def swallowed_sigterm() -> None:
    """SIGTERM to this process, the Terminated the command's handler raises swallowed by
    library code (as it would be in a callback that runs Python from C)."""
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)
    except KeyboardInterrupt:
        pass


@pytest.mark.parametrize(("library", "status", "words"), [
    (swallowed_ctrl_c, 130, "talentwar: interrupted"),
    (ctrl_c_as_runtime_error, 130, "talentwar: interrupted"),
    (swallowed_sigterm, 143, "talentwar: terminated")])
def test_a_ctrl_c_that_library_code_swallows_still_stops_the_run(
        scenario, tmp_path, monkeypatch, ctrl_c_raises, capsys, library, status, words):
    """While the run writes its tables, a Ctrl-C (or a SIGTERM, noted as a Ctrl-C is)
    arrives and library code swallows its KeyboardInterrupt or turns it into another
    exception: the run still ends as interrupted (status 130, or 143 for SIGTERM, one
    line, no traceback) and leaves nothing; the note ends with the command."""
    from sim import errors
    from sim.output import run as run_module

    write_tables = run_module.write_small_tables

    def interrupted_while_writing(*args, **kwargs):
        write_tables(*args, **kwargs)
        library()

    monkeypatch.setattr(run_module, "write_small_tables", interrupted_while_writing)
    parent = tmp_path / "parent"
    code = cli.main(["run", str(scenario), "--out", str(parent / "run"), "--quiet",
                     "--no-plots"])
    err = capsys.readouterr().err
    assert code == status, err
    assert_one_line(err, words)
    assert not parent.exists() or list(parent.iterdir()) == [], list(parent.iterdir())
    assert not errors.interrupted() and not errors.terminated()
    # The note does not outlive the command: the same run without a Ctrl-C completes.
    monkeypatch.setattr(run_module, "write_small_tables", write_tables)
    assert cli.main(["run", str(scenario), "--out", str(parent / "run"), "--quiet",
                     "--no-plots"]) == 0
    assert (parent / "run" / "market.csv").is_file()


def test_the_note_of_a_ctrl_c_is_the_command_s_own(ctrl_c_raises):
    """interrupts_noted notes a Ctrl-C only where Python's own handler would have handled
    it (a program's own handler is left in place), keeps a note made in a block inside it
    until it ends, and a process forked after a note starts without it."""
    from sim import errors

    def own_handler(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, own_handler)
    with errors.interrupts_noted():
        assert signal.getsignal(signal.SIGINT) is own_handler
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with errors.interrupts_noted():
        assert not errors.interrupted()
        with errors.interrupts_noted():
            swallowed_ctrl_c()
            assert errors.interrupted()
        assert errors.interrupted()  # kept by the outer block
        read, write = os.pipe()
        child = os.fork()
        if child == 0:  # the forked process says whether it holds a note, and ends
            os.write(write, b"1" if errors.interrupted() else b"0")
            os._exit(0)
        os.waitpid(child, 0)
        assert os.read(read, 1) == b"0"
        os.close(read)
        os.close(write)
    assert not errors.interrupted()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_swallowed_ctrl_c_stops_the_run_before_its_plots(
        scenario, tmp_path, monkeypatch, ctrl_c_raises, capsys):
    """A Ctrl-C swallowed while the tables are written stops the run before any plot is
    drawn, not only before its folder appears."""
    from sim.output import plots as plots_module
    from sim.output import run as run_module

    write_tables, drawn = run_module.write_small_tables, tmp_path / "drawn.log"

    def interrupted_while_writing(*args, **kwargs):
        write_tables(*args, **kwargs)
        swallowed_ctrl_c()

    def draw(run_dir, *args):  # in the drawing process, forked after this patch
        drawn.write_text(run_dir)

    monkeypatch.setattr(run_module, "write_small_tables", interrupted_while_writing)
    monkeypatch.setattr(plots_module, "draw_run", draw)
    parent = tmp_path / "parent"
    assert cli.main(["run", str(scenario), "--out", str(parent / "run"), "--quiet"]) == 130
    assert not drawn.exists()
    assert_one_line(capsys.readouterr().err, "talentwar: interrupted")


def test_a_ctrl_c_swallowed_as_a_command_finishes_says_its_output_is_complete(
        scenario, tmp_path, monkeypatch, ctrl_c_raises, capsys):
    """A Ctrl-C swallowed after the run folder appeared: status 130, and the one line says
    that what the command wrote is complete (it is)."""
    from sim.cli import runs

    next_line = runs.next_line

    def interrupted_at_the_end(folder):
        swallowed_ctrl_c()
        return next_line(folder)

    monkeypatch.setattr(runs, "next_line", interrupted_at_the_end)
    parent = tmp_path / "parent"
    assert cli.main(["run", str(scenario), "--out", str(parent / "run"), "--quiet",
                     "--no-plots"]) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "talentwar: interrupted; it had finished: what it wrote is complete"), err
    assert (parent / "run" / "market.csv").is_file()


WITH_WRITER = ("import sim.output.run\n"
               "sim.output.run.HOLD_FROM = 1_000  # the two-tier market gets a writer\n"
               "from sim.cli import console\n"
               "raise SystemExit(console())\n")
"""``talentwar`` (its arguments after ``-c``) with the engineer table written by an
:class:`sim.output.run.EngineerWriter` (forked once the model is built)."""


@SIGNALS
def test_a_signal_while_the_engineer_writer_works_cleans_up(scenario, tmp_path, signum,
                                                            to_group, status, words):
    # The command, its drawing process and the writer making the table's text (three
    # processes of the group) all end, and leave nothing.
    parent = tmp_path / "parent"
    proc = start_run(scenario, parent, python=("-c", WITH_WRITER), options=("--months", "60"))
    assert wait_until(lambda: len(group_processes(proc.pid)) >= 3 or proc.poll() is not None)
    assert proc.poll() is None, "the run ended before its writer was seen"
    assert_signal_cleans_up(proc, parent, signum, to_group, status, words)


def test_the_leftover_of_a_killed_replicate_run_is_removed(tmp_path):
    # `run --replicates` writes .<name>.incomplete-<pid>/ with rep-000/... run folders and
    # summary.csv in it: a kill leaves it, and the next command removes it; one holding a
    # file the output layer does not write, or a folder not named as a replicate, is kept.
    def replicates(name: str, extra: str | None = None, folder: str = "rep-001") -> Path:
        top = leftover(tmp_path, name, dead_pid(), ("manifest.json", "summary.csv"))
        for rep in ("rep-000", folder):
            (top / rep).mkdir()
            for table in ("market.csv", "firms.csv", "manifest.json", "top_hhi.png"):
                (top / rep / table).write_text("x")
        if extra:
            (top / "rep-000" / extra).write_text("mine")
        return top

    gone = replicates("rr")
    kept = replicates("notes", "notes.txt")
    odd = replicates("odd", folder="drafts")
    assert remove_leftovers(tmp_path) == [gone]
    assert kept.exists() and odd.exists()
